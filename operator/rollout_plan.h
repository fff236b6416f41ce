// The pure core of the disruption rollout (issue 13), first part: which
// nodes may be disrupted (drained or rebooted) now. No I/O; the rollout
// reconciler (rollout_reconciler.h) reads nodes, node states and policies,
// calls PickNodesToDisrupt, and records each step in the API (drain_plan.h).
//
// Budget rules (docs/operator.md, "Disruption budget"):
//  - per policy at most disruption.maxUnavailable of its matched nodes are
//    unavailable at once; "N%" rounds UP and is at least 1, so 10% of 5
//    nodes is 1, not 0 (a budget that never lets a node go is a stuck
//    rollout, not a safe one);
//  - a node that is already unavailable (NotReady, cordoned by someone else,
//    or being disrupted by us) counts against every budget it is in; a
//    NotReady node is not started, a cordoned one may be (it costs nothing
//    more);
//  - a node matched by several policies must fit every one of them, i.e. it
//    is held to the strictest;
//  - candidates are taken in name order, so the rollout order is stable
//    across operator restarts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/rdma_node_policy.h"

namespace rdma_operator {

// Resolves a maxUnavailable value (an integer, "N%", or null for the
// default of 1) against the number of matched nodes, percentages rounded
// up: api::ResolveMaxUnavailable with PercentRounding::kUp.
int32_t RolloutBudget(const nlohmann::json& max_unavailable, int32_t matched_nodes);

// One node as the rollout sees it.
struct RolloutNode {
  std::string name;
  // The agent reports that its apply waits for a drain or a reboot.
  bool needs_disruption = false;
  // Being disrupted by us (cordoned by the rollout, draining, rebooting).
  bool in_rollout = false;
  // NotReady: counts against the budget and is not started.
  bool unavailable = false;
  // Cordoned by somebody else (not by the rollout): counts against the
  // budget, but may be started, at no further cost: it is out of
  // scheduling already, and its cordon stays when the rollout is done.
  bool cordoned = false;
  // Names of the policies whose nodeSelector matches this node.
  std::vector<std::string> policies;
};

struct RolloutPolicyBudget {
  std::string name;
  nlohmann::json max_unavailable;  // as in spec.disruption.maxUnavailable
};

// The names of the nodes to start disrupting now, in name order: nodes that
// need disruption, are not in the rollout yet, and fit the budget of every
// policy that matches them after counting the nodes already unavailable or
// in the rollout. A node that is itself unavailable (NotReady) is not
// started: it is already counted and cannot be drained meaningfully. A
// cordoned node is counted already, so starting it uses no more budget.
std::vector<std::string> PickNodesToDisrupt(const std::vector<RolloutNode>& nodes,
                                            const std::vector<RolloutPolicyBudget>& policies);

// How a node's drain ends when it takes too long.
struct DrainSettings {
  int32_t timeout_seconds = api::kDefaultDrainTimeoutSeconds;
  std::string on_timeout = api::kDefaultOnDrainTimeout;
  bool operator==(const DrainSettings&) const = default;
};

// The strictest drain settings of the policies that select a node: the
// shortest drainTimeoutSeconds, and of onDrainTimeout Abort over Force over
// Wait (giving up harms no pod; deleting pods is worse than waiting for
// them only for the pods). Unset fields take the CRD defaults; no policy
// gives the defaults.
DrainSettings StrictestDrain(const std::vector<const api::DisruptionSpec*>& disruptions);

}  // namespace rdma_operator
