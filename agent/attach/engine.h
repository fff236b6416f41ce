// AttachEngine: rdma-agent's side of rdma-cni. For one validated CNI call
// (agent/cni/wire.h) it puts a VF into a pod's network namespace, or takes
// it out again, and keeps the record of what it did (attachments.h).
//
// ADD: find the VF by PCI address in sysfs (never by a saved name); refuse
// it while another attachment holds it in a namespace that still exists;
// set the network's VF settings on the PF (vlan, mac, rate, spoofchk,
// trust, link state, in sriov-cni's order); move the netdev into the pod in
// one rtnetlink message that also names it CNI_IFNAME and sets the MTU
// (refused up front when the pod already has CNI_IFNAME); give it an
// address from this node's block of the RdmaNetwork, the routes, and bring
// it up. A failing step undoes the earlier ones, also a move the kernel
// did before refusing the MTU or the name.
// DEL: keyed by (container ID, ifname), never by device, so an old pod's
// late DEL cannot touch a VF since given to a new pod. It restores the PF
// settings, returns the netdev to the host under its old name with its old
// MTU in one message (as the kernel's dev%d when another link has taken the
// name; also renamed when the kernel already brought it back as
// dev<ifindex>), releases the address; it succeeds when there is nothing
// (left) to do.
// Operations on VFs of one PF are serialised; different PFs run in parallel.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/attach/attachments.h"
#include "agent/attach/netconf.h"
#include "agent/cni/protocol.h"
#include "agent/host/netlink.h"
#include "agent/host/netns.h"
#include "agent/host/sysfs.h"
#include "api/rdma_node_state.h"

namespace attach {

// The agent's error codes (the CNI spec leaves 100 and up to plugins;
// cni::kBadAgentReply is 100).
inline constexpr int kUnknownDevice = 101;  // deviceID is no VF of this node, or its netdev is not in the host
inline constexpr int kDeviceInUse = 102;    // another attachment holds the VF in a live namespace
inline constexpr int kNoAddress = 103;      // no block of the network on this node, or every address held
inline constexpr int kHostFailure = 104;    // a netlink, sysfs or state-file step failed
inline constexpr int kNotAttached = 105;    // CHECK: nothing attached as asked
// STATUS of CNI 1.1: "the plugin is not available".
inline constexpr int kPluginNotAvailable = 50;

struct EngineHost {
  host::Sysfs& sysfs;
  host::Netlink& netlink;  // the agent's own network namespace (the host's)
  // A netlink bound to the namespace of an open netns fd
  // (host::RealNetlink::OpenInNetns on a node).
  std::function<host::Result<std::unique_ptr<host::Netlink>>(int netns_fd)> open_netlink_in;
};

struct EngineOptions {
  // This node's IP blocks (RdmaNodeState spec.ipBlocks) as of now.
  std::function<std::vector<api::IpBlock>()> ip_blocks = [] { return std::vector<api::IpBlock>{}; };
  // "" when the node's apply is Ready, else why not (for STATUS).
  std::function<std::string()> not_ready = [] { return std::string(); };
};

// Where a VF is, from sysfs.
struct VfLocation {
  std::string pci;
  std::string pf_pci;
  std::string pf_netdev;
  uint32_t vf = 0;
  std::string netdev;  // in the host namespace; "" when not there
};

class AttachEngine {
 public:
  AttachEngine(EngineHost host, AttachmentStore& store, EngineOptions options = {});

  // Loads the records and undoes every ADD the agent died in (phase
  // Adding). Call once, before serving.
  host::Status Start();

  // Any command but VERSION (the shim answers that). The result is the ADD
  // result, or null for the others.
  cni::Result<nlohmann::json> Handle(const cni::Invocation& invocation);

  // Tears down every attachment `gone` says is gone (its pod no longer on
  // this node), as a DEL would. Returns what it removed.
  std::vector<Attachment> Collect(const std::function<bool(const Attachment&)>& gone);

  host::Result<VfLocation> LocateVf(const std::string& pci);

 private:
  cni::Result<nlohmann::json> Add(const cni::Invocation& invocation);
  cni::Result<nlohmann::json> Del(const cni::Invocation& invocation);
  cni::Result<nlohmann::json> Check(const cni::Invocation& invocation);
  cni::Result<nlohmann::json> Gc(const cni::Invocation& invocation);
  cni::Result<nlohmann::json> AddLocked(const cni::Invocation& invocation, const NetConf& conf,
                                        const VfLocation& vf);

  // What a DEL does for one record, with the PF's lock held. Best effort:
  // every step runs; the errors are joined in the Status.
  host::Status Teardown(const Attachment& a);
  // The netdev `name` in `from` (a pod's netlink) back to the host as
  // host_ifname with host_mtu, in one move; as the kernel's dev%d when
  // another link has taken host_ifname (an error saying so).
  host::Status ReturnToHost(host::Netlink& from, const std::string& name, const Attachment& a);
  host::Status RestorePfSettings(const Attachment& a);

  std::mutex& PfLock(const std::string& pf_pci);
  // The lock of a VF's PF as sysfs shows it now (one shared lock for a VF
  // that is gone).
  std::mutex& PfLockOf(const std::string& vf_pci);
  std::vector<api::IpRange> BlocksOf(const NetConf& conf, std::string* why_none);

  EngineHost host_;
  AttachmentStore& store_;
  EngineOptions options_;
  host::NetnsFd home_;  // the agent's namespace, where netdevs return to
  std::mutex locks_mu_;
  std::map<std::string, std::unique_ptr<std::mutex>> pf_locks_;
};

// The CNI result for one attached interface, for the config's cniVersion;
// appended to prevResult when there is one.
nlohmann::json BuildResult(const std::string& cni_version, const nlohmann::json& prev_result, const std::string& ifname,
                           const std::string& mac, const std::string& netns, const std::string& pci,
                           const std::string& address_cidr, const NetConf& conf);

}  // namespace attach
