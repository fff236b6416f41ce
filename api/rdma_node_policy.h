// RdmaNodePolicy (rdma.dev/v1alpha1, cluster-scoped): which nodes and PFs get
// how many VFs, link type, MTU, firmware handling, GUID mode and disruption
// budget. The C++ mirror of crds/rdma.dev_rdmanodepolicies.yaml (the schema
// is the source of truth; docs/api.md explains every field), its JSON
// conversion (json_fields.h: unknown fields survive) and its re-validation.
//
// Optional fields are std::optional so that what a user wrote round-trips
// exactly; WithDefaults() fills them the way the API server's defaulting
// does, for code that runs on objects an old CRD stored without defaults.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/condition.h"
#include "api/field_error.h"
#include "api/label_selector.h"
#include "api/object_meta.h"

namespace api {

// Values of the string enums the operator and the agent both read or write
// (the CRDs' `enum:` lists). RdmaNodeState's linkType and rdmaNamespaceMode
// take the same values as the policy's.
inline constexpr char kLinkTypeEthernet[] = "Ethernet";
inline constexpr char kLinkTypeInfiniBand[] = "InfiniBand";
inline constexpr char kRdmaNamespaceExclusive[] = "Exclusive";
inline constexpr char kRdmaNamespaceShared[] = "Shared";
inline constexpr char kGuidModeDerived[] = "Derived";
inline constexpr char kGuidModePool[] = "Pool";

// CRD defaults, mirrored (a test checks them against the CRD).
inline constexpr int32_t kDefaultPriority = 99;
inline constexpr bool kDefaultFirmwareManaged = true;
inline constexpr bool kDefaultAllowReboot = false;
inline constexpr const char* kDefaultGuidMode = kGuidModeDerived;
inline constexpr const char* kDefaultRdmaNamespaceMode = kRdmaNamespaceExclusive;
inline constexpr int32_t kDefaultMaxUnavailable = 1;
inline constexpr int32_t kDefaultDrainTimeoutSeconds = 600;
inline constexpr char kOnDrainTimeoutWait[] = "Wait";
inline constexpr char kOnDrainTimeoutAbort[] = "Abort";
inline constexpr char kOnDrainTimeoutForce[] = "Force";
inline constexpr const char* kDefaultOnDrainTimeout = kOnDrainTimeoutWait;

// Largest MTU IPoIB supports in datagram mode, the only mode of ConnectX-4
// and later.
inline constexpr int32_t kMaxInfiniBandMtu = 4092;

struct NicSelector {
  std::optional<std::string> vendor;      // "15b3"
  std::vector<std::string> device_ids;    // "deviceIDs": "1017", ...
  std::vector<std::string> pf_names;      // "ens1f0" or "ens1f0#0-7"; see pf_name_selector.h
  std::vector<std::string> pci_addresses; // "0000:41:00.0"
  nlohmann::json unknown_fields;

  bool operator==(const NicSelector&) const = default;
};

struct FirmwareSpec {
  std::optional<bool> managed;
  std::optional<bool> allow_reboot;
  std::optional<int32_t> total_vfs;  // NUM_OF_VFS; unset means numVfs
  nlohmann::json unknown_fields;

  bool operator==(const FirmwareSpec&) const = default;
};

// An inclusive range of GUIDs, "aa:bb:...:hh" each; see guid.h.
struct GuidRange {
  std::string start;
  std::string end;
  nlohmann::json unknown_fields;

  bool operator==(const GuidRange&) const = default;
};

struct GuidSpec {
  std::optional<std::string> mode;  // kGuidMode*
  std::optional<GuidRange> pool;
  nlohmann::json unknown_fields;

  bool operator==(const GuidSpec&) const = default;
};

struct DisruptionSpec {
  // An integer (nodes) or a string "N%" (x-kubernetes-int-or-string); null
  // when unset.
  nlohmann::json max_unavailable;
  std::optional<int32_t> drain_timeout_seconds;
  std::optional<std::string> on_drain_timeout;  // kOnDrainTimeout*: Wait | Abort | Force
  nlohmann::json unknown_fields;

  bool operator==(const DisruptionSpec&) const = default;
};

struct RdmaNodePolicySpec {
  std::optional<int32_t> priority;
  std::optional<LabelSelector> node_selector;  // required; {} selects every node
  std::optional<NicSelector> nic_selector;     // required
  std::optional<int32_t> num_vfs;              // required
  std::optional<std::string> link_type;        // Ethernet | InfiniBand; unset: leave as is
  std::optional<int32_t> mtu;
  std::string resource_name;                   // required
  std::optional<FirmwareSpec> firmware;
  std::optional<GuidSpec> guid;
  std::optional<std::string> rdma_namespace_mode;  // Exclusive | Shared
  // Pods also get the VF's /dev/infiniband/umadN. Unset means false; the
  // CRD has no default so that node states of existing policies keep their
  // exact spec (no umad field appears in them).
  std::optional<bool> umad;
  std::optional<DisruptionSpec> disruption;
  nlohmann::json unknown_fields;

  bool operator==(const RdmaNodePolicySpec&) const = default;
};

// A matched node whose drain does not finish: what still holds it.
struct RolloutBlockedNode {
  std::string node;
  std::string message;            // the rollout's words, e.g. "drain timed out after 600s (...)"
  std::vector<std::string> pods;  // "namespace/name" still to go
  nlohmann::json unknown_fields;

  bool operator==(const RolloutBlockedNode&) const = default;
};

// Where the disruption rollout of the policy's nodes stands (the operator's
// rollout, operator/rollout_reconciler.h). Counts are of matched nodes.
struct PolicyRolloutStatus {
  int32_t pending = 0;    // waiting for a drain or reboot, not started (budget)
  int32_t draining = 0;   // cordoned, pods being evicted
  int32_t rebooting = 0;  // drained and granted: the agent reboots or applies
  int32_t done = 0;       // finished for the spec they have now
  int32_t failed = 0;     // aborted (drain timeout) or the agent failed: not retried for this spec
  std::vector<RolloutBlockedNode> blocked;  // draining nodes that still have pods to go, at most 10
  nlohmann::json unknown_fields;

  bool operator==(const PolicyRolloutStatus&) const = default;
};

struct RdmaNodePolicyStatus {
  int64_t observed_generation = 0;
  int32_t matched_nodes = 0;
  int32_t ready_nodes = 0;
  std::optional<PolicyRolloutStatus> rollout;
  std::vector<Condition> conditions;
  nlohmann::json unknown_fields;

  bool operator==(const RdmaNodePolicyStatus&) const = default;
};

struct RdmaNodePolicy {
  std::string api_version{"rdma.dev/v1alpha1"};
  std::string kind{"RdmaNodePolicy"};
  ObjectMeta metadata;
  RdmaNodePolicySpec spec;
  std::optional<RdmaNodePolicyStatus> status;
  nlohmann::json unknown_fields;

  bool operator==(const RdmaNodePolicy&) const = default;
};

namespace json_fields {
class Reader;
class Writer;
}  // namespace json_fields

// The field list of the whole object, for json_fields.h.
void Fields(json_fields::Reader& v, RdmaNodePolicy& object);
void Fields(json_fields::Writer& v, RdmaNodePolicy& object);

// Reads a policy. Never throws: values of the wrong JSON type are returned
// as errors (and kept verbatim for writing back).
FieldErrors FromJson(const nlohmann::json& in, RdmaNodePolicy* out);
nlohmann::json ToJson(const RdmaNodePolicy& policy);

// Everything the CRD schema and its CEL rules check, checked again, plus
// what CEL cannot express (overlapping VF ranges of one PF, GUID pool order).
// Empty when the policy is usable.
FieldErrors Validate(const RdmaNodePolicy& policy);

// The spec with every unset defaulted field set to its CRD default.
RdmaNodePolicySpec WithDefaults(RdmaNodePolicySpec spec);

// How a percentage of maxUnavailable becomes a node count.
enum class PercentRounding { kDown, kUp };

// Resolves a maxUnavailable value (an integer, "N%", or null for the
// default) against the number of matched nodes. The result is between 1 and
// max(matched_nodes, 1); percentages above 100 count as 100. Call on a
// validated value: a string that is not "N%" counts as the default.
int32_t ResolveMaxUnavailable(const nlohmann::json& max_unavailable, int32_t matched_nodes,
                              PercentRounding rounding);

// disruption.maxUnavailable with "N%" rounded down. No caller yet: the
// rollout (operator/rollout_plan.h) rounds up.
int32_t MaxUnavailableNodes(const DisruptionSpec& disruption, int32_t matched_nodes);

}  // namespace api
