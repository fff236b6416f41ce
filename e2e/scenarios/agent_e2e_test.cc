// End-to-end scenarios of rdma-agent: the real binary against a simulated
// node (sysfs-sim over FUSE with veth VFs, mstconfig-sim) and kube-testapi.
// The test plays the operator: it writes RdmaNodeState.spec and waits, with
// deadlines, for what a user would check in status.
//
// The whole test process runs in a network namespace of its own (entered in
// main before any thread starts), so the simulator's veths, the agent's
// netlink and the API server on 127.0.0.1 all live there and vanish with it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "api/yaml_documents.h"
#include "e2e/scenarios/agent_process.h"
#include "e2e/scenarios/private_netns.h"
#include "e2e/sim/sim_node_process.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/integration/testapi_process.h"

namespace e2e {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

bool g_can_run = false;
const char kNode[] = "node-1";
const char kPf[] = "0000:41:00.0";

kube::Resource NodeStates() { return kube::Resource{"rdma.dev", "v1alpha1", "rdmanodestates", "RdmaNodeState", false}; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json Condition(const json& obj, const std::string& type) {
  for (const auto& c : obj.value("/status/conditions"_json_pointer, json::array())) {
    if (c.value("type", "") == type) return c;
  }
  return json::object();
}

bool ConditionIs(const json& obj, const std::string& type, const std::string& status, int64_t generation) {
  json c = Condition(obj, type);
  return c.value("status", "") == status && c.value("observedGeneration", int64_t{-1}) == generation;
}

class AgentE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!g_can_run) GTEST_SKIP() << "needs root, /dev/fuse and network namespaces";
    char tmpl[] = "/tmp/agent-e2e-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    std::filesystem::create_directories(dir_ + "/api");
    api_ = std::make_unique<kube::testing::TestApiProcess>(std::string(E2E_BIN_DIR) + "/kube-testapi", dir_ + "/api");
    std::string err = api_->Start();
    ASSERT_EQ(err, "");
    auto cfg = kube::LoadKubeconfig({api_->kubeconfig()});
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    auto client = kube::Client::FromConfig(*cfg);
    ASSERT_TRUE(client.ok()) << client.error().message;
    client_ = *client;
    std::string yaml_error;
    auto docs = api::ParseYamlDocuments(ReadFile(std::string(E2E_SOURCE_DIR) + "/crds/rdma.dev_rdmanodestates.yaml"),
                                        &yaml_error);
    ASSERT_EQ(docs.size(), 1u) << yaml_error;
    auto crd = client_->Create(kube::resources::CustomResourceDefinitions(), docs[0]);
    ASSERT_TRUE(crd.ok()) << crd.error().message;

    sim::SimNodeOptions o;
    o.bin_dir = E2E_BIN_DIR;
    o.work_dir = dir_ + "/node";
    o.config_json = R"({"pfs": [{"pci": "0000:41:00.0", "netdev": "ens1f0", "mac": "b8:ce:f6:00:41:00", "max_vfs": 16}]})";
    auto node = sim::SimNodeProcess::Start(o);
    ASSERT_TRUE(node.ok()) << node.error().message;
    node_ = std::move(*node);
    ::setenv("MSTCONFIG_SIM_STATE", node_->state_dir().c_str(), 1);
  }
  void TearDown() override {
    agent_.reset();
    if (node_) {
      EXPECT_TRUE(node_->Stop().ok());
    }
    node_.reset();
    api_.reset();
    if (!dir_.empty() && !HasFailure()) std::filesystem::remove_all(dir_);
    if (HasFailure()) std::cerr << "kept " << dir_ << " for inspection\n";
  }

  void StartAgent() {
    agent_.reset();
    ++agent_starts_;
    std::vector<std::string> args = {
        "--kubeconfig", api_->kubeconfig(), "--node-name", kNode, "--host-root", node_->host_root(),
        "--journal-dir", dir_ + "/journal", "--mstconfig", "mstconfig",
        "--reboot-command", "echo reboot > " + node_->host_root() + "/sim/control",
        "--health-address", "", "--vf-timeout-seconds", "10",
        // This kernel has no RDMA core: the simulated node holds the netns mode.
        "--simulated-rdma-netns-mode", node_->host_root() + "/sim/rdma_netns_mode"};
    std::string path = node_->mstconfig_dir() + ":" + (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
    agent_ = std::make_unique<AgentProcess>(std::string(E2E_BIN_DIR) + "/rdma-agent", args,
                                            std::vector<std::string>{"PATH=" + path, node_->mstconfig_env()},
                                            dir_ + "/agent-" + std::to_string(agent_starts_) + ".log");
    ASSERT_EQ(agent_->Start(), "");
  }

  // Polls the object until `ok` holds or the deadline passes; fails with the
  // last status and the agent's log tail.
  json WaitFor(const std::string& what, const std::function<bool(const json&)>& ok,
               std::chrono::milliseconds timeout = 20s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    json last;
    for (;;) {
      auto got = client_->Get(NodeStates(), "", kNode);
      if (got.ok()) {
        last = *got;
        if (ok(last)) return last;
      }
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(20ms);  // poll interval of a deadline-bounded wait
    }
    std::string log = agent_ ? ReadFile(agent_->log_path()) : "";
    if (log.size() > 3000) log = log.substr(log.size() - 3000);
    ADD_FAILURE() << "timed out waiting for: " << what << "\nlast status: " << last.value("status", json()).dump(1)
                  << "\nagent log tail:\n" << log;
    return last;
  }

  // Replaces spec in one write, as the operator does; returns the new generation.
  int64_t SetSpec(const json& spec) {
    json patch = json::array({{{"op", "add"}, {"path", "/spec"}, {"value", spec}}});
    auto r = client_->Patch(NodeStates(), "", kNode, kube::PatchType::kJson, patch);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? kube::GenerationOf(*r) : -1;
  }

  static json Spec(int num_vfs, bool managed, bool reboot_allowed, int total_vfs = 8) {
    json iface = {{"pciAddress", kPf}, {"name", "ens1f0"}, {"numVfs", num_vfs}};
    if (managed) iface["firmware"] = {{"managed", true}, {"totalVfs", total_vfs}};
    return {{"disruption", {{"rebootAllowed", reboot_allowed}}}, {"interfaces", json::array({iface})}};
  }

  // Firmware with SR-IOV already on (as a node set up earlier would be).
  void EnableSriovFirmware(int num_vfs) {
    ASSERT_EQ(RunCommand({std::string(E2E_BIN_DIR) + "/mstconfig-sim", "-d", kPf, "-y", "set", "SRIOV_EN=1",
                          "NUM_OF_VFS=" + std::to_string(num_vfs)}),
              0);
    ASSERT_TRUE(node_->Reboot().ok());
  }

  // Waits until the running agent's log has `text` (e.g. its first pass).
  void WaitForLog(const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (ReadFile(agent_->log_path()).find(text) == std::string::npos) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no \"" << text << "\" in\n" << ReadFile(agent_->log_path());
      std::this_thread::sleep_for(20ms);
    }
  }

  std::string BootId() { return ReadFile(node_->host_root() + "/proc/sys/kernel/random/boot_id"); }

  static std::map<int, std::string> Guids(const json& obj) {
    std::map<int, std::string> out;
    for (const auto& vf : obj.at("/status/interfaces/0/vfs"_json_pointer)) out[vf.value("index", -1)] = vf.value("nodeGuid", "");
    return out;
  }

  // VF netdevs that exist on the node, from its sysfs (what the kernel has).
  int VfNetdevs() {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(node_->sysfs_root() + "/class/net")) {
      if (e.path().filename().string().rfind("ens1f0v", 0) == 0) ++n;
    }
    return n;
  }

  std::string dir_;
  std::unique_ptr<kube::testing::TestApiProcess> api_;
  std::shared_ptr<kube::Client> client_;
  std::unique_ptr<sim::SimNodeProcess> node_;
  std::unique_ptr<AgentProcess> agent_;
  int agent_starts_ = 0;
};

void ExpectUsableGuids(const std::map<int, std::string>& guids, size_t count) {
  EXPECT_EQ(guids.size(), count);
  std::set<std::string> unique;
  for (const auto& [i, g] : guids) {
    EXPECT_NE(g, "");
    EXPECT_NE(g, "00:00:00:00:00:00:00:00") << "VF " << i;
    unique.insert(g);
  }
  EXPECT_EQ(unique.size(), guids.size()) << "GUIDs not unique";
}

TEST_F(AgentE2E, FreshNodeFirmwareRebootThenVfsWithUniqueGuids) {
  StartAgent();
  WaitFor("the agent creates its RdmaNodeState and reports the PF", [](const json& o) {
    return ConditionIs(o, "Ready", "True", kube::GenerationOf(o)) &&
           o.value("/status/interfaces/0/pciAddress"_json_pointer, "") == kPf;
  });

  // A firmware change without a reboot grant: set for the next boot, waiting.
  const std::string boot_before = BootId();
  int64_t gen = SetSpec(Spec(4, true, false));
  json o = WaitFor("waiting for a reboot grant", [&](const json& o) {
    return ConditionIs(o, "Progressing", "True", gen) && Condition(o, "Progressing")["reason"] == "WaitingForReboot" &&
           o.value("/status/rebootRequired"_json_pointer, false);
  });
  EXPECT_EQ(BootId(), boot_before);
  bool next_boot_set = false;
  for (const auto& p : o.at("/status/interfaces/0/firmware/parameters"_json_pointer)) {
    if (p["name"] == "NUM_OF_VFS") next_boot_set = p["nextBoot"] == "8" && p["current"] == "0";
  }
  EXPECT_TRUE(next_boot_set) << o["status"]["interfaces"][0]["firmware"].dump();

  // The grant: one reboot, firmware verified, VFs with GUIDs.
  gen = SetSpec(Spec(4, true, true));
  o = WaitFor("ready after the reboot", [&](const json& o) { return ConditionIs(o, "Ready", "True", gen); });
  EXPECT_NE(BootId(), boot_before);
  EXPECT_EQ(o["status"].value("vfCount", 0), 4);
  EXPECT_EQ(o["status"].value("appliedGeneration", 0), gen);
  EXPECT_FALSE(o["status"].value("rebootRequired", true));
  for (const auto& p : o.at("/status/interfaces/0/firmware/parameters"_json_pointer)) {
    if (p["name"] == "NUM_OF_VFS") {
      EXPECT_EQ(p["current"], "8");
    }
    if (p["name"] == "SRIOV_EN") {
      EXPECT_EQ(p["current"], "True(1)");
    }
  }
  ExpectUsableGuids(Guids(o), 4);
  for (const auto& vf : o.at("/status/interfaces/0/vfs"_json_pointer)) {
    EXPECT_EQ(vf.value("driver", ""), "mlx5_core");
    EXPECT_NE(vf.value("name", ""), "");
    EXPECT_NE(vf.value("uverbsDevice", ""), "");
  }
  EXPECT_EQ(VfNetdevs(), 4);
}

TEST_F(AgentE2E, NumVfsChangedKeepsGuidsOfRemainingVfs) {
  EnableSriovFirmware(8);
  StartAgent();
  WaitFor("object created", [](const json& o) { return o.contains("status"); });
  int64_t gen = SetSpec(Spec(4, false, false));
  json o = WaitFor("4 VFs", [&](const json& o) { return ConditionIs(o, "Ready", "True", gen); });
  auto four = Guids(o);
  ExpectUsableGuids(four, 4);

  gen = SetSpec(Spec(2, false, false));
  o = WaitFor("2 VFs", [&](const json& o) { return ConditionIs(o, "Ready", "True", gen); });
  auto two = Guids(o);
  ExpectUsableGuids(two, 2);
  EXPECT_EQ(two[0], four[0]);
  EXPECT_EQ(two[1], four[1]);
  EXPECT_EQ(VfNetdevs(), 2);

  gen = SetSpec(Spec(6, false, false));
  o = WaitFor("6 VFs", [&](const json& o) { return ConditionIs(o, "Ready", "True", gen); });
  ExpectUsableGuids(Guids(o), 6);
  EXPECT_EQ(Guids(o)[3], four[3]);
  EXPECT_EQ(VfNetdevs(), 6);

  // More than the firmware allows (and firmware not managed): a clear error.
  gen = SetSpec(Spec(12, false, false));
  o = WaitFor("error for 12 VFs", [&](const json& o) { return ConditionIs(o, "Degraded", "True", gen); });
  EXPECT_EQ(o["status"]["lastError"].value("message", ""),
            "set sriov_numvfs=12 on 0000:41:00.0: exceeds sriov_totalvfs=8 (firmware NUM_OF_VFS)");
  EXPECT_EQ(o["status"]["lastError"].value("interface", ""), kPf);
  EXPECT_EQ(VfNetdevs(), 6);  // nothing torn down for an impossible request
}

// Someone removes the VFs behind the agent's back: the link events bring the
// agent back at once (its safety-net resync is 10 minutes away).
TEST_F(AgentE2E, VfsRemovedOnTheHostAreRestoredFromLinkEvents) {
  EnableSriovFirmware(8);
  StartAgent();
  WaitFor("object created", [](const json& o) { return o.contains("status"); });
  int64_t gen = SetSpec(Spec(4, false, false));
  json o = WaitFor("4 VFs", [&](const json& o) { return ConditionIs(o, "Ready", "True", gen); });
  const auto guids = Guids(o);
  {
    std::ofstream numvfs(node_->sysfs_root() + "/bus/pci/devices/0000:41:00.0/sriov_numvfs");
    numvfs << "0";
  }
  ASSERT_EQ(VfNetdevs(), 0);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (VfNetdevs() != 4) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << ReadFile(agent_->log_path());
    std::this_thread::sleep_for(20ms);
  }
  o = WaitFor("4 VFs reported again", [&](const json& o) {
    return ConditionIs(o, "Ready", "True", gen) && o["status"].value("vfCount", 0) == 4 && Guids(o) == guids;
  });
}

TEST_F(AgentE2E, SettingThatDoesNotTakeIsDegradedWithoutRebootLoop) {
  ASSERT_EQ(RunCommand({std::string(E2E_BIN_DIR) + "/mstconfig-sim", "-d", kPf, "sim-not-take", "NUM_OF_VFS"}), 0);
  StartAgent();
  WaitFor("object created", [](const json& o) { return o.contains("status"); });
  const std::string boot0 = BootId();
  int64_t gen = SetSpec(Spec(4, true, true));
  json o = WaitFor("Degraded naming the setting", [&](const json& o) {
    return ConditionIs(o, "Degraded", "True", gen) && Condition(o, "Degraded")["reason"] == "SettingDidNotTake";
  });
  std::string message = Condition(o, "Degraded").value("message", "");
  EXPECT_NE(message.find("NUM_OF_VFS wanted 8, Current 0"), std::string::npos) << message;
  EXPECT_NE(message.find(kPf), std::string::npos) << message;
  const std::string boot1 = BootId();
  EXPECT_NE(boot1, boot0);  // exactly the one reboot

  // A restarted agent looks again and still does not reboot.
  WaitForLog("op=first-pass-done");
  ASSERT_EQ(agent_->Stop(), 0);
  StartAgent();
  WaitForLog("op=first-pass-done");
  EXPECT_EQ(BootId(), boot1);
  o = WaitFor("still Degraded", [&](const json& o) { return ConditionIs(o, "Degraded", "True", gen); });
}

TEST_F(AgentE2E, AgentKilledDuringApplyAlwaysConverges) {
  EnableSriovFirmware(16);
  StartAgent();
  WaitFor("object created", [](const json& o) { return o.contains("status"); });
  int64_t gen = SetSpec(Spec(8, false, false));
  json o = WaitFor("8 VFs", [&](const json& o) { return ConditionIs(o, "Ready", "True", gen); });
  const auto first = Guids(o);
  ExpectUsableGuids(first, 8);
  WaitForLog("op=first-pass-done");
  ASSERT_EQ(agent_->Stop(), 0);

  const unsigned seed = static_cast<unsigned>(std::random_device{}());
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> kill_after_ms(0, 250);
  SCOPED_TRACE("seed " + std::to_string(seed));
  // Kill points count when the agent had started and the spec was not yet
  // reported applied: the kill hit it in the middle of its work.
  int mid_apply_kills = 0, run = 0;
  for (; mid_apply_kills < 20 && run < 60; ++run) {
    const int n = run % 2 == 0 ? 3 : 8;
    gen = SetSpec(Spec(n, false, false));
    StartAgent();
    const int delay = kill_after_ms(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));  // the kill point, not synchronisation
    agent_->Kill();
    auto at_kill = client_->Get(NodeStates(), "", kNode);
    const bool started = ReadFile(agent_->log_path()).find("op=start") != std::string::npos;
    if (started && at_kill.ok() && !ConditionIs(*at_kill, "Ready", "True", gen)) ++mid_apply_kills;
    StartAgent();
    o = WaitFor("run " + std::to_string(run) + " (killed after " + std::to_string(delay) + " ms) converges to " +
                    std::to_string(n) + " VFs",
                [&](const json& o) { return ConditionIs(o, "Ready", "True", gen); });
    auto guids = Guids(o);
    ASSERT_EQ(guids.size(), static_cast<size_t>(n)) << "run " << run;
    for (const auto& [i, g] : guids) EXPECT_EQ(g, first.at(i)) << "run " << run << " VF " << i;
    EXPECT_EQ(VfNetdevs(), n) << "leaked or missing VF netdevs after run " << run;
    EXPECT_EQ(ReadFile(node_->sysfs_root() + "/bus/pci/devices/0000:41:00.0/sriov_numvfs"), std::to_string(n) + "\n");
    WaitForLog("op=first-pass-done");  // before SIGTERM can be handled
    ASSERT_EQ(agent_->Stop(), 0);
  }
  std::cout << "kill runs: " << run << ", killed mid-apply: " << mid_apply_kills << "\n";
  EXPECT_GE(mid_apply_kills, 20);
}


// The whole product path on one node, with the real rdma-operator too: the
// user applies the RoCE policy from docs/examples as it is; the operator
// writes the node's spec, the agent applies it (after the reboot grant that
// the rollout controller will give; here the test gives it). This kernel has
// no RDMA core, so the agent sets the example's rdmaNamespaceMode on the
// simulated node's sim/rdma_netns_mode (--simulated-rdma-netns-mode): the
// user sees VFs with GUIDs, the node Ready in Exclusive mode, and the policy
// ready on its one node. Deleting the policy takes the VFs away again and the
// node is Ready.
TEST_F(AgentE2E, PolicyFromTheDocsConfiguresTheNodeAndIsUndoneWhenDeleted) {
  if (!std::filesystem::exists(std::string(E2E_BIN_DIR) + "/rdma-operator"))
    GTEST_SKIP() << "rdma-operator is not built (RDMA_COMPONENTS without operator)";
  const kube::Resource policies{"rdma.dev", "v1alpha1", "rdmanodepolicies", "RdmaNodePolicy", false};
  auto create_from = [&](const std::string& file, const kube::Resource& r) {
    std::string error;
    auto docs = api::ParseYamlDocuments(ReadFile(std::string(E2E_SOURCE_DIR) + "/" + file), &error);
    ASSERT_EQ(docs.size(), 1u) << file << ": " << error;
    auto created = client_->Create(r, docs[0]);
    ASSERT_TRUE(created.ok()) << file << ": " << created.error().message;
  };
  create_from("crds/rdma.dev_rdmanodepolicies.yaml", kube::resources::CustomResourceDefinitions());
  create_from("crds/rdma.dev_rdmanetworks.yaml", kube::resources::CustomResourceDefinitions());
  json node = {{"apiVersion", "v1"},
               {"kind", "Node"},
               {"metadata", {{"name", kNode}, {"labels", {{"rdma.dev/roce", "true"}}}}}};
  ASSERT_TRUE(client_->Create(kube::resources::Nodes(), node).ok());

  StartAgent();
  WaitFor("the agent reports the PF", [](const json& o) {
    return !o.value("/status/interfaces"_json_pointer, json::array()).empty();
  });
  AgentProcess op(std::string(E2E_BIN_DIR) + "/rdma-operator",
                  {"--kubeconfig", api_->kubeconfig(), "--metrics-bind-address", "0", "--health-probe-bind-address",
                   "0"},
                  {}, dir_ + "/operator.log");
  ASSERT_EQ(op.Start(), "");
  create_from("docs/examples/roce-policy.yaml", policies);

  WaitFor("the operator writes the policy into the node's spec", [](const json& o) {
    return o.value("/spec/interfaces/0/numVfs"_json_pointer, -1) == 1 &&
           o.value("/spec/rdmaNamespaceMode"_json_pointer, "") == "Exclusive";
  });
  json grant = {{"spec", {{"disruption", {{"rebootAllowed", true}}}}}};
  ASSERT_TRUE(client_->Patch(NodeStates(), "", kNode, kube::PatchType::kMerge, grant).ok());
  json o = WaitFor(
      "firmware, VFs and the Exclusive RDMA namespace mode applied: Ready",
      [](const json& o) {
        return o.value("/status/interfaces/0/vfs"_json_pointer, json::array()).size() == 1 &&
               ConditionIs(o, "Ready", "True", kube::GenerationOf(o)) &&
               o.value("/status/rdmaNamespaceMode"_json_pointer, "") == "Exclusive";
      },
      60s);
  ExpectUsableGuids(Guids(o), 1);
  EXPECT_EQ(VfNetdevs(), 1);
  EXPECT_FALSE(o.contains("/status/lastError"_json_pointer)) << o["status"].dump(1);
  // The agent really set it on the (simulated) RDMA core; the simulated
  // reboot the firmware change needed resets it to "shared", so this is the
  // agent's write after the last boot.
  EXPECT_EQ(ReadFile(node_->host_root() + "/sim/rdma_netns_mode"), "exclusive\n");

  // The operator's rollup: the policy matched the node and it is ready there.
  auto policy_shows = [&](const std::string& what, const std::function<bool(const json&)>& ok) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    for (;;) {
      auto got = client_->Get(policies, "", "roce-cx5");
      ASSERT_TRUE(got.ok()) << got.error().message;
      if (ok(*got)) return;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline)
          << "policy never showed " << what << ": " << got->value("status", json()).dump(1) << "\noperator log:\n"
          << ReadFile(op.log_path());
      std::this_thread::sleep_for(20ms);  // poll interval of a deadline-bounded wait
    }
  };
  policy_shows("1 of 1 matched nodes ready", [](const json& p) {
    json ready = Condition(p, "Ready");
    json degraded = Condition(p, "Degraded");
    return p.value("/status/matchedNodes"_json_pointer, 0) == 1 && p.value("/status/readyNodes"_json_pointer, -1) == 1 &&
           ready.value("status", "") == "True" && degraded.value("status", "False") == "False";
  });

  ASSERT_TRUE(client_->Delete(policies, "", "roce-cx5").ok());
  WaitFor("the policy's configuration undone: no PF in the spec, no VFs, Ready", [](const json& o) {
    return o.value("/spec/interfaces"_json_pointer, json::array()).empty() &&
           o.value("/status/interfaces/0/numVfs"_json_pointer, -1) == 0 &&
           ConditionIs(o, "Ready", "True", kube::GenerationOf(o));
  });
  EXPECT_EQ(VfNetdevs(), 0);
  EXPECT_EQ(op.Stop(), 0) << ReadFile(op.log_path());
}

}  // namespace
}  // namespace e2e

int main(int argc, char** argv) { return e2e::RunTestsInPrivateNetns(argc, argv, "agent-e2e-", &e2e::g_can_run); }
