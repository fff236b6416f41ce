// End-to-end scenarios of pod attachment, part 1 (the device plugin): the
// real rdma-operator, and per simulated node a sysfs-sim, an rdma-agent and
// a sim-kubelet, against kube-testapi. The user applies the RoCE policy from
// docs/examples as it is; the operator's rollout drains each node and grants
// its one firmware reboot. Then it checks what a user would: the Node's
// allocatable, pods that run with their VF's devices and env, a pod
// rejected for asking too much, a kubelet restart, a VF broken behind the
// agent's back, and a VF count change while a pod holds a VF (the rollout
// evicts that pod first).
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
#include "e2e/scenarios/agent_process.h"
#include "e2e/scenarios/private_netns.h"
#include "e2e/scenarios/sim_cluster.h"
#include "kube/client.h"

namespace e2e {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

class AttachE2E : public SimCluster {
 protected:
  AttachE2E() : SimCluster("attach-e2e") {}

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

  // What sim-kubelet's "container" got (env, device nodes), as a runtime would give it.
  json ContainerRecord(const SimNode& n, const json& pod) {
    return json::parse(ReadFile(n.kubelet_root() + "/pods/" + kube::UidOf(pod) + "/rdma.json"), nullptr, false);
  }

  // The VF of node n as the node state reports it.
  json Vf(const SimNode& n) {
    auto o = client_->Get(kNodeStates, "", n.name);
    return o.ok() ? o->value("/status/interfaces/0/vfs/0"_json_pointer, json::object()) : json::object();
  }
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
