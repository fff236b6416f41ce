#include "operator/rollout_plan.h"

#include <algorithm>
#include <map>

namespace rdma_operator {

int32_t RolloutBudget(const nlohmann::json& max_unavailable, int32_t matched_nodes) {
  const int64_t matched = std::max<int32_t>(matched_nodes, 1);
  int64_t n = 1;
  if (max_unavailable.is_number_integer()) {
    n = max_unavailable.get<int64_t>();
  } else if (max_unavailable.is_string()) {
    const std::string s = max_unavailable.get<std::string>();
    if (s.size() >= 2 && s.back() == '%') {
      int64_t pct = 0;
      bool digits = true;
      for (char c : s.substr(0, s.size() - 1)) {
        if (c < '0' || c > '9') { digits = false; break; }
        pct = std::min<int64_t>(pct * 10 + (c - '0'), 100);
      }
      if (digits) n = (pct * matched + 99) / 100;  // round up
    }
  }
  return static_cast<int32_t>(std::clamp<int64_t>(n, 1, matched));
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
      if (node.unavailable || node.in_rollout) ++it->second.used;
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

}  // namespace rdma_operator
