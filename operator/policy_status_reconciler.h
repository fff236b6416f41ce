// PolicyStatusReconciler: RdmaNodePolicy.status (matchedNodes, readyNodes,
// Ready / Progressing / Degraded with observedGeneration), one reconcile
// per policy (key = policy name), from RollUpPolicy (status_rollup.h). It
// re-validates the policy, so an invalid one is Degraded/InvalidSpec with
// the fields to fix, and it names conflicts with other policies. It writes
// status only when it changed and records an Event when a condition flips.
// A pool-mode policy whose GUID pool ran out is Degraded with the numbers.
#pragma once

#include <stop_token>
#include <string>

#include "kube/controller.h"
#include "operator/operator_context.h"

namespace rdma_operator {

class PolicyStatusReconciler {
 public:
  explicit PolicyStatusReconciler(OperatorContext& ctx) : ctx_(ctx) {}
  kube::Result<kube::ReconcileResult> Reconcile(const std::string& policy, std::stop_token stop);

 private:
  void AddGuidPoolExhaustion(const api::RdmaNodePolicy& policy, std::vector<api::Condition>* conditions) const;

  OperatorContext& ctx_;
};

// Sets `conditions` on `existing` the way api::SetCondition does (times
// move only on status changes). Returns the types whose status changed.
std::vector<std::string> ApplyConditions(std::vector<api::Condition>* existing,
                                         const std::vector<api::Condition>& conditions, const std::string& now);

}  // namespace rdma_operator
