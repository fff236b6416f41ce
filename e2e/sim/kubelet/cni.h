// Pod networking for sim-kubelet: runs real CNI plugin binaries the way a
// container runtime (libcni) runs the cluster network and the way thin Multus
// runs secondary networks (ATTACH-FACTS.md §2, §3): the CNI_* environment,
// one JSON config on stdin, conflists with prevResult chaining, deviceID and
// pciBusID injected into every plugin, runtimeConfig only for declared
// capabilities, a cache of what ADD sent so DEL needs nothing else, roll back
// of earlier networks when a later ADD fails, and DEL in reverse order.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace simkubelet {

using json = nlohmann::json;

// One element of the pod's k8s.v1.cni.cncf.io/networks annotation.
struct NetworkSelection {
  std::string name, ns;  // the NetworkAttachmentDefinition
  std::string ifname;    // "" = net<index>
  json cni_args;         // "cni-args", null if absent
  std::string mac;
  std::vector<std::string> ips;
};

// Parses the annotation in either form Multus accepts: "a, ns/b@eth5" or a
// JSON list of {name, namespace, interface, cni-args, mac, ips}. "" or an
// error naming what is wrong. Missing namespaces become pod_ns.
std::string ParseNetworkSelections(const std::string& annotation, const std::string& pod_ns,
                                   std::vector<NetworkSelection>* out);

// The NAD's spec.config with Multus' edits: top-level "deviceID" and
// "pciBusID" (for a conflist: in every plugin) when device_id is not empty,
// plus args.cni from the selection's cni-args.
json DelegateConfig(const json& nad_config, const std::string& device_id, const json& cni_args);

// Who the CNI calls are for (CNI_CONTAINERID, CNI_NETNS, CNI_ARGS).
struct PodSandbox {
  std::string container_id;  // sandbox ID
  std::string netns;         // /run/netns/<name>; "" on a DEL after the netns is gone
  std::string pod_namespace, pod_name, pod_uid;
};

// A network to attach: a single plugin config or a conflist.
struct Attachment {
  std::string network;  // for logs and the cache
  std::string ifname;
  json config;
  std::string device_id;  // for runtimeConfig.deviceID
};

class PodNetworker {
 public:
  // bin_dir: CNI_PATH (Debian: /usr/lib/cni); cache_dir: where ADD records
  // what it sent (one file per sandbox).
  // agent_socket_dir (sim only, "" = off): every plugin runs in a private
  // mount namespace with this dir bind-mounted over kAgentSocketMount, so
  // rdma-cni finds its own node's rdma-agent at the default socket path
  // although all simulated nodes share one file system (docs/simulator.md).
  PodNetworker(std::string bin_dir, std::string cache_dir, std::string agent_socket_dir = "");

  // ADDs every attachment in order. On a failure the ones already added are
  // DELed in reverse and the error names the network, plugin and the
  // plugin's CNI error. Results (one per attachment) go to *results.
  std::string Add(const PodSandbox& sb, const std::vector<Attachment>& attachments, std::vector<json>* results);
  // DELs what the cache says ADD did, last network first, inside a conflist
  // last plugin first, each with its ADD-time config and prevResult. A
  // missing cache is success (nothing was added). The cache is removed only
  // when every DEL succeeded.
  std::string Del(const PodSandbox& sb);

 private:
  std::string CachePath(const std::string& container_id) const;
  std::string Exec(const std::string& command, const PodSandbox& sb, const std::string& ifname, const json& conf,
                   json* result) const;

  std::string bin_dir_, cache_dir_, agent_socket_dir_;
};

// Where a node's rdma-agent socket dir is mounted for plugins: the dir of
// rdma-cni's default socket (agent/cni/protocol.h kDefaultAgentSocket).
inline constexpr char kAgentSocketMount[] = "/run/rdma-agent";

// First IPv4/IPv6 address (without prefix length) of a CNI result, or "".
std::string FirstIp(const json& result);

}  // namespace simkubelet
