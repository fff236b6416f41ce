#include "operator/rollout_plan.h"

#include <algorithm>
#include <map>

#include "api/rdma_node_policy.h"

namespace rdma_operator {

int32_t RolloutBudget(const nlohmann::json& max_unavailable, int32_t matched_nodes) {
  return api::ResolveMaxUnavailable(max_unavailable, matched_nodes, api::PercentRounding::kUp);
}

std::vector<std::string> PickNodesToDisrupt(const std::vector<RolloutNode>& nodes,
                                            const std::vector<RolloutPolicyBudget>& policies) {
  // Per policy: matched nodes, nodes counting against it, its budget.
  struct Tally { int32_t matched = 0, used = 0, budget = 1; };
  std::map<std::string, Tally> tally;
  for (const RolloutPolicyBudget& p : policies) tally[p.name];
  for (const RolloutNode& node : nodes) {
    for (const std::string& p : node.policies) {
      auto it = tally.find(p);
      if (it == tally.end()) continue;
      ++it->second.matched;
      if (node.unavailable || node.cordoned || node.in_rollout) ++it->second.used;
    }
  }
  for (const RolloutPolicyBudget& p : policies) {
    Tally& t = tally[p.name];
    t.budget = RolloutBudget(p.max_unavailable, t.matched);
  }

  std::vector<const RolloutNode*> candidates;
  for (const RolloutNode& node : nodes) {
    if (node.needs_disruption && !node.in_rollout && !node.unavailable) candidates.push_back(&node);
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const RolloutNode* a, const RolloutNode* b) { return a->name < b->name; });

  std::vector<std::string> picked;
  for (const RolloutNode* node : candidates) {
    if (node->cordoned) {  // counted already
      picked.push_back(node->name);
      continue;
    }
    bool fits = true;
    for (const std::string& p : node->policies) {
      auto it = tally.find(p);
      if (it != tally.end() && it->second.used >= it->second.budget) fits = false;
    }
    if (!fits) continue;
    for (const std::string& p : node->policies) {
      auto it = tally.find(p);
      if (it != tally.end()) ++it->second.used;
    }
    picked.push_back(node->name);
  }
  return picked;
}

DrainSettings StrictestDrain(const std::vector<const api::DisruptionSpec*>& disruptions) {
  auto rank = [](const std::string& on_timeout) {
    if (on_timeout == api::kOnDrainTimeoutAbort) return 2;
    if (on_timeout == api::kOnDrainTimeoutForce) return 1;
    return 0;
  };
  DrainSettings out;
  bool first = true;
  for (const api::DisruptionSpec* d : disruptions) {
    const int32_t timeout = d && d->drain_timeout_seconds ? *d->drain_timeout_seconds : api::kDefaultDrainTimeoutSeconds;
    const std::string on_timeout = d && d->on_drain_timeout ? *d->on_drain_timeout : api::kDefaultOnDrainTimeout;
    if (first || timeout < out.timeout_seconds) out.timeout_seconds = timeout;
    if (first || rank(on_timeout) > rank(out.on_timeout)) out.on_timeout = on_timeout;
    first = false;
  }
  return out;
}

}  // namespace rdma_operator
