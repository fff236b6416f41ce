#include "operator/policy_status_reconciler.h"

#include <spdlog/spdlog.h>

#include "kube/labels.h"
#include "kube/timestamps.h"
#include "operator/address_pools.h"
#include "operator/nic_selection.h"
#include "operator/resources.h"
#include "operator/status_rollup.h"

namespace rdma_operator {

std::vector<std::string> ApplyConditions(std::vector<api::Condition>* existing,
                                         const std::vector<api::Condition>& conditions, const std::string& now) {
  std::vector<std::string> flipped;
  for (const api::Condition& c : conditions) {
    const api::Condition* before = api::FindCondition(*existing, c.type);
    if (!before || before->status != c.status) flipped.push_back(c.type);
    api::SetCondition(existing, c, now);
  }
  return flipped;
}

void PolicyStatusReconciler::AddGuidPoolExhaustion(const api::RdmaNodePolicy& policy,
                                                   std::vector<api::Condition>* conditions) const {
  if (!policy.spec.guid || policy.spec.guid->mode != "Pool" || !policy.spec.guid->pool) return;
  const api::GuidRange& range = *policy.spec.guid->pool;
  auto pool = GuidPool::FromRange(range.start, range.end);
  if (!pool) return;
  PoolUsage usage = ctx_.ledger.Usage(GuidPoolName(range.start, range.end));
  if (usage.waiting.empty()) return;
  std::string names;
  for (size_t i = 0; i < usage.waiting.size() && i < 5; ++i) names += (i ? ", " : "") + usage.waiting[i];
  std::string msg = "GUID pool " + range.start + "-" + range.end + " has " + std::to_string(pool->size()) + " GUIDs, " +
                    std::to_string(usage.allocated_slots) + " handed to " + std::to_string(usage.allocated_owners) +
                    " PFs: " + std::to_string(usage.waiting.size()) + " PF(s) without a block (" + names +
                    "); widen guid.pool or lower numVfs";
  for (api::Condition& c : *conditions) {
    if (c.type == api::kConditionDegraded) {
      if (c.status != api::kConditionTrue) c.reason = std::string(api::kReasonAddressesExhausted);
      c.message = c.status == api::kConditionTrue ? c.message + "; " + msg : msg;
      c.status = std::string(api::kConditionTrue);
    } else if (c.type == api::kConditionReady && c.status == api::kConditionTrue) {
      c.status = std::string(api::kConditionFalse);
      c.reason = std::string(api::kReasonAddressesExhausted);
    }
  }
}

kube::Result<kube::ReconcileResult> PolicyStatusReconciler::Reconcile(const std::string& name, std::stop_token) {
  kube::ObjectPtr obj = ctx_.policies->store().Get(name);
  if (!obj || (*obj)["metadata"].contains("deletionTimestamp")) return kube::ReconcileResult::Done();
  api::RdmaNodePolicy policy;
  api::FieldErrors errors = api::FromJson(*obj, &policy);
  if (errors.empty()) errors = api::Validate(policy);

  const std::vector<api::RdmaNodePolicy> valid = ctx_.ValidPolicies();
  std::vector<const api::RdmaNodePolicy*> valid_ptrs;
  for (const auto& p : valid) valid_ptrs.push_back(&p);

  // One node at a time, so that only one Node and one node state are parsed
  // at any moment (both caches are packed, operator.cc), not all of them.
  PolicyRollupBuilder builder(policy, errors, valid_ptrs);
  if (errors.empty()) {
    for (const std::string& key : ctx_.nodes->store().Keys()) {
      kube::ObjectPtr n = ctx_.nodes->store().Get(key);
      if (!n) continue;  // deleted since Keys()
      NodeView v;
      v.name = kube::NameOf(*n);
      v.labels = kube::LabelsFromJson((*n)["metadata"].value("labels", nlohmann::json::object()));
      if (!SelectsNode(policy, v.labels)) continue;
      api::RdmaNodeState state;
      if (kube::ObjectPtr s = ctx_.node_states->store().Get(v.name)) {
        (void)api::FromJson(*s, &state);
        v.state = &state;
      }
      builder.Add(v);
    }
  }
  PolicyRollup rollup = builder.Finish();
  if (errors.empty()) AddGuidPoolExhaustion(policy, &rollup.conditions);

  api::RdmaNodePolicyStatus status = policy.status.value_or(api::RdmaNodePolicyStatus{});
  const std::optional<api::RdmaNodePolicyStatus> before = policy.status;
  status.observed_generation = policy.metadata.generation.value_or(0);
  status.matched_nodes = rollup.matched_nodes;
  status.ready_nodes = rollup.ready_nodes;
  status.rollout = rollup.rollout;
  auto flipped = ApplyConditions(&status.conditions, rollup.conditions, kube::FormatTime(kube::Clock::now()));
  // Compared as JSON (what the API holds), not as parsed structs.
  policy.status = before;
  const nlohmann::json old_json = api::ToJson(policy).value("status", nlohmann::json());
  policy.status = status;
  const nlohmann::json new_json = api::ToJson(policy).value("status", nlohmann::json());
  if (new_json == old_json) return kube::ReconcileResult::Done();

  nlohmann::json out = *obj;
  out["status"] = new_json;
  auto r = ctx_.client->UpdateStatus(RdmaNodePolicies(), out, WriteOptions());
  if (!r.ok()) return r.error();  // conflicts retry with backoff
  for (const std::string& type : flipped) {
    const api::Condition* c = api::FindCondition(status.conditions, type);
    spdlog::info("operator: policy condition policy={} type={} status={} reason={} message=\"{}\"", name, c->type,
                 c->status, c->reason, c->message);
    if (!ctx_.events) continue;
    if (c->type == api::kConditionDegraded && c->status == api::kConditionTrue)
      ctx_.events->Record(*r, "Warning", c->reason, "Reconcile", c->message);
    else if (c->type == api::kConditionReady && c->status == api::kConditionTrue)
      ctx_.events->Record(*r, "Normal", "Ready", "Reconcile", c->message);
  }
  return kube::ReconcileResult::Done();
}

}  // namespace rdma_operator
