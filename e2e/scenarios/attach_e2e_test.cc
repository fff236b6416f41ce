// End-to-end scenarios of pod attachment, part 1 (the device plugin): the
// real rdma-operator, and per simulated node a sysfs-sim, an rdma-agent and
// a sim-kubelet, against kube-testapi. The user applies the RoCE policy from
// docs/examples as it is; the test grants the one reboot per node that the
// rollout controller will grant later, then checks what a user would: the
// Node's allocatable, pods that run with their VF's devices and env, a pod
// rejected for asking too much, a kubelet restart, a VF broken behind the
// agent's back, and a VF count change while a pod holds a VF.
//
// Like agent_e2e_test.cc the process runs in a network namespace of its own
// (entered in main), so veths, pod namespaces and the API server vanish with it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "agent/deviceplugin/proto/api.grpc.pb.h"
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
const kube::Resource kNodeStates{"rdma.dev", "v1alpha1", "rdmanodestates", "RdmaNodeState", false};
const kube::Resource kPolicies{"rdma.dev", "v1alpha1", "rdmanodepolicies", "RdmaNodePolicy", false};
constexpr char kResource[] = "rdma.dev/roce";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Tail(const std::string& path, size_t n = 2500) {
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
  std::string plugin_socket() const { return kubelet_root() + "/device-plugins/rdma.dev_roce.sock"; }
};

class AttachE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!g_can_run) GTEST_SKIP() << "needs root, /dev/fuse and network namespaces";
    char tmpl[] = "/tmp/attach-e2e-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    std::filesystem::create_directories(dir_ + "/api");
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
    api_.reset();
    if (!dir_.empty() && !HasFailure()) std::filesystem::remove_all(dir_);
    if (HasFailure()) std::cerr << "kept " << dir_ << " for inspection\n";
  }

  void CreateFrom(const std::string& file, const kube::Resource& r) {
    std::string error;
    auto docs = api::ParseYamlDocuments(ReadFile(std::string(E2E_SOURCE_DIR) + "/" + file), &error);
    ASSERT_EQ(docs.size(), 1u) << file << ": " << error;
    auto created = client_->Create(r, docs[0]);
    ASSERT_TRUE(created.ok()) << file << ": " << created.error().message;
  }

  // A labelled Node, its simulated NIC (a ConnectX-5 PF with SR-IOV off in
  // firmware), its agent and its kubelet.
  void AddNode(int i) {
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
    o.config_json = json{{"pfs", {{{"pci", n.pf}, {"netdev", n.netdev}, {"mac", "b8:ce:f6:00:4" + std::to_string(i) + ":00"},
                                   {"max_vfs", 16}}}}}
                        .dump();
    auto sim = sim::SimNodeProcess::Start(o);
    ASSERT_TRUE(sim.ok()) << sim.error().message;
    n.sim = std::move(*sim);
    std::filesystem::create_directories(n.cdi_dir());
    nodes_.push_back(std::move(n));
    StartKubelet(nodes_.back());
    StartAgent(nodes_.back());
  }

  void StartAgent(SimNode& n) {
    n.agent.reset();
    const std::string root = n.sim->host_root();
    std::vector<std::string> args = {"--kubeconfig", api_->kubeconfig(), "--node-name", n.name, "--host-root", root,
                                     "--journal-dir", n.dir + "/journal", "--mstconfig", "mstconfig",
                                     "--reboot-command", "echo reboot > " + root + "/sim/control",
                                     "--health-address", "", "--vf-timeout-seconds", "10",
                                     "--simulated-rdma-netns-mode", root + "/sim/rdma_netns_mode",
                                     "--device-plugin-dir", n.kubelet_root() + "/device-plugins",
                                     "--cdi-dir", n.cdi_dir()};
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
    n.kubelet = std::make_unique<AgentProcess>(std::string(E2E_BIN_DIR) + "/sim-kubelet", args,
                                               std::vector<std::string>{},
                                               n.dir + "/kubelet-" + std::to_string(++n.kubelet_starts) + ".log");
    ASSERT_EQ(n.kubelet->Start(), "");
  }

  void StartOperator() {
    operator_ = std::make_unique<AgentProcess>(
        std::string(E2E_BIN_DIR) + "/rdma-operator",
        std::vector<std::string>{"--kubeconfig", api_->kubeconfig(), "--metrics-bind-address", "0",
                                 "--health-probe-bind-address", "0"},
        std::vector<std::string>{}, dir_ + "/operator.log");
    ASSERT_EQ(operator_->Start(), "");
  }

  std::string NetnsPrefix(const SimNode& n) const {
    return std::filesystem::path(dir_).filename().string() + "-" + n.name + "-";
  }

  // Polls `get` until `ok` holds; on timeout fails with the last object and
  // the logs of every process.
  json WaitFor(const std::string& what, const std::function<kube::Result<json>()>& get,
               const std::function<bool(const json&)>& ok, std::chrono::milliseconds timeout = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    json last;
    for (;;) {
      auto got = get();
      if (got.ok()) {
        last = *got;
        if (ok(last)) return last;
      }
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(20ms);  // poll interval of a deadline-bounded wait
    }
    std::string logs;
    for (const auto& n : nodes_) {
      logs += "\n--- " + n.name + " agent:\n" + Tail(n.agent->log_path());
      logs += "\n--- " + n.name + " kubelet:\n" + Tail(n.kubelet->log_path());
    }
    if (operator_) logs += "\n--- operator:\n" + Tail(operator_->log_path());
    ADD_FAILURE() << "timed out waiting for: " << what << "\nlast: " << last.dump(1).substr(0, 4000) << logs;
    return last;
  }
  json WaitForNodeState(const SimNode& n, const std::string& what, const std::function<bool(const json&)>& ok,
                        std::chrono::milliseconds timeout = 30s) {
    return WaitFor(what, [&] { return client_->Get(kNodeStates, "", n.name); }, ok, timeout);
  }
  json WaitForNode(const SimNode& n, const std::string& what, const std::function<bool(const json&)>& ok) {
    return WaitFor(what, [&] { return client_->Get(kube::resources::Nodes(), "", n.name); }, ok);
  }
  json WaitForPod(const std::string& name, const std::string& what, const std::function<bool(const json&)>& ok) {
    return WaitFor(what, [&] { return client_->Get(kube::resources::Pods(), "default", name); }, ok);
  }

  static std::string Allocatable(const json& node) {
    return node.value("/status/allocatable"_json_pointer, json::object()).value(kResource, "");
  }

  // The docs' policy on every node, until every node advertises its VF.
  // Nobody grants the firmware reboot each node needs by hand: the
  // operator's rollout drains the node, grants it, and uncordons.
  void RollOutTheDocsPolicy() {
    StartOperator();
    CreateFrom("docs/examples/roce-policy.yaml", kPolicies);
    for (auto& n : nodes_) {
      WaitForNodeState(n, n.name + ": the operator wrote the policy into the spec", [](const json& o) {
        return o.value("/spec/interfaces/0/numVfs"_json_pointer, -1) == 1;
      });
    }
    for (auto& n : nodes_) {
      WaitForNodeState(
          n, n.name + ": applied, exclusive mode",
          [](const json& o) {
            return o.value("/status/syncState"_json_pointer, "") == "Succeeded" &&
                   o.value("/status/rdmaNamespaceMode"_json_pointer, "") == "Exclusive" &&
                   o.value("/status/interfaces/0/vfs"_json_pointer, json::array()).size() == 1;
          },
          60s);
      WaitForNode(n, n.name + ": allocatable rdma.dev/roce 1", [](const json& node) { return Allocatable(node) == "1"; });
      WaitForNodeState(n, n.name + ": the rollout finished and took its grant back", [](const json& o) {
        const std::string record = o.value("/metadata/annotations/rdma.dev~1rollout"_json_pointer, "");
        return record.find("\"result\":\"Done\"") != std::string::npos &&
               record.find("\"step\":\"Idle\"") != std::string::npos && !o["spec"].contains("disruption");
      });
      WaitForNode(n, n.name + ": uncordoned", [](const json& node) {
        return !node.value("/spec/unschedulable"_json_pointer, false);
      });
    }
  }

  json Pod(const std::string& name, const SimNode& n, int count) {
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", name}, {"namespace", "default"}}},
                {"spec",
                 {{"nodeName", n.name},
                  {"containers",
                   {{{"name", "rdma"},
                     {"image", "rdma-bench"},
                     {"resources", {{"limits", {{kResource, std::to_string(count)}}}}}}}}}}};
    auto created = client_->Create(kube::resources::Pods(), pod);
    EXPECT_TRUE(created.ok()) << created.error().message;
    return created.ok() ? *created : json();
  }

  // What sim-kubelet's "container" got (env, device nodes), as a runtime would give it.
  json ContainerRecord(const SimNode& n, const json& pod) {
    return json::parse(ReadFile(n.kubelet_root() + "/pods/" + kube::UidOf(pod) + "/rdma.json"), nullptr, false);
  }

  // The VF of node n as the node state reports it.
  json Vf(const SimNode& n) {
    auto o = client_->Get(kNodeStates, "", n.name);
    return o.ok() ? o->value("/status/interfaces/0/vfs/0"_json_pointer, json::object()) : json::object();
  }

  std::string dir_;
  std::unique_ptr<kube::testing::TestApiProcess> api_;
  std::shared_ptr<kube::Client> client_;
  std::vector<SimNode> nodes_;
  std::unique_ptr<AgentProcess> operator_;
};

// A device list as ListAndWatch sends it: id -> health.
std::map<std::string, std::string> Devices(const v1beta1::ListAndWatchResponse& r) {
  std::map<std::string, std::string> out;
  for (const auto& d : r.devices()) out[d.id()] = d.health();
  return out;
}

TEST_F(AttachE2E, PodsGetTheirVfsDevicesAndEnvAndOnlyWhatIsFree) {
  nodes_.reserve(2);
  AddNode(1);
  AddNode(2);
  RollOutTheDocsPolicy();

  // A pod asking for one VF runs on each node, with that node's VF.
  for (auto& n : nodes_) {
    json pod = Pod("rdma-" + n.name, n, 1);
    pod = WaitForPod(pod["metadata"]["name"], n.name + ": pod Running",
                     [](const json& p) { return p.value("/status/phase"_json_pointer, "") == "Running"; });
    EXPECT_FALSE(pod.value("/status/podIP"_json_pointer, "").empty()) << "primary network from Debian's bridge plugin";
    json vf = Vf(n);
    json rec = ContainerRecord(n, pod);
    ASSERT_FALSE(rec.is_discarded()) << "no container record";
    EXPECT_EQ(rec["env"].value("PCIDEVICE_RDMA_DEV_ROCE", ""), vf.value("pciAddress", "?"));
    json info = json::parse(rec["env"].value("PCIDEVICE_RDMA_DEV_ROCE_INFO", "{}"));
    EXPECT_EQ(info[vf.value("pciAddress", "")]["rdma"]["rdma_dev"], vf.value("rdmaDevice", "?"));
    // The uverbs device node came through CDI with the numbers of the
    // node's /dev/infiniband node for this VF; rdma_cm as a DeviceSpec.
    struct stat st {};
    const std::string uverbs = vf.value("uverbsDevice", "?");  // /dev/infiniband/uverbsN
    ASSERT_EQ(::stat((n.sim->host_root() + uverbs).c_str(), &st), 0) << uverbs;
    bool got_uverbs = false, got_cm = false;
    for (const auto& d : rec["devices"]) {
      if (d.value("containerPath", "") == uverbs) {
        got_uverbs = true;
        EXPECT_EQ(d.value("type", ""), "c");
        EXPECT_EQ(d.value("major", -1), static_cast<int>(major(st.st_rdev)));
        EXPECT_EQ(d.value("minor", -1), static_cast<int>(minor(st.st_rdev)));
        EXPECT_EQ(d.value("cdi", ""), "rdma.dev/vf=" + [&] {
          std::string s = vf.value("pciAddress", "");
          std::replace(s.begin(), s.end(), ':', '-');
          return s;
        }());
      }
      if (d.value("containerPath", "") == "/dev/infiniband/rdma_cm") {
        got_cm = true;
        EXPECT_EQ(d.value("major", -1), 10);
      }
    }
    EXPECT_TRUE(got_uverbs) << rec.dump(1);
    EXPECT_TRUE(got_cm) << rec.dump(1);
  }

  // Nothing is free on node-1 now: the next pod is rejected as kubelet does.
  SimNode& n1 = nodes_[0];
  Pod("too-many", n1, 1);
  json rejected = WaitForPod("too-many", "rejected", [](const json& p) {
    return p.value("/status/phase"_json_pointer, "") == "Failed";
  });
  EXPECT_EQ(rejected.value("/status/reason"_json_pointer, ""), "UnexpectedAdmissionError");
  EXPECT_NE(rejected.value("/status/message"_json_pointer, "").find("Requested: 1, Available: 0"), std::string::npos)
      << rejected["status"].dump();
  // Asking for more than the node has gets the same answer: a real kubelet
  // runs the device manager's admission before the node-allocatable check
  // (ATTACH-FACTS.md §1, observed), so OutOfrdma.dev/roce is only for a
  // resource no plugin serves.
  Pod("more-than-the-node-has", n1, 2);
  json out = WaitForPod("more-than-the-node-has", "rejected",
                        [](const json& p) { return p.value("/status/phase"_json_pointer, "") == "Failed"; });
  EXPECT_EQ(out.value("/status/reason"_json_pointer, ""), "UnexpectedAdmissionError");
  EXPECT_NE(out.value("/status/message"_json_pointer, "").find("Requested: 2, Available: 0"), std::string::npos)
      << out["status"].dump();

  // Kubelet restarts: the plugin re-registers, the allocation stays, the
  // Node shows its allocatable again and the pod keeps running.
  const std::string held_by = Vf(n1).value("pciAddress", "");
  ASSERT_EQ(n1.kubelet->Stop(), 0);
  StartKubelet(n1);
  WaitFor(
      "the restarted kubelet has the plugin registered again",
      [&]() -> kube::Result<json> { return json(ReadFile(n1.kubelet->log_path())); },
      [](const json& log) {
        return log.get<std::string>().find("op=register resource=rdma.dev/roce") != std::string::npos;
      });
  WaitForNode(n1, "allocatable back after the kubelet restart", [](const json& node) { return Allocatable(node) == "1"; });
  EXPECT_NE(ReadFile(n1.agent->log_path()).find("op=device-plugin-socket-deleted resource=rdma.dev/roce"),
            std::string::npos);
  json checkpoint = json::parse(ReadFile(n1.kubelet_root() + "/device-plugins/kubelet_internal_checkpoint"));
  EXPECT_NE(checkpoint.dump().find(held_by), std::string::npos) << checkpoint.dump(1);
  Pod("still-full", n1, 1);
  json again = WaitForPod("still-full", "rejected after the restart too",
                          [](const json& p) { return p.value("/status/phase"_json_pointer, "") == "Failed"; });
  EXPECT_EQ(again.value("/status/reason"_json_pointer, ""), "UnexpectedAdmissionError")
      << "the restarted kubelet kept the allocation: " << again["status"].dump();
}

// The GUID of a VF zeroed behind the agent's back (as a driver reload or
// someone's `ip link set ... node_guid` would): the plugin reports the VF
// Unhealthy within a second and Healthy again once the agent has set its
// GUID back. Read from the plugin's ListAndWatch stream, as kubelet reads it.
TEST_F(AttachE2E, AVfWhoseGuidIsZeroedTurnsUnhealthyAndBack) {
  nodes_.reserve(1);
  AddNode(1);
  RollOutTheDocsPolicy();
  SimNode& n = nodes_[0];
  const json vf = Vf(n);
  const std::string pci = vf.value("pciAddress", "");
  const std::string good_guid = vf.value("nodeGuid", "");

  auto channel = grpc::CreateChannel("unix://" + n.plugin_socket(), grpc::InsecureChannelCredentials());
  auto stub = v1beta1::DevicePlugin::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 30s);
  auto reader = stub->ListAndWatch(&ctx, v1beta1::Empty());
  v1beta1::ListAndWatchResponse resp;
  ASSERT_TRUE(reader->Read(&resp));
  ASSERT_EQ(Devices(resp)[pci], "Healthy");

  // Zero the admin GUID and re-probe the VF, as the kernel would show it.
  const std::string sys = n.sim->sysfs_root();
  std::ofstream(sys + "/class/net/" + n.netdev + "/device/sriov/0/node") << "00:00:00:00:00:00:00:00";
  std::ofstream(sys + "/bus/pci/drivers/mlx5_core/unbind") << pci;
  const auto broken_at = std::chrono::steady_clock::now();
  std::ofstream(sys + "/bus/pci/drivers/mlx5_core/bind") << pci;

  bool saw_unhealthy = false;
  std::chrono::milliseconds unhealthy_after{0};
  while (reader->Read(&resp)) {
    const std::string health = Devices(resp)[pci];
    if (health == "Unhealthy" && !saw_unhealthy) {
      saw_unhealthy = true;
      unhealthy_after = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - broken_at);
    }
    if (saw_unhealthy && health == "Healthy") break;
  }
  ASSERT_TRUE(saw_unhealthy) << "stream ended: " << Tail(n.agent->log_path());
  EXPECT_LT(unhealthy_after, 1000ms);
  EXPECT_EQ(Devices(resp)[pci], "Healthy") << "the agent fixed the GUID";
  ctx.TryCancel();
  WaitForNodeState(n, "the agent set the GUID back", [&](const json& o) {
    return o.value("/status/interfaces/0/vfs/0/nodeGuid"_json_pointer, "") == good_guid;
  });
}

// numVfs lowered while a pod holds the VF (its netdev in the pod's
// namespace, where pod attachment 2/2 will put it; here moved by hand as the
// seed write-up did): the agent waits for the drain, the VF turns Unhealthy
// so kubelet hands it to no new pod, and the pod keeps running.
// The operator's rollout drains only what the change needs: the pod holding
// a VF of the resource is evicted, then the VFs go, and the node is
// uncordoned.
TEST_F(AttachE2E, LoweringNumVfsWhileAPodHoldsAVfDrainsThatPodFirst) {
  nodes_.reserve(1);
  AddNode(1);
  RollOutTheDocsPolicy();
  SimNode& n = nodes_[0];
  json pod = Pod("holder", n, 1);
  pod = WaitForPod("holder", "Running", [](const json& p) { return p.value("/status/phase"_json_pointer, "") == "Running"; });
  const std::string netns = NetnsPrefix(n) + kube::UidOf(pod);
  const std::string vf_netdev = Vf(n).value("name", "");
  ASSERT_FALSE(vf_netdev.empty());
  ASSERT_EQ(RunCommand({"ip", "link", "set", vf_netdev, "netns", netns}), 0);

  json patch = {{"spec", {{"numVfs", 0}}}};
  ASSERT_TRUE(client_->Patch(kPolicies, "", "roce-cx5", kube::PatchType::kMerge, patch).ok());
  WaitForNodeState(n, "the rollout drains the node for the VF count change", [](const json& o) {
    const std::string record = o.value("/metadata/annotations/rdma.dev~1rollout"_json_pointer, "");
    return o.value("/spec/interfaces/0/numVfs"_json_pointer, -1) == 0 &&
           record.find("\"kind\":\"Drain\"") != std::string::npos &&
           record.find("rdma.dev/") != std::string::npos;  // numVfs 0: every rdma.dev resource
  });
  WaitFor(
      "the pod holding the VF is evicted and gone",
      [&]() -> kube::Result<json> {
        auto p = client_->Get(kube::resources::Pods(), "default", "holder");
        if (!p.ok() && kube::IsNotFound(p.error())) return json{{"gone", true}};
        return p;
      },
      [](const json& p) { return p.contains("gone"); });
  WaitForNodeState(n, "the VFs are removed and the node state is applied", [](const json& o) {
    return o.value("/status/syncState"_json_pointer, "") == "Succeeded" &&
           o.value("/status/interfaces/0/numVfs"_json_pointer, -1) == 0;
  });
  WaitForNodeState(n, "the rollout is done", [](const json& o) {
    return o.value("/metadata/annotations/rdma.dev~1rollout"_json_pointer, "").find("\"result\":\"Done\"") !=
           std::string::npos;
  });
  WaitForNode(n, "uncordoned", [](const json& node) { return !node.value("/spec/unschedulable"_json_pointer, false); });
}

}  // namespace
}  // namespace e2e

int main(int argc, char** argv) { return e2e::RunTestsInPrivateNetns(argc, argv, "attach-e2e-", &e2e::g_can_run); }
