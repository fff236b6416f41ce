#include "kube/events.h"

#include <gtest/gtest.h>

#include "kube/memory_api_server.h"

namespace kube {
namespace {

std::shared_ptr<Client> NewClient(std::shared_ptr<Transport> t) {
  ClientOptions o;
  o.qps = 0;
  o.max_retries = 0;
  return std::make_shared<Client>(std::move(t), o);
}

json Node() {
  return {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", "node-1"}, {"uid", "u-1"}}}};
}

TEST(EventRecorderTest, RepeatsAreAggregatedIntoSeries) {
  auto server = std::make_shared<MemoryApiServer>();
  auto client = NewClient(server);
  EventRecorder rec(client, {});
  rec.Record(Node(), "Warning", "FirmwareMismatch", "Verify", "SRIOV_EN still 0 after reboot");
  rec.Record(Node(), "Warning", "FirmwareMismatch", "Verify", "SRIOV_EN still 0 after reboot");
  rec.Record(Node(), "Warning", "FirmwareMismatch", "Verify", "SRIOV_EN still 0 after reboot");
  rec.Record(Node(), "Normal", "VfsCreated", "Apply", "created 8 VFs on ens1f0");
  rec.Flush();
  auto list = client->List(resources::Events(), "default");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ((*list)["items"].size(), 2u);
  for (const auto& e : (*list)["items"]) {
    EXPECT_EQ(e["regarding"]["name"], "node-1");
    EXPECT_EQ(e["reportingController"], "rdma.dev/operator");
    if (e["reason"] == "FirmwareMismatch") {
      EXPECT_EQ(e["type"], "Warning");
      EXPECT_EQ(e["series"]["count"], 3);
    } else {
      EXPECT_FALSE(e.contains("series"));
    }
  }
}

TEST(EventRecorderTest, ServerFailuresAreCountedNeverFatal) {
  auto server = std::make_shared<MemoryApiServer>();
  server->SetFault([](const HttpRequest&) -> std::optional<HttpResponse> {
    return HttpResponse{403, R"({"kind":"Status","code":403,"reason":"Forbidden","message":"events is forbidden"})",
                        std::nullopt};
  });
  EventRecorder rec(NewClient(server), {});
  rec.Record(Node(), "Normal", "A", "X", "n");
  rec.Flush();
  EXPECT_EQ(rec.failed(), 1u);
}

TEST(EventRecorderTest, DropsBeyondQueueLimitInsteadOfBlocking) {
  auto server = std::make_shared<MemoryApiServer>();
  std::mutex gate;
  gate.lock();  // the server hangs until we let it go
  server->SetFault([&](const HttpRequest&) -> std::optional<HttpResponse> {
    std::lock_guard<std::mutex> l(gate);
    return std::nullopt;
  });
  EventRecorderOptions o;
  o.max_pending = 2;
  EventRecorder rec(NewClient(server), o);
  for (int i = 0; i < 10; ++i) rec.Record(Node(), "Normal", "R" + std::to_string(i), "X", "n");
  EXPECT_GE(rec.dropped(), 7u);  // one may be in flight, two queued
  gate.unlock();
  rec.Flush();
}

}  // namespace
}  // namespace kube
