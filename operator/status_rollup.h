// Status rollups: what RdmaNodePolicy.status and RdmaNetwork.status should
// say (counts and the Ready / Progressing / Degraded conditions, kstatus
// style), computed from the world without I/O. The reconcilers add
// timestamps (api::SetCondition) and write only when something changed.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "api/condition.h"
#include "api/field_error.h"
#include "api/rdma_node_policy.h"
#include "api/rdma_node_state.h"

namespace rdma_operator {

// A node as the rollups see it: labels from the Node, and its RdmaNodeState
// (nullptr before one exists).
struct NodeView {
  std::string name;
  std::map<std::string, std::string> labels;
  const api::RdmaNodeState* state = nullptr;
};

struct PolicyRollup {
  int32_t matched_nodes = 0;
  int32_t ready_nodes = 0;
  api::PolicyRolloutStatus rollout;  // from each matched node's rdma.dev/rollout record
  // Ready, Progressing, Degraded, and kstatus' Reconciling (a node is
  // pending, draining or rebooting) and Stalled (a drain timed out with
  // onDrainTimeout Wait, or a node's rollout was aborted or failed); no
  // times.
  std::vector<api::Condition> conditions;
};

// kstatus condition types (sigs.k8s.io/cli-utils/pkg/kstatus): tools such as
// Flux read a resource as in progress while Reconciling is True and as
// failed while Stalled is True, without configuration.
inline constexpr std::string_view kConditionReconciling = "Reconciling";
inline constexpr std::string_view kConditionStalled = "Stalled";

// errors: api::Validate(policy) (and JSON type errors); when non-empty the
// policy configures nothing and is Degraded/InvalidSpec. valid_policies:
// every valid policy (this one included), for conflicts and overrides.
PolicyRollup RollUpPolicy(const api::RdmaNodePolicy& policy, const api::FieldErrors& errors,
                          const std::vector<const api::RdmaNodePolicy*>& valid_policies,
                          const std::vector<NodeView>& nodes);

// RollUpPolicy one node at a time, so that a caller never holds every
// node's parsed RdmaNodeState at once (about 4 KB each: 4 MB at 1000
// nodes). Keeps references to the constructor's arguments; a node's state
// need only live during its Add().
class PolicyRollupBuilder {
 public:
  PolicyRollupBuilder(const api::RdmaNodePolicy& policy, const api::FieldErrors& errors,
                      const std::vector<const api::RdmaNodePolicy*>& valid_policies);
  void Add(const NodeView& node);
  // What RollUpPolicy returns for the nodes added so far.
  PolicyRollup Finish() const;

 private:
  const api::RdmaNodePolicy& policy_;
  const api::FieldErrors& errors_;
  const std::vector<const api::RdmaNodePolicy*>& valid_policies_;
  int32_t matched_nodes_ = 0, ready_nodes_ = 0;
  // The rollout's counts and words, from the node's record.
  void AddRollout(const NodeView& node);

  std::vector<std::string> conflicts_, problems_, failed_, waiting_;
  api::PolicyRolloutStatus rollout_;
  std::vector<std::string> stalled_, rollout_failed_;  // "node: message"
  std::vector<std::string> draining_, rebooting_;      // node names, for Reconciling's message
  std::set<std::string> conflicting_nodes_;
};

// "node-a, node-b, node-c and 7 more": the first `max` names, for messages.
std::string NameList(const std::vector<std::string>& names, size_t max = 5);

// Whether a node's agent reports its current spec applied.
bool NodeApplied(const api::RdmaNodeState& state);

// Whether the spec written to a node already carries what `policy` asks of
// it: every PF of `desired` (MergePolicies' result for the node) with a VF
// group of the policy is in `written` with the same numVfs, linkType, mtu
// and VF groups. Until the operator has written it, a node that was in sync
// with an older spec does not count as ready for the policy.
bool SpecCarriesPolicy(const api::RdmaNodeStateSpec& written, const api::RdmaNodeStateSpec& desired,
                       const std::string& policy);

struct NetworkFacts {
  api::FieldErrors errors;  // re-validation
  bool nad_crd_missing = false;
  std::vector<std::string> foreign_nads;        // "ns/name" owned by someone else
  std::vector<std::string> missing_namespaces;  // target namespaces that do not exist
  std::vector<std::string> write_errors;        // other failed NAD writes, in words
  std::string exhaustion;                       // ExhaustionMessage, or empty
};

// Ready / Progressing / Degraded for an RdmaNetwork of this generation.
std::vector<api::Condition> NetworkConditions(const NetworkFacts& facts, int64_t generation);

}  // namespace rdma_operator
