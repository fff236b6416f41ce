// The device plugin's pure core: which VFs each resource advertises and
// whether each is Healthy (BuildInventory), which free VFs kubelet should
// pick (PreferDevices), what a container gets for the VFs it was given
// (ContainerResponse), and the CDI spec for exclusive mode (CdiSpec).
// No gRPC and no host access here: the manager (plugin_manager.h) feeds in
// the node state the agent just reported plus a few sysfs facts it read
// (VfExtras), and serves the results. See docs/agent.md "Device plugin".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/deviceplugin/proto/api.pb.h"
#include "api/rdma_node_state.h"

namespace deviceplugin {

inline constexpr char kHealthy[] = "Healthy";
inline constexpr char kUnhealthy[] = "Unhealthy";
inline constexpr char kRdmaCmPath[] = "/dev/infiniband/rdma_cm";
inline constexpr char kCdiKind[] = "rdma.dev/vf";
// hostPath in deviceNodes needs CDI 0.5.0; nothing here needs more, and an
// older runtime refuses a spec that declares a newer version than it knows.
inline constexpr char kCdiVersion[] = "0.5.0";

// What sysfs says about one VF beyond the node state's status (the manager
// reads these; tests write them).
struct VfExtras {
  int numa_node = -1;       // bus/pci/devices/<vf>/numa_node; -1: none
  std::string uverbs_dev;   // "231:192" from infiniband_verbs/<uverbs>/dev
  std::string umad;         // "umad2" (first entry of infiniband_mad/), "" if none
  std::string umad_dev;     // "231:2"
};

// One VF as a device-plugin device.
struct VfDevice {
  std::string id;  // the VF's PCI address (kubelet's device ID)
  std::string pf;  // its PF's PCI address
  int32_t index = 0;
  std::string rdma_device;  // mlx5_N
  std::string uverbs;       // uverbsN (the status has /dev/infiniband/uverbsN)
  std::string uverbs_dev;   // major:minor
  std::string umad;         // umadN, "" when the group does not hand it out or there is none
  std::string umad_dev;
  int numa_node = -1;
  std::string why_unhealthy;  // "" when the VF may be handed out
  bool healthy() const { return why_unhealthy.empty(); }
  // The VF's netdev is not in the host's namespace: a pod has it, or its
  // last pod's teardown has not given it back yet.
  bool away = false;

  bool operator==(const VfDevice&) const = default;
};

struct ResourceDevices {
  std::string resource;  // resourceName without the rdma.dev/ prefix
  bool exclusive = false;  // the host's RDMA namespace mode is Exclusive
  std::vector<VfDevice> devices;  // by PCI address

  bool operator==(const ResourceDevices&) const = default;
  const VfDevice* Find(const std::string& id) const;
};

using Inventory = std::map<std::string, ResourceDevices>;  // by resource

// The devices of every resource the spec's vfGroups name, from the status
// the agent reported for that spec. A VF is Healthy only when it exists,
// its driver is bound, its node and port GUIDs are non-zero, its RDMA and
// uverbs devices exist, and its PF's apply for the current generation
// finished without error. A VF whose netdev and RDMA device left the host
// (moved into a pod) keeps the facts `previous` had for it, so it stays
// Healthy while its PCI function and driver are there.
// `applied_specs` (PF PCI address -> its InterfaceSpec as of its last
// finished apply): a new generation that leaves a PF's spec as it was
// applied (e.g. only spec.disruption changed, as every rollout's grant
// does) counts as applied for that PF while its pass runs, so its VFs do not
// turn Unhealthy for a pass and make kubelet reject a pod being admitted.
Inventory BuildInventory(const api::RdmaNodeStateSpec& spec, const api::RdmaNodeStateStatus& status,
                         const std::map<std::string, VfExtras>& extras, const Inventory& previous,
                         const std::map<std::string, api::InterfaceSpec>& applied_specs = {});

// "uverbs3" of the status' "/dev/infiniband/uverbs3".
std::string UverbsName(const api::VfStatus& vf);

// The reason a VF may not be handed out, "" when it may.
std::string UnhealthyReason(const api::VfStatus& vf, bool pf_applied);
// True when the PF's apply for the status' observed generation finished
// and the last error, if any, is not this PF's or the node's.
bool PfApplied(const api::RdmaNodeStateStatus& status, const std::string& pf);

// GetPreferredAllocation for one container: keeps must_include, then fills
// up to `size` from `available`, preferring VFs on the NUMA node and PF of
// what is already chosen (or, with nothing chosen, the PF with the most
// free VFs), and taking a VF that is `away` only when nothing else is left.
std::vector<std::string> PreferDevices(const ResourceDevices& resource, const std::vector<std::string>& available,
                                       const std::vector<std::string>& must_include, int32_t size);

// PCIDEVICE_RDMA_DEV_<RESOURCE>: the prefix and name upper-cased, every
// character that may not appear in a shell variable name turned into '_'.
std::string EnvName(const std::string& resource);
// The CDI device name of a VF: its PCI address with ':' -> '-' (CDI names
// allow letters, digits, '-', '_' and '.').
std::string CdiName(const std::string& pci);

// What one container gets for `ids` (already checked to be Healthy devices
// of `resource`): env, DeviceSpecs for rdma_cm and, unless `use_cdi`, each
// VF's uverbs (and umad where asked); with `use_cdi` the VFs come as CDI
// device names instead, because their uverbs numbers change when the RDMA
// device moves into the pod (ATTACH-FACTS.md §7.1).
v1beta1::ContainerAllocateResponse ContainerResponse(const ResourceDevices& resource,
                                                     const std::vector<std::string>& ids, bool use_cdi);

// The CDI spec file for a resource: one device per VF, named CdiName(pci),
// with its uverbs (and umad) device nodes.
nlohmann::json CdiSpec(const ResourceDevices& resource);
// Its file name in the CDI dir.
std::string CdiFileName(const std::string& resource);

}  // namespace deviceplugin
