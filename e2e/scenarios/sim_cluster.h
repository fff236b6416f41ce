// SimCluster: the fixture of the e2e scenarios that run a small cluster of
// simulated nodes against kube-testapi — per node a sysfs-sim (its ConnectX-5
// PF with SR-IOV off in firmware), the real rdma-agent and sim-kubelet, and
// the real rdma-operator. Used by attach_e2e_test.cc and rollout_e2e_test.cc;
// each test binary enters a network namespace of its own in main
// (private_netns.h), so veths, pod namespaces and the API server go with it.
//
//   class MyE2E : public SimCluster { protected: MyE2E() : SimCluster("my-e2e") {} };
//   TEST_F(MyE2E, X) { nodes_.reserve(2); AddNode(1); AddNode(2); StartOperator(); ... }
//
// Waits poll the API with deadlines (WaitFor); on timeout they fail the test
// with the last object and the tail of every process's log.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/yaml_documents.h"
#include "e2e/scenarios/agent_process.h"
#include "e2e/sim/sim_node_process.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/integration/testapi_process.h"

namespace e2e {

using json = nlohmann::json;

// Set by main (RunTestsInPrivateNetns): root, /dev/fuse and a namespace.
inline bool g_can_run = false;

inline const kube::Resource kNodeStates{"rdma.dev", "v1alpha1", "rdmanodestates", "RdmaNodeState", false};
inline const kube::Resource kPolicies{"rdma.dev", "v1alpha1", "rdmanodepolicies", "RdmaNodePolicy", false};
inline constexpr char kResource[] = "rdma.dev/roce";

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string Tail(const std::string& path, size_t n = 2500) {
  std::string s = ReadFile(path);
  return s.size() > n ? s.substr(s.size() - n) : s;
}

// One simulated node: its sysfs-sim, rdma-agent and sim-kubelet.
struct SimNode {
  std::string name, pf, netdev, dir;
  std::unique_ptr<sim::SimNodeProcess> sim;
  std::unique_ptr<AgentProcess> agent, kubelet;
  int kubelet_starts = 0;

  std::string kubelet_root() const { return dir + "/kubelet"; }
  std::string cdi_dir() const { return dir + "/cdi"; }  // the node's /var/run/cdi
  // The node's /run/rdma-agent: sim-kubelet mounts it there for CNI plugins.
  std::string agent_socket_dir() const { return dir + "/run-rdma-agent"; }
  std::string plugin_socket() const { return kubelet_root() + "/device-plugins/rdma.dev_roce.sock"; }
};

class SimCluster : public ::testing::Test {
 protected:
  explicit SimCluster(std::string prefix) : prefix_(std::move(prefix)) {}

  void SetUp() override {
    if (!g_can_run) GTEST_SKIP() << "needs root, /dev/fuse and network namespaces";
    std::string tmpl = "/tmp/" + prefix_ + "-XXXXXX";
    dir_ = ::mkdtemp(tmpl.data());
    std::filesystem::create_directories(dir_ + "/api");
    if (with_cni_) {
      // CNI_PATH as a node would have it: Debian's plugins and rdma-cni in one dir.
      std::filesystem::create_directories(cni_bin_dir());
      for (const auto& e : std::filesystem::directory_iterator("/usr/lib/cni")) {
        std::filesystem::create_symlink(e.path(), cni_bin_dir() + "/" + e.path().filename().string());
      }
      std::filesystem::create_symlink(std::string(E2E_BIN_DIR) + "/rdma-cni", cni_bin_dir() + "/rdma-cni");
    }
    if (with_fabric_) {
      // One L2 segment for the VFs of every node: the fabric ends of their
      // veths are ports of one bridge in a namespace of the test's own.
      ASSERT_EQ(RunCommand({"ip", "netns", "add", FabricNetns()}), 0);
      fabric_added_ = true;
      ASSERT_EQ(RunCommand({"ip", "-n", FabricNetns(), "link", "add", "br0", "type", "bridge"}), 0);
      ASSERT_EQ(RunCommand({"ip", "-n", FabricNetns(), "link", "set", "br0", "up"}), 0);
    }
    api_ = std::make_unique<kube::testing::TestApiProcess>(std::string(E2E_BIN_DIR) + "/kube-testapi", dir_ + "/api");
    ASSERT_EQ(api_->Start(), "");
    auto cfg = kube::LoadKubeconfig({api_->kubeconfig()});
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    auto client = kube::Client::FromConfig(*cfg);
    ASSERT_TRUE(client.ok()) << client.error().message;
    client_ = *client;
    for (const char* crd : {"crds/rdma.dev_rdmanodestates.yaml", "crds/rdma.dev_rdmanodepolicies.yaml",
                            "crds/rdma.dev_rdmanetworks.yaml"}) {
      CreateFrom(crd, kube::resources::CustomResourceDefinitions());
    }
  }
  void TearDown() override {
    operator_.reset();
    for (auto& n : nodes_) {
      n.kubelet.reset();
      // A stopped kubelet leaves its pods' namespaces, as a real one does;
      // these are the test's own (their names carry its temp dir).
      for (const auto& e : std::filesystem::directory_iterator("/run/netns")) {
        if (e.path().filename().string().rfind(NetnsPrefix(n), 0) == 0) {
          RunCommand({"ip", "netns", "del", e.path().filename().string()});
        }
      }
      n.agent.reset();
      if (n.sim) {
        EXPECT_TRUE(n.sim->Stop().ok());
      }
    }
    nodes_.clear();
    if (fabric_added_) RunCommand({"ip", "netns", "del", FabricNetns()});
    api_.reset();
    if (!dir_.empty() && !HasFailure()) std::filesystem::remove_all(dir_);
    if (HasFailure()) std::cerr << "kept " << dir_ << " for inspection\n";
  }

  // The one object in a YAML file of the source tree.
  json FromFile(const std::string& file) {
    std::string error;
    auto docs = api::ParseYamlDocuments(ReadFile(std::string(E2E_SOURCE_DIR) + "/" + file), &error);
    EXPECT_EQ(docs.size(), 1u) << file << ": " << error;
    return docs.empty() ? json() : docs[0];
  }
  void CreateFrom(const std::string& file, const kube::Resource& r) {
    json obj = FromFile(file);
    ASSERT_FALSE(obj.is_null()) << file;
    auto created = client_->Create(r, obj);
    ASSERT_TRUE(created.ok()) << file << ": " << created.error().message;
  }

  // The rdma-agent's --reboot-command: the simulated reboot.
  virtual std::string RebootCommand(const SimNode& n) { return "echo reboot > " + n.sim->host_root() + "/sim/control"; }

  // A labelled Node, its simulated NIC (a ConnectX-5 PF with SR-IOV off in
  // firmware), its agent and its kubelet. `before_agent` runs once the node
  // is up and before its agent starts (e.g. to change its firmware); with
  // start_agent false the caller starts the agent later (StartAgent).
  void AddNode(int i, const std::function<void(SimNode&)>& before_agent = {}, bool start_agent = true) {
    SimNode n;
    n.name = "node-" + std::to_string(i);
    n.pf = "0000:4" + std::to_string(i) + ":00.0";
    n.netdev = "ens" + std::to_string(i) + "f0";
    n.dir = dir_ + "/" + n.name;
    json node = {{"apiVersion", "v1"},
                 {"kind", "Node"},
                 {"metadata", {{"name", n.name}, {"labels", {{"rdma.dev/roce", "true"}}}}}};
    ASSERT_TRUE(client_->Create(kube::resources::Nodes(), node).ok());
    sim::SimNodeOptions o;
    o.bin_dir = E2E_BIN_DIR;
    o.work_dir = n.dir + "/sim";
    if (with_fabric_) {
      o.fabric_netns = FabricNetns();
      o.fabric_bridge = "br0";
    }
    o.config_json = json{{"pfs", {{{"pci", n.pf}, {"netdev", n.netdev}, {"mac", "b8:ce:f6:00:4" + std::to_string(i) + ":00"},
                                   {"max_vfs", 16}}}}}
                        .dump();
    auto sim = sim::SimNodeProcess::Start(o);
    ASSERT_TRUE(sim.ok()) << sim.error().message;
    n.sim = std::move(*sim);
    std::filesystem::create_directories(n.cdi_dir());
    nodes_.push_back(std::move(n));
    if (before_agent) before_agent(nodes_.back());
    StartKubelet(nodes_.back());
    // A node's kubelet is up before the agent's DaemonSet pod starts there:
    // the agent needs kubelet's device-plugins dir to serve its plugin.
    const std::string kubelet_sock = nodes_.back().kubelet_root() + "/device-plugins/kubelet.sock";
    WaitFor(
        nodes_.back().name + ": kubelet serves " + kubelet_sock,
        [&]() -> kube::Result<json> { return json(std::filesystem::exists(kubelet_sock)); },
        [](const json& up) { return up == true; });
    if (start_agent) StartAgent(nodes_.back());
  }

  void StartAgent(SimNode& n) {
    n.agent.reset();
    const std::string root = n.sim->host_root();
    std::vector<std::string> args = {"--kubeconfig", api_->kubeconfig(), "--node-name", n.name, "--host-root", root,
                                     "--journal-dir", n.dir + "/journal", "--mstconfig", "mstconfig",
                                     "--reboot-command", RebootCommand(n),
                                     "--health-address", "", "--vf-timeout-seconds", "10",
                                     "--simulated-rdma-netns-mode", root + "/sim/rdma_netns_mode",
                                     "--device-plugin-dir", n.kubelet_root() + "/device-plugins",
                                     "--cdi-dir", n.cdi_dir()};
    if (with_cni_) {
      std::filesystem::create_directories(n.agent_socket_dir());
      args.insert(args.end(), {"--cni-socket", n.agent_socket_dir() + "/cni.sock"});
    }
    std::string path = n.sim->mstconfig_dir() + ":" + (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
    n.agent = std::make_unique<AgentProcess>(std::string(E2E_BIN_DIR) + "/rdma-agent", args,
                                             std::vector<std::string>{"PATH=" + path, n.sim->mstconfig_env()},
                                             n.dir + "/agent.log");
    ASSERT_EQ(n.agent->Start(), "");
  }

  // sim-kubelet as a runtime with CDI on (the agent hands exclusive-mode VFs
  // out as CDI names); each node its own bridge and pod subnet.
  void StartKubelet(SimNode& n) {
    n.kubelet.reset();
    const int i = static_cast<int>(&n - nodes_.data()) + 1;
    std::vector<std::string> args = {"--node-name", n.name, "--root", n.kubelet_root(), "--kubeconfig",
                                     api_->kubeconfig(), "--host-root", n.sim->host_root(), "--cdi-dir",
                                     n.cdi_dir(), "--pod-cidr", "10.244." + std::to_string(i) + ".0/24",
                                     "--bridge", "cni" + std::to_string(i), "--plugin-grace-ms", "3000",
                                     "--pod-netns-prefix", NetnsPrefix(n)};
    if (with_cni_) {
      args.insert(args.end(), {"--cni-bin-dir", cni_bin_dir(), "--agent-socket-dir", n.agent_socket_dir()});
    }
    n.kubelet = std::make_unique<AgentProcess>(std::string(E2E_BIN_DIR) + "/sim-kubelet", args,
                                               std::vector<std::string>{},
                                               n.dir + "/kubelet-" + std::to_string(++n.kubelet_starts) + ".log");
    ASSERT_EQ(n.kubelet->Start(), "");
  }

  // The real rdma-operator; a restart appends to the same log.
  void StartOperator(const std::vector<std::string>& extra_flags = {}) {
    std::vector<std::string> args = {"--kubeconfig", api_->kubeconfig(), "--metrics-bind-address", "0",
                                     "--health-probe-bind-address", "0"};
    args.insert(args.end(), extra_flags.begin(), extra_flags.end());
    operator_ = std::make_unique<AgentProcess>(std::string(E2E_BIN_DIR) + "/rdma-operator", args,
                                               std::vector<std::string>{}, dir_ + "/operator.log");
    ASSERT_EQ(operator_->Start(), "");
  }

  std::string FabricNetns() const { return std::filesystem::path(dir_).filename().string() + "-fabric"; }
  std::string cni_bin_dir() const { return dir_ + "/cni-bin"; }

  std::string NetnsPrefix(const SimNode& n) const {
    return std::filesystem::path(dir_).filename().string() + "-" + n.name + "-";
  }

  // Polls `get` until `ok` holds; on timeout fails with the last object and
  // the logs of every process.
  json WaitFor(const std::string& what, const std::function<kube::Result<json>()>& get,
               const std::function<bool(const json&)>& ok, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    json last;
    for (;;) {
      auto got = get();
      if (got.ok()) {
        last = *got;
        if (ok(last)) return last;
      }
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval of a deadline-bounded wait
    }
    std::string logs;
    for (const auto& n : nodes_) {
      if (n.agent) logs += "\n--- " + n.name + " agent:\n" + Tail(n.agent->log_path());
      if (n.kubelet) logs += "\n--- " + n.name + " kubelet:\n" + Tail(n.kubelet->log_path());
    }
    if (operator_) logs += "\n--- operator:\n" + Tail(operator_->log_path(), 6000);
    ADD_FAILURE() << "timed out waiting for: " << what << "\nlast: " << last.dump(1).substr(0, 4000) << logs;
    return last;
  }
  json WaitForNodeState(const SimNode& n, const std::string& what, const std::function<bool(const json&)>& ok,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return WaitFor(what, [&] { return client_->Get(kNodeStates, "", n.name); }, ok, timeout);
  }
  json WaitForNode(const SimNode& n, const std::string& what, const std::function<bool(const json&)>& ok) {
    return WaitFor(what, [&] { return client_->Get(kube::resources::Nodes(), "", n.name); }, ok);
  }
  json WaitForPod(const std::string& name, const std::string& what, const std::function<bool(const json&)>& ok) {
    return WaitFor(what, [&] { return client_->Get(kube::resources::Pods(), "default", name); }, ok);
  }
  json WaitForPolicy(const std::string& name, const std::string& what, const std::function<bool(const json&)>& ok,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return WaitFor(what, [&] { return client_->Get(kPolicies, "", name); }, ok, timeout);
  }

  // A pod bound to node n (sim-kubelet runs it), asking for `count` VFs of
  // kResource (none for 0).
  json Pod(const std::string& name, const SimNode& n, int count, const json& labels = json::object()) {
    json container = {{"name", "rdma"}, {"image", "rdma-bench"}};
    if (count > 0) container["resources"] = {{"limits", {{kResource, std::to_string(count)}}}};
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", name}, {"namespace", "default"}}},
                {"spec", {{"nodeName", n.name}, {"containers", {container}}}}};
    if (!labels.empty()) pod["metadata"]["labels"] = labels;
    auto created = client_->Create(kube::resources::Pods(), pod);
    EXPECT_TRUE(created.ok()) << created.error().message;
    return created.ok() ? *created : json();
  }

  static std::string Allocatable(const json& node) {
    return node.value("/status/allocatable"_json_pointer, json::object()).value(kResource, "");
  }

  const std::string prefix_;
  // Set in the test's constructor. with_cni_: rdma-cni on every node (the
  // agent's --cni-socket, sim-kubelet's CNI dir with Debian's plugins and
  // rdma-cni, each node's socket at /run/rdma-agent for its plugins);
  // with_fabric_: the VFs of all nodes on one bridge (docs/simulator.md).
  bool with_cni_ = false, with_fabric_ = false;
  bool fabric_added_ = false;
  std::string dir_;
  std::unique_ptr<kube::testing::TestApiProcess> api_;
  std::shared_ptr<kube::Client> client_;
  std::vector<SimNode> nodes_;
  std::unique_ptr<AgentProcess> operator_;
};

}  // namespace e2e
