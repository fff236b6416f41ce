// The pure core of the disruption rollout (issue 13), second part: the
// per-node state machine that takes one node from "its agent waits for a
// drain or a reboot" to "applied and uncordoned", and which pods a drain
// evicts. No I/O: the rollout reconciler (rollout_reconciler.h) reads the
// Node, the RdmaNodeState, the node's Pods and the clock, asks NextAction
// what to do, does it, and writes the new record before or with its effect,
// so that an operator restarted at any point resumes from the API alone.
//
// Steps of one node, recorded in the RdmaNodeState annotation
// kRolloutAnnotation (a JSON RolloutRecord):
//
//   (none) --start: record wasUnschedulable--> Draining
//   Draining: cordon (if not already), evict what DrainScope picks; when
//             nothing is left --> Granted (spec.disruption set);
//             on drainTimeoutSeconds: Wait stays (Stalled), Abort
//             --> Uncordoning(Aborted), Force deletes the rest
//   Granted:  the agent applies the current generation (after a reboot,
//             with the firmware verified) --> Uncordoning(Done); the agent
//             reports Failed for it --> Uncordoning(Failed). The grant is
//             removed in the same write.
//   Uncordoning: restore spec.unschedulable to wasUnschedulable (never
//             undo an admin's cordon) --> Idle(result)
//
// An Idle record keeps the result and the hash of the spec it was for, so
// a node whose rollout was aborted or failed is not started again for the
// same spec (no reboot loop); a new spec, or removing the annotation,
// starts it again.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/rdma_node_state.h"

namespace rdma_operator {

// On the RdmaNodeState: the rollout's record of the node (RolloutRecord).
inline constexpr char kRolloutAnnotation[] = "rdma.dev/rollout";
// Pods that tolerate this taint (which the API server's node lifecycle
// puts on every cordoned node) would be scheduled right back: not evicted.
inline constexpr char kUnschedulableTaint[] = "node.kubernetes.io/unschedulable";

// RolloutRecord.step
inline constexpr char kStepDraining[] = "Draining";
inline constexpr char kStepGranted[] = "Granted";
inline constexpr char kStepUncordoning[] = "Uncordoning";
inline constexpr char kStepIdle[] = "Idle";

// RolloutRecord.kind
inline constexpr char kKindDrain[] = "Drain";    // VF count change: only pods holding the resources
inline constexpr char kKindReboot[] = "Reboot";  // firmware change: every pod

// In a drain's resources: every "rdma.dev/..." resource. NeedOf uses it for
// a PF whose spec has no VF groups left (numVfs 0), where the spec no longer
// names the resource its VFs were advertised as.
inline constexpr char kAnyRdmaResource[] = "rdma.dev/*";

// RolloutRecord.result
inline constexpr char kResultDone[] = "Done";
inline constexpr char kResultAborted[] = "Aborted";  // drain timed out with onDrainTimeout Abort
inline constexpr char kResultFailed[] = "Failed";    // the agent reported the apply failed

struct RolloutRecord {
  std::string step;  // kStep*
  std::string kind;  // kKind*
  // spec.unschedulable of the Node before the rollout cordoned it:
  // Uncordoning restores exactly this.
  bool was_unschedulable = false;
  // kKindDrain: the extended resources ("rdma.dev/<name>") whose pods go.
  std::vector<std::string> resources;
  std::string drain_started_at;  // RFC 3339; the drain timeout counts from here
  std::string spec_hash;         // SpecHash of the spec the rollout is for
  std::string result;            // kResult*, from Uncordoning on
  std::string message;           // why the node is in this step, in words
  std::vector<std::string> blocking_pods;  // "namespace/name" still on the node
  bool stalled = false;          // drain timed out and onDrainTimeout is Wait

  bool operator==(const RolloutRecord&) const = default;
};

// The record in an annotation value, or nullopt when the value is empty or
// not a record (a hand-edited annotation is treated as none).
std::optional<RolloutRecord> ParseRolloutRecord(const std::string& annotation);
std::string RolloutRecordText(const RolloutRecord& record);

// Whether the record holds the node in the rollout (counts against the
// budget): Draining, Granted or Uncordoning.
bool InRollout(const std::optional<RolloutRecord>& record);

// A stable hash (FNV-1a, hex) of spec.interfaces: what the agent would
// apply. The disruption grant is not part of it.
std::string SpecHash(const api::RdmaNodeStateSpec& spec);

// What a node's agent waits for, from its RdmaNodeState.
struct DisruptionNeed {
  std::string kind;  // "", kKindDrain or kKindReboot
  std::vector<std::string> resources;  // kKindDrain: "rdma.dev/<resourceName>", sorted
};

// The agent reports on the current generation (observedGeneration ==
// metadata.generation) that it waits (syncState Pending): with
// rebootRequired for a reboot, otherwise for a drain. A drain's resources
// are those of the VF groups of every PF whose reported numVfs differs from
// the spec's (the PFs whose VFs are about to be removed), or
// kAnyRdmaResource for such a PF without VF groups.
DisruptionNeed NeedOf(const api::RdmaNodeState& state);

// A Pod, reduced to what the drain decides on.
struct DrainPod {
  std::string ns, name;
  bool terminating = false;  // deletionTimestamp set: going, wait for it
  bool finished = false;     // phase Succeeded or Failed
  bool mirror = false;       // static pod (kubernetes.io/config.mirror)
  bool daemon_set = false;   // controlled by a DaemonSet
  bool tolerates_cordon = false;  // tolerates kUnschedulableTaint NoSchedule
  std::vector<std::string> resources;  // extended resources its containers request or limit
};

// Reads a Pod object (never throws; missing fields are defaults).
DrainPod DrainPodFromJson(const nlohmann::json& pod);

struct DrainScope {
  std::vector<const DrainPod*> evict;    // to evict now
  std::vector<const DrainPod*> waiting;  // in scope and terminating: wait until gone
  // "namespace/name" of evict and waiting, sorted: what blocks the drain.
  std::vector<std::string> Blocking() const;
};

// Which pods of the node the drain of `kind` must see gone. Never
// DaemonSet pods, mirror pods, finished pods or pods that tolerate the
// cordon. A reboot takes every other pod; a drain only the pods that hold
// one of `resources`.
DrainScope ScopeDrain(const std::vector<DrainPod>& pods, const std::string& kind,
                      const std::vector<std::string>& resources);

// Everything NextAction decides on for one node.
struct NodeFacts {
  std::optional<RolloutRecord> record;
  bool unschedulable = false;  // Node spec.unschedulable now
  const api::RdmaNodeState* state = nullptr;
  // disruption of the node's policies, already held to the strictest
  // (the shortest timeout; Abort over Force over Wait).
  int32_t drain_timeout_seconds = 600;
  std::string on_drain_timeout = "Wait";
  std::chrono::system_clock::time_point now;
  // Filled in Draining only (the reconciler lists them then).
  const DrainScope* scope = nullptr;
};

// What the reconciler does next for a node in the rollout. At most one write
// of the record per action, always together with (or before) its effect.
struct RolloutAction {
  enum class Kind {
    kNone,       // nothing (not in the rollout, or waiting for the agent)
    kCordon,     // set Node spec.unschedulable=true, then act again
    kEvict,      // evict `pods` through the Eviction API, then record
    kForceDelete,  // delete `pods` (onDrainTimeout Force), then record
    kRecord,     // write `record` only (progress, blocking pods, Stalled)
    kGrant,      // write `record` and spec.disruption = grant
    kFinish,     // write `record` and remove spec.disruption
    kUncordon,   // set spec.unschedulable=false, then write `record`
    kSettle,     // write `record` (Idle) without touching the Node
  };
  Kind kind = Kind::kNone;
  RolloutRecord record;  // the record to write
  std::vector<const DrainPod*> pods;
  api::DisruptionGrant grant;
};

// The next action for a node that is in the rollout (InRollout(record)).
RolloutAction NextAction(const NodeFacts& facts);

// The record that starts the rollout of a node that needs `need` now.
RolloutRecord StartRecord(const DisruptionNeed& need, bool unschedulable, const std::string& spec_hash,
                          std::chrono::system_clock::time_point now);

// Whether a node whose agent needs `need` may be started: it needs a
// disruption, and its last rollout was not aborted or failed for this same
// spec (that result stands until the spec changes).
bool MayStart(const DisruptionNeed& need, const std::optional<RolloutRecord>& record, const std::string& spec_hash);

}  // namespace rdma_operator
