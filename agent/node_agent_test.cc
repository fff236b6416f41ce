// NodeAgent against the in-memory API server: it creates its RdmaNodeState
// when missing, never writes spec, and writes status only when it changes.
#include "agent/node_agent.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <thread>

#include "agent/host/fake_driver_binder.h"
#include "agent/host/fake_firmware_tool.h"
#include "agent/host/fake_netlink.h"
#include "agent/host/fake_sysfs.h"
#include "kube/memory_api_server.h"

namespace agent {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

// Link events are not part of these tests: the subscription fails (the
// agent logs it and relies on the watch), so no thread spins on a fake.
struct NoEventsNetlink : host::FakeNetlink {
  host::Result<std::unique_ptr<host::LinkEvents>> WatchLinks() override {
    return host::Error{"watch links: not in this test", EOPNOTSUPP};
  }
};

class NodeAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/agent-node-agent-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    kube::ClientOptions o;
    o.qps = 0;
    o.retry_initial = 1ms;
    client_ = std::make_shared<kube::Client>(server_, o);
    journal_ = std::make_unique<Journal>(dir_);
    ReconcilerOptions ro;
    ro.node_name = "node-a";
    reconciler_ = std::make_unique<Reconciler>(
        HostAccess{sysfs_, netlink_, firmware_, binder_, rebooter_, boot_id_, clock_}, *journal_, ro);
  }
  void TearDown() override {
    runner_ = {};
    std::filesystem::remove_all(dir_);
  }
  // The operator's side: node-a's RdmaNodeState with this spec.
  void CreateNodeState(const json& spec) {
    ASSERT_TRUE(client_
                    ->Create(RdmaNodeStates(), {{"apiVersion", "rdma.dev/v1alpha1"},
                                                {"kind", "RdmaNodeState"},
                                                {"metadata", {{"name", "node-a"}}},
                                                {"spec", spec}})
                    .ok());
  }
  void Start(std::function<void(const api::RdmaNodeStateSpec&, const api::RdmaNodeStateStatus&)> on_observed = {}) {
    NodeAgentOptions ao;
    ao.node_name = "node-a";
    ao.on_observed = std::move(on_observed);
    agent_ = std::make_unique<NodeAgent>(client_, *reconciler_, netlink_, ao, &metrics_);
    runner_ = std::jthread([this](std::stop_token stop) { agent_->Run(stop); });
  }
  // The object once `ok` holds, polled with a deadline.
  json WaitFor(const std::function<bool(const json&)>& ok) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    json last;
    while (std::chrono::steady_clock::now() < deadline) {
      auto got = client_->Get(RdmaNodeStates(), "", "node-a");
      if (got.ok()) {
        last = *got;
        if (ok(last)) return last;
      }
      std::this_thread::sleep_for(5ms);
    }
    ADD_FAILURE() << "timed out; last object: " << last.dump();
    return last;
  }
  uint64_t Passes() {
    std::vector<uint64_t> buckets;
    double sum = 0;
    uint64_t count = 0;
    metrics_.GetHistogram("rdma_agent_reconcile_seconds", "").Snapshot(&buckets, &sum, &count);
    return count;
  }
  static bool ReadyFor(const json& o) {
    for (const auto& c : o.value("/status/conditions"_json_pointer, json::array())) {
      if (c["type"] == "Ready") return c["status"] == "True" && c["observedGeneration"] == o["metadata"]["generation"];
    }
    return false;
  }

  std::string dir_;
  std::shared_ptr<kube::MemoryApiServer> server_ = std::make_shared<kube::MemoryApiServer>();
  std::shared_ptr<kube::Client> client_;
  host::FakeSysfs sysfs_;
  NoEventsNetlink netlink_;
  host::FakeFirmwareTool firmware_;
  host::FakeDriverBinder binder_;
  host::FakeRebooter rebooter_;
  host::FakeBootId boot_id_;
  host::FakeClock clock_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<Reconciler> reconciler_;
  kube::MetricsRegistry metrics_;
  std::unique_ptr<NodeAgent> agent_;
  std::jthread runner_;
};

TEST_F(NodeAgentTest, CreatesItsNodeStateWhenMissing) {
  Start();
  json o = WaitFor(ReadyFor);
  EXPECT_EQ(o["spec"], json::object());
  EXPECT_EQ(o["status"]["syncState"], "Succeeded");
  // /readyz turns ready once the write has returned to the agent.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!agent_->Ready() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(agent_->Ready());
}

TEST_F(NodeAgentTest, KeepsTheOperatorsSpecAndReportsAgainstIt) {
  json spec = {{"interfaces", {{{"pciAddress", "0000:41:00.0"}, {"numVfs", 2}}}}};
  CreateNodeState(spec);
  Start();
  json o = WaitFor([](const json& o) { return o.contains("status") && o["status"].contains("lastError"); });
  EXPECT_EQ(o["spec"], spec);
  EXPECT_EQ(o["status"]["lastError"]["message"],
            "PF 0000:41:00.0 not found on this node (no Mellanox PCI function there)");
  EXPECT_EQ(o["status"]["lastError"]["interface"], "0000:41:00.0");
}

TEST_F(NodeAgentTest, SpecWithWrongTypesIsInvalidNotGuessed) {
  json spec = {{"interfaces", {{{"pciAddress", "0000:41:00.0"}, {"numVfs", "eight"}}}}};
  CreateNodeState(spec);
  Start();
  json o = WaitFor([](const json& o) { return o.contains("status") && o["status"].contains("conditions"); });
  json degraded;
  for (const auto& c : o["status"]["conditions"]) {
    if (c["type"] == "Degraded") degraded = c;
  }
  EXPECT_EQ(degraded["status"], "True");
  EXPECT_EQ(degraded["reason"], "InvalidSpec");
  EXPECT_NE(degraded["message"].get<std::string>().find("spec.interfaces[0].numVfs"), std::string::npos)
      << degraded.dump();
  EXPECT_EQ(o["spec"], spec);  // left as the operator wrote it
}

TEST_F(NodeAgentTest, WritesStatusOnlyWhenItChanges) {
  Start();
  WaitFor(ReadyFor);
  const uint64_t passes = Passes();
  const int64_t writes = server_->RequestCount("PATCH");
  // A change to the object that does not touch spec: the agent looks again...
  ASSERT_TRUE(client_->Patch(RdmaNodeStates(), "", "node-a", kube::PatchType::kMerge,
                             {{"metadata", {{"labels", {{"touched", "yes"}}}}}})
                  .ok());
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (Passes() == passes && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  ASSERT_GT(Passes(), passes);
  // ...and has nothing to write.
  EXPECT_EQ(server_->RequestCount("PATCH"), writes + 1);  // only the label patch above
}

// The device plugin's input: each pass shows the node before applying (the
// previous status, this generation, fresh discovery) and after (the status
// written).
TEST_F(NodeAgentTest, EachPassShowsTheNodeBeforeAndAfterApplying) {
  std::mutex mu;
  std::vector<api::RdmaNodeStateStatus> seen;
  json spec = {{"interfaces", {{{"pciAddress", "0000:41:00.0"}, {"numVfs", 2}}}}};
  CreateNodeState(spec);
  Start([&](const api::RdmaNodeStateSpec& s, const api::RdmaNodeStateStatus& st) {
    std::lock_guard lock(mu);
    EXPECT_EQ(s.interfaces.size(), 1u);
    seen.push_back(st);
  });
  json o = WaitFor([](const json& o) { return o.contains("status") && o["status"].contains("lastError"); });
  runner_ = {};  // stops and joins the agent
  std::lock_guard lock(mu);
  ASSERT_GE(seen.size(), 2u);
  // Before the first pass nothing was reported yet; after it, the error.
  EXPECT_EQ(seen[0].observed_generation, o["metadata"]["generation"].get<int64_t>());
  EXPECT_FALSE(seen[0].last_error.has_value());
  ASSERT_TRUE(seen[1].last_error.has_value());
  EXPECT_EQ(seen[1].last_error->interface, "0000:41:00.0");
}

// The last thing a node says before a real reboot (which never returns):
// its status says InProgress and a Rebooting Event names the reason, both
// on the server by the time the reboot is asked for.
TEST_F(NodeAgentTest, AnnouncesTheRebootInStatusAndAnEventBeforeRebooting) {
  CreateNodeState(json::object());
  // Not running its loop: a pass must not rewrite the status under the test.
  NodeAgentOptions ao;
  ao.node_name = "node-a";
  agent_ = std::make_unique<NodeAgent>(client_, *reconciler_, netlink_, ao, &metrics_);

  struct SeeingRebooter : host::Rebooter {
    std::function<void()> on_reboot;
    host::Status Reboot(const std::string&) override {
      on_reboot();
      return host::Status::Ok();
    }
  } inner;
  json at_reboot, events_at_reboot;
  inner.on_reboot = [&] {
    auto got = client_->Get(RdmaNodeStates(), "", "node-a");
    if (got.ok()) at_reboot = *got;
    auto events = client_->List(kube::resources::Events(), "");
    if (events.ok()) events_at_reboot = *events;
  };
  AnnouncingRebooter rebooter(inner);
  rebooter.SetAnnounce([this](const std::string& reason) { agent_->AnnounceReboot(reason); });
  ASSERT_TRUE(rebooter.Reboot("firmware change for generation 1: SRIOV_EN").ok());

  EXPECT_EQ(at_reboot.value("/status/syncState"_json_pointer, ""), "InProgress") << at_reboot.dump();
  bool announced = false;
  for (const auto& e : events_at_reboot.value("items", json::array()))
    if (e.value("reason", "") == "Rebooting" &&
        e.value("note", "").find("firmware change for generation 1: SRIOV_EN") != std::string::npos)
      announced = true;
  EXPECT_TRUE(announced) << events_at_reboot.dump();
}

// What the Reconciler does not own (rdma-cni's attachments) is added to
// every status, and a Refresh (an ADD or DEL) writes it without waiting for
// anything else to change.
TEST_F(NodeAgentTest, CompletesTheStatusWithAttachmentsAndRewritesItOnRefresh) {
  CreateNodeState(json::object());
  std::mutex mu;
  std::vector<api::AttachmentStatus> attached;
  NodeAgentOptions ao;
  ao.node_name = "node-a";
  ao.complete_status = [&](api::RdmaNodeStateStatus& s) {
    std::lock_guard lock(mu);
    s.attachments = attached;
  };
  agent_ = std::make_unique<NodeAgent>(client_, *reconciler_, netlink_, ao, &metrics_);
  runner_ = std::jthread([this](std::stop_token stop) { agent_->Run(stop); });
  WaitFor([](const json& o) { return o.contains("status") && o["status"].contains("syncState"); });

  {
    std::lock_guard lock(mu);
    api::AttachmentStatus a;
    a.pod = "ml/trainer-0";
    a.interface_name = "net1";
    a.vf = "0000:41:00.2";
    a.address = "10.0.0.16";
    a.phase = "Attached";
    attached = {a};
  }
  agent_->Refresh();
  json o = WaitFor([](const json& o) {
    return o.value("/status/attachments/0/pod"_json_pointer, "") == "ml/trainer-0";
  });
  EXPECT_EQ(o.value("/status/attachments/0/address"_json_pointer, ""), "10.0.0.16");
  {
    std::lock_guard lock(mu);
    attached.clear();
  }
  agent_->Refresh();
  WaitFor([](const json& o) { return o.contains("status") && !o["status"].contains("attachments"); });
}

}  // namespace
}  // namespace agent
