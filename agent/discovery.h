// Discovery: every RDMA-capable PF (Mellanox/NVIDIA, vendor 0x15b3) and its
// VFs as sysfs and netlink show them, in the form RdmaNodeState.status
// reports them. Read-only.
//
// Topology (PCI functions, virtfnN links, drivers, RDMA and uverbs devices,
// GUIDs, sriov_* counts) comes from sysfs; link attributes (MTU, MAC, state)
// from netlink. Missing or odd files never stop discovery: the field stays
// empty and a warning naming the file says why (the caller logs it at debug
// level; apply reports what it cannot do as an error).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/host/netlink.h"
#include "agent/host/sysfs.h"
#include "api/rdma_node_state.h"

namespace agent {

struct Discovered {
  std::vector<api::InterfaceStatus> interfaces;  // sorted by PCI address; firmware unset
  std::vector<std::string> warnings;
};

class Discovery {
 public:
  // netlink may be null (then MTU, MAC and link state stay unknown).
  Discovery(host::Sysfs& sysfs, host::Netlink* netlink) : sysfs_(sysfs), netlink_(netlink) {}

  Discovered Run();
  // One PF by PCI address; nullopt when it is not there. Without with_vfs
  // the VF list stays empty (cheaper: apply needs only the PF's own facts).
  std::optional<api::InterfaceStatus> Pf(const std::string& pci, std::vector<std::string>* warnings,
                                         bool with_vfs = true);
 private:
  struct Links;
  std::optional<api::InterfaceStatus> PfWith(const std::string& pci, const Links& links, std::vector<std::string>* w,
                                             bool with_vfs = true);
  std::optional<api::VfStatus> VfWith(const std::string& pf_pci, int index, const Links& links,
                                      std::vector<std::string>* w);
  Links ReadLinks(std::vector<std::string>* w);

  host::Sysfs& sysfs_;
  host::Netlink* netlink_;
};

// Where PCI functions are, under the sysfs root.
inline constexpr char kPciDevices[] = "bus/pci/devices/";

// Helpers shared with apply: the PCI address of VF `index` of a PF (its
// virtfn<index> link); an error when the PF has no such VF.
host::Result<std::string> VfAddress(host::Sysfs& sysfs, const std::string& pf_pci, int index);
// A PCI function's first entry under <dir>, e.g.
// its netdev ("net"), RDMA device ("infiniband") or uverbs ("infiniband_verbs");
// "" when there is none.
std::string FirstEntry(host::Sysfs& sysfs, const std::string& pci, const std::string& dir);
// The node GUID of a PCI function's RDMA device; 0 when it has none or the
// file is unreadable.
uint64_t ReadNodeGuid(host::Sysfs& sysfs, const std::string& pci);
// An integer sysfs attribute; an error naming the file when missing or not a number.
host::Result<int> ReadInt(host::Sysfs& sysfs, const std::string& path);

}  // namespace agent
