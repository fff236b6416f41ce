// RdmaNodeState (rdma.dev/v1alpha1, cluster-scoped, named after its node):
// the only channel between the operator and a node's agent. The operator
// writes spec (desired per-PF configuration, VF groups, GUID and IP blocks,
// disruption grant); the agent writes status (every PF and VF it found,
// firmware Default/Current/Next-Boot values, GUIDs, applied generation,
// phase timings, last error). The C++ mirror of
// crds/rdma.dev_rdmanodestates.yaml, with JSON conversion (unknown fields
// survive, see json_fields.h) and re-validation of the spec.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/condition.h"
#include "api/field_error.h"
#include "api/object_meta.h"
#include "api/rdma_node_policy.h"

namespace api {

// ---- spec (operator -> agent) ----

struct NodeFirmwareSpec {
  std::optional<bool> managed;
  std::optional<int32_t> total_vfs;
  nlohmann::json unknown_fields;

  bool operator==(const NodeFirmwareSpec&) const = default;
};

// VFs first_vf..last_vf of a PF, advertised as rdma.dev/<resourceName>.
struct VfGroup {
  std::string resource_name;
  std::string policy;
  int32_t first_vf = 0;
  int32_t last_vf = 0;
  // Copied from the policy's umad: the device plugin also hands pods the
  // VF's /dev/infiniband/umadN. Unset means false.
  std::optional<bool> umad;
  nlohmann::json unknown_fields;

  bool operator==(const VfGroup&) const = default;
};

struct InterfaceSpec {
  std::string pci_address;  // list key
  std::string name;         // informational
  std::optional<int32_t> num_vfs;  // required
  std::optional<std::string> link_type;
  std::optional<int32_t> mtu;
  std::optional<NodeFirmwareSpec> firmware;
  std::optional<GuidRange> guid_block;  // unset: GUIDs derived from the PF's GUID
  std::vector<VfGroup> vf_groups;
  nlohmann::json unknown_fields;

  bool operator==(const InterfaceSpec&) const = default;
};

struct IpBlock {
  std::string network_namespace;
  std::string network;
  std::string start;
  std::string end;
  nlohmann::json unknown_fields;

  bool operator==(const IpBlock&) const = default;
};

struct DisruptionGrant {
  std::optional<bool> drained;
  std::optional<bool> reboot_allowed;
  nlohmann::json unknown_fields;

  bool operator==(const DisruptionGrant&) const = default;
};

struct RdmaNodeStateSpec {
  std::optional<std::string> rdma_namespace_mode;
  std::optional<DisruptionGrant> disruption;
  std::vector<InterfaceSpec> interfaces;
  std::vector<IpBlock> ip_blocks;
  nlohmann::json unknown_fields;

  bool operator==(const RdmaNodeStateSpec&) const = default;
};

// ---- status (agent -> operator and users) ----

// One mstconfig parameter: the three columns of `mstconfig query`.
struct FirmwareParameter {
  std::string name;  // SRIOV_EN, NUM_OF_VFS, LINK_TYPE_P1
  std::string default_value;  // "default" in JSON
  std::string current;
  std::string next_boot;
  nlohmann::json unknown_fields;

  bool operator==(const FirmwareParameter&) const = default;
};

struct FirmwareStatus {
  std::string version;
  std::string psid;
  std::string part_number;
  std::vector<FirmwareParameter> parameters;
  nlohmann::json unknown_fields;

  bool operator==(const FirmwareStatus&) const = default;
};

struct VfStatus {
  int32_t index = 0;
  std::string pci_address;
  std::string name;  // empty while the VF is in a pod's namespace
  std::string driver;
  std::string mac;
  std::string rdma_device;
  std::string uverbs_device;
  std::string node_guid;
  std::string port_guid;
  nlohmann::json unknown_fields;

  bool operator==(const VfStatus&) const = default;
};

struct InterfaceStatus {
  std::string pci_address;
  std::string name;
  std::string vendor;
  std::string device_id;  // "deviceID"
  std::string driver;
  std::string link_type;
  std::string link_state;  // Up, Down, Unknown
  std::optional<int64_t> speed_mbps;
  std::optional<int32_t> mtu;
  std::string mac;
  int32_t total_vfs = 0;
  int32_t num_vfs = 0;
  std::string rdma_device;
  std::string node_guid;
  std::string port_guid;
  std::optional<FirmwareStatus> firmware;
  std::vector<VfStatus> vfs;
  nlohmann::json unknown_fields;

  bool operator==(const InterfaceStatus&) const = default;
};

// ApplyPhase.name: the phases of an apply run, in the order they run.
inline constexpr char kPhaseFirmware[] = "Firmware";
inline constexpr char kPhaseVfs[] = "Vfs";
inline constexpr char kPhaseGuids[] = "Guids";
inline constexpr char kPhaseLink[] = "Link";
inline constexpr char kPhaseNamespace[] = "Namespace";
inline constexpr const char* kPhaseOrder[] = {kPhaseFirmware, kPhaseVfs, kPhaseGuids, kPhaseLink, kPhaseNamespace};

// ApplyPhase.result.
inline constexpr char kPhaseResultSucceeded[] = "Succeeded";
inline constexpr char kPhaseResultFailed[] = "Failed";
inline constexpr char kPhaseResultSkipped[] = "Skipped";  // nothing to do
inline constexpr char kPhaseResultPending[] = "Pending";  // waits (for a reboot, a drain, an earlier phase)

struct ApplyPhase {
  std::string name;  // kPhase*
  int64_t duration_milliseconds = 0;
  std::string result;  // kPhaseResult*
  nlohmann::json unknown_fields;

  bool operator==(const ApplyPhase&) const = default;
};

struct ApplyRun {
  int64_t generation = 0;
  std::string started_at;
  std::string finished_at;  // empty while running
  std::vector<ApplyPhase> phases;
  nlohmann::json unknown_fields;

  bool operator==(const ApplyRun&) const = default;
};

struct AgentError {
  std::string time;
  std::string operation;
  std::string interface;  // PCI address of the PF, when there is one
  std::string message;
  nlohmann::json unknown_fields;

  bool operator==(const AgentError&) const = default;
};

inline constexpr char kSyncPending[] = "Pending";
inline constexpr char kSyncInProgress[] = "InProgress";
inline constexpr char kSyncSucceeded[] = "Succeeded";
inline constexpr char kSyncFailed[] = "Failed";

// A VF that rdma-cni attached to a pod on this node (the agent's
// attachment record, agent/attach/attachments.h).
struct AttachmentStatus {
  std::string pod;             // "namespace/name"
  std::string pod_uid;
  std::string interface_name;  // CNI_IFNAME in the pod, e.g. "net1"
  std::string vf;              // the VF's PCI address
  std::string network;         // "namespace/name" of the RdmaNetwork
  std::string address;         // held from this node's IP block; "" without IPAM
  std::string phase;           // Adding (an ADD under way) | Attached
  nlohmann::json unknown_fields;

  bool operator==(const AttachmentStatus&) const = default;
};

struct RdmaNodeStateStatus {
  int64_t observed_generation = 0;
  int64_t applied_generation = 0;
  std::string sync_state;  // kSync*
  bool reboot_required = false;
  int32_t vf_count = 0;
  std::string rdma_namespace_mode;
  std::string agent_version;
  std::vector<InterfaceStatus> interfaces;
  std::vector<AttachmentStatus> attachments;  // by pod, then interface
  std::optional<ApplyRun> last_apply;
  std::optional<AgentError> last_error;
  std::vector<Condition> conditions;
  nlohmann::json unknown_fields;

  bool operator==(const RdmaNodeStateStatus&) const = default;
};

struct RdmaNodeState {
  std::string api_version{"rdma.dev/v1alpha1"};
  std::string kind{"RdmaNodeState"};
  ObjectMeta metadata;  // name == node name
  RdmaNodeStateSpec spec;
  std::optional<RdmaNodeStateStatus> status;
  nlohmann::json unknown_fields;

  bool operator==(const RdmaNodeState&) const = default;
};

namespace json_fields {
class Reader;
class Writer;
}  // namespace json_fields

// The field list of the whole object, for json_fields.h.
void Fields(json_fields::Reader& v, RdmaNodeState& object);
void Fields(json_fields::Writer& v, RdmaNodeState& object);

// Reads a node state. Never throws: values of the wrong JSON type are
// returned as errors (and kept verbatim for writing back).
FieldErrors FromJson(const nlohmann::json& in, RdmaNodeState* out);
nlohmann::json ToJson(const RdmaNodeState& state);

// Checks the spec (what the agent acts on): PCI addresses, VF counts, VF
// groups inside numVfs and disjoint, GUID and IP blocks well-formed. Status
// is informational and not checked. Empty when the agent may apply it.
FieldErrors Validate(const RdmaNodeState& state);

// The interface with this PCI address, or nullptr.
const InterfaceSpec* FindInterface(const RdmaNodeStateSpec& spec, const std::string& pci_address);
const InterfaceStatus* FindInterface(const RdmaNodeStateStatus& status, const std::string& pci_address);

}  // namespace api
