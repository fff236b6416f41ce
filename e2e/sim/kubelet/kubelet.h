// simkubelet::Kubelet is sim-kubelet's pod side (ATTACH-FACTS.md §7.2): it
// watches the Pods bound to its node (spec.nodeName; there is no scheduler),
// admits them (device manager first, then node allocatable for other
// extended resources, with kubelet's reasons and messages), creates the pod's
// network namespace and networks (PodNetworker), checks every DeviceSpec host
// path as a container runtime would, writes pod status, and on
// deletionTimestamp stops the pod, runs CNI DEL, removes the netns and
// deletes the Pod with grace 0. It also keeps the Node's status.capacity and
// status.allocatable in step with the device manager.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>

#include <nlohmann/json.hpp>

#include "e2e/sim/kubelet/cni.h"
#include "e2e/sim/kubelet/device_manager.h"
#include "kube/client.h"

namespace simkubelet {

struct KubeletOptions {
  std::string node_name;
  std::string root;  // <root>/pods (what each "container" got), <root>/cni (cache, IPAM)
  std::string cni_bin_dir = "/usr/lib/cni";
  // Sim only: this node's rdma-agent socket dir, bind-mounted over
  // /run/rdma-agent for every CNI plugin (PodNetworker); "" = off.
  std::string agent_socket_dir;
  // Primary (cluster) network: Debian's bridge + host-local over this subnet;
  // "" = pods get no primary network.
  std::string pod_cidr;
  std::string bridge = "cni0";
  // Pod network namespaces are /run/netns/<netns_prefix><pod uid>. Off only
  // in unit tests that cannot create namespaces.
  bool create_netns = true;
  std::string netns_prefix;  // default "<node_name>-"
  // DeviceSpec host paths are looked up under this prefix ("" = as given),
  // so a simulated node's dev/ tree can stand in for /dev.
  std::string host_root;
  // A runtime with CDI on (containerd >= 1.7 with enable_cdi, 2.x, CRI-O):
  // Allocate's CDI names are resolved from the spec files in this dir, and
  // an unknown name fails the container. "" = Debian's containerd 1.6,
  // which drops CDI names silently (ATTACH-FACTS.md §7.3).
  std::string cdi_dir;
};

class Kubelet {
 public:
  Kubelet(std::shared_ptr<kube::Client> client, DeviceManager* dm, KubeletOptions options);

  // Lists and watches this node's pods until stop; meanwhile writes the Node
  // status whenever the device manager reports a change.
  void Run(std::stop_token stop);
  // One pod as seen in the API: whatever kubelet would do next for it.
  void HandlePod(const nlohmann::json& pod);
  // The pod object is gone from the API (e.g. force-deleted): tear down.
  void PodGone(const nlohmann::json& pod);
  // Writes status.capacity/allocatable (merge patch on the status
  // subresource), registering the Node first if it does not exist.
  kube::Status SyncNode();
  // Asks Run's node writer to SyncNode soon (safe from any thread).
  void MarkNodeDirty();

  std::string NetnsName(const std::string& pod_uid) const;

 private:
  struct PodRecord {
    std::string ns, name, uid;
    bool sandbox = false;  // netns and networks exist
    bool terminal = false;
    std::map<std::string, int64_t> extended;  // extended-resource requests
  };
  AdmitResult AdmitPod(const nlohmann::json& pod, const std::vector<ContainerRequest>& requests);
  std::string StartSandbox(const nlohmann::json& pod, std::string* pod_ip);
  std::string Teardown(const PodRecord& rec);
  void WriteStatus(const nlohmann::json& pod, const nlohmann::json& status);
  void NodeWriter(std::stop_token stop);

  std::shared_ptr<kube::Client> client_;
  DeviceManager* dm_;
  KubeletOptions options_;
  PodNetworker networker_;
  std::map<std::string, PodRecord> pods_;  // by uid; only the watch thread touches it
  std::mutex node_mu_;
  std::condition_variable_any node_cv_;
  bool node_dirty_ = true;
};

// Extended-resource requests of every container (limits win, as for
// extended resources requests must equal limits).
std::vector<ContainerRequest> ExtendedRequests(const nlohmann::json& pod);

}  // namespace simkubelet
