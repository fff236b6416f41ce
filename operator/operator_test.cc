// The whole operator in-process against kube::MemoryApiServer: the same
// controllers and handlers as the binary, without HTTP, so the reconcilers'
// threads run under ASan/UBSan in the unit suite. The behaviour a user
// sees is covered against kube-testapi in integration/.
#include "operator/operator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "kube/memory_api_server.h"
#include "operator/resources.h"

namespace rdma_operator {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

class InProcessOperator : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_shared<kube::MemoryApiServer>();
    kube::ClientOptions co;
    co.qps = 0;
    client_ = std::make_shared<kube::Client>(server_, co);
    OperatorOptions o;
    o.probe_address = "";
    o.metrics_address = "";
    o.rollup_delay = 10ms;
    op_ = std::make_unique<Operator>(client_, o);
    runner_ = std::thread([this] { rc_ = op_->Run(stop_.get_token()); });
  }
  void TearDown() override {
    stop_.request_stop();
    runner_.join();
    EXPECT_EQ(rc_, 0);
  }

  void Create(const kube::Resource& r, const json& obj) {
    auto c = client_->Create(r, obj);
    ASSERT_TRUE(c.ok()) << c.error().ToString();
  }
  json Get(const kube::Resource& r, const std::string& ns, const std::string& name) {
    auto g = client_->Get(r, ns, name);
    return g.ok() ? *g : json();
  }
  static bool WaitFor(const std::function<bool()>& pred) {
    for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;
         std::this_thread::sleep_for(5ms))
      if (pred()) return true;
    return pred();
  }
  // As an agent does: create the state if missing, then write status,
  // retrying when the operator wrote in between (409 Conflict).
  void ReportNics(const std::string& node) {
    ASSERT_TRUE(WaitFor([&] {
      json state = {{"apiVersion", "rdma.dev/v1alpha1"}, {"kind", "RdmaNodeState"}, {"metadata", {{"name", node}}}};
      auto c = client_->Create(RdmaNodeStates(), state);
      json s = c.ok() ? *c : Get(RdmaNodeStates(), "", node);
      if (!s.is_object()) return false;
      s["status"]["interfaces"] = json::parse(
          R"([{"pciAddress": "0000:41:00.0", "name": "ens1f0", "vendor": "15b3", "deviceID": "1017", "totalVfs": 8}])");
      return client_->UpdateStatus(RdmaNodeStates(), s).ok();
    }));
  }

  std::shared_ptr<kube::MemoryApiServer> server_;
  std::shared_ptr<kube::Client> client_;
  std::unique_ptr<Operator> op_;
  std::stop_source stop_;
  std::thread runner_;
  int rc_ = -1;
};

TEST_F(InProcessOperator, ConfiguresSelectedNodesAllocatesAndRendersOnceTheNadCrdExists) {
  Create(kube::resources::Nodes(), {{"metadata", {{"name", "n1"}, {"labels", {{"rdma", "yes"}}}}}});
  Create(kube::resources::Nodes(), {{"metadata", {{"name", "n2"}, {"labels", {{"rdma", "yes"}}}}}});
  Create(kube::resources::Nodes(), {{"metadata", {{"name", "other"}}}});
  ReportNics("n1");
  ReportNics("n2");
  Create(RdmaNodePolicies(), json::parse(R"({"metadata": {"name": "p"}, "spec": {
      "nodeSelector": {"matchLabels": {"rdma": "yes"}}, "nicSelector": {"vendor": "15b3"},
      "numVfs": 4, "resourceName": "roce"}})"));
  Create(RdmaNetworks(), json::parse(R"({"metadata": {"name": "net", "namespace": "default"}, "spec": {
      "resourceName": "roce", "ipam": {"subnet": "10.1.0.0/24", "nodeBlockSize": 8}}})"));

  json n1, n2;
  ASSERT_TRUE(WaitFor([&] {
    n1 = Get(RdmaNodeStates(), "", "n1");
    n2 = Get(RdmaNodeStates(), "", "n2");
    return n1["spec"].contains("ipBlocks") && n2["spec"].contains("ipBlocks");
  })) << n1.dump(2)
      << n2.dump(2);
  EXPECT_EQ(n1["spec"]["interfaces"][0]["numVfs"], 4);
  EXPECT_NE(n1["spec"]["ipBlocks"][0]["start"], n2["spec"]["ipBlocks"][0]["start"]);
  EXPECT_TRUE(Get(RdmaNodeStates(), "", "other").is_null());  // not selected: no state created

  json net;
  ASSERT_TRUE(WaitFor([&] {
    net = Get(RdmaNetworks(), "default", "net");
    std::string degraded_reason;
    if (net["status"].is_object())
      for (const auto& c : net["status"].value("conditions", json::array()))
        if (c.value("type", "") == "Degraded") degraded_reason = c.value("reason", "");
    return degraded_reason == "NadCrdMissing" && net["status"]["addresses"].value("allocatedBlocks", 0) == 2;
  })) << net.dump(2);

  Create(kube::resources::CustomResourceDefinitions(), {{"metadata", {{"name", kNadCrdName}}}});
  ASSERT_TRUE(WaitFor([&] { return !Get(NetworkAttachmentDefinitions(), "default", "net").is_null(); }));

  // The node leaves: its state is deleted and its block released.
  ASSERT_TRUE(client_->Delete(kube::resources::Nodes(), "", "n1").ok());
  ASSERT_TRUE(WaitFor([&] {
    return Get(RdmaNodeStates(), "", "n1").is_null() &&
           Get(RdmaNetworks(), "default", "net")["status"]["addresses"].value("allocatedBlocks", 0) == 1;
  }));
}

}  // namespace
}  // namespace rdma_operator
