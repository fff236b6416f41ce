#include "operator/status_rollup.h"

#include <algorithm>
#include <set>

#include "operator/drain_plan.h"
#include "operator/nic_selection.h"
#include "operator/policy_merge.h"

namespace rdma_operator {
namespace {

api::Condition Cond(std::string_view type, bool status, std::string_view reason, std::string message,
                    int64_t generation) {
  api::Condition c;
  c.type = std::string(type);
  c.status = std::string(status ? api::kConditionTrue : api::kConditionFalse);
  c.reason = std::string(reason);
  c.message = std::move(message);
  c.observed_generation = generation;
  return c;
}

}  // namespace

std::string NameList(const std::vector<std::string>& names, size_t max) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < max; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > max) out += " and " + std::to_string(names.size() - max) + " more";
  return out;
}

bool NodeApplied(const api::RdmaNodeState& state) {
  if (!state.status) return false;
  return state.status->sync_state == api::kSyncSucceeded &&
         state.status->applied_generation == state.metadata.generation.value_or(0);
}

bool SpecCarriesPolicy(const api::RdmaNodeStateSpec& written, const api::RdmaNodeStateSpec& desired,
                       const std::string& policy) {
  for (const api::InterfaceSpec& want : desired.interfaces) {
    const bool ours = std::any_of(want.vf_groups.begin(), want.vf_groups.end(),
                                  [&](const api::VfGroup& g) { return g.policy == policy; });
    if (!ours) continue;
    const api::InterfaceSpec* have = api::FindInterface(written, want.pci_address);
    if (!have || have->num_vfs != want.num_vfs || have->link_type != want.link_type || have->mtu != want.mtu ||
        have->vf_groups.size() != want.vf_groups.size())
      return false;
    for (size_t i = 0; i < want.vf_groups.size(); ++i) {
      const api::VfGroup& a = want.vf_groups[i];
      const api::VfGroup& b = have->vf_groups[i];
      if (a.policy != b.policy || a.resource_name != b.resource_name || a.first_vf != b.first_vf ||
          a.last_vf != b.last_vf || a.umad != b.umad)
        return false;
    }
  }
  return true;
}

PolicyRollup RollUpPolicy(const api::RdmaNodePolicy& policy, const api::FieldErrors& errors,
                          const std::vector<const api::RdmaNodePolicy*>& valid_policies,
                          const std::vector<NodeView>& nodes) {
  PolicyRollupBuilder b(policy, errors, valid_policies);
  for (const NodeView& node : nodes) b.Add(node);
  return b.Finish();
}

PolicyRollupBuilder::PolicyRollupBuilder(const api::RdmaNodePolicy& policy, const api::FieldErrors& errors,
                                         const std::vector<const api::RdmaNodePolicy*>& valid_policies)
    : policy_(policy), errors_(errors), valid_policies_(valid_policies) {}

void PolicyRollupBuilder::Add(const NodeView& node) {
  if (!errors_.empty() || !SelectsNode(policy_, node.labels)) return;
  const std::string& name = policy_.metadata.name;
  static const std::vector<api::InterfaceStatus> kNone;
  const auto& reported = node.state && node.state->status ? node.state->status->interfaces : kNone;
  MergeResult m =
      MergePolicies(node.name, node.labels, valid_policies_, reported, node.state ? &node.state->spec : nullptr);
  for (const Conflict& c : m.conflicts)
    if (std::count(c.policies.begin(), c.policies.end(), name)) {
      if (conflicting_nodes_.insert(node.name).second && conflicts_.size() < 3) conflicts_.push_back(c.message);
    }
  for (const PolicyProblem& p : m.problems)
    if (p.policy == name && problems_.size() < 3) problems_.push_back(p.message);
  if (!m.applied_policies.count(name)) return;
  ++matched_nodes_;
  AddRollout(node);
  if (node.state && NodeApplied(*node.state) && SpecCarriesPolicy(node.state->spec, m.spec, name)) {
    ++ready_nodes_;
  } else if (node.state && node.state->status && node.state->status->sync_state == api::kSyncFailed) {
    failed_.push_back(node.name);
  } else {
    waiting_.push_back(node.name);
  }
}

void PolicyRollupBuilder::AddRollout(const NodeView& node) {
  if (!node.state) return;
  auto it = node.state->metadata.annotations.find(kRolloutAnnotation);
  const std::optional<RolloutRecord> record =
      it == node.state->metadata.annotations.end() ? std::nullopt : ParseRolloutRecord(it->second);
  if (InRollout(record)) {
    if (record->step == kStepDraining) {
      ++rollout_.draining;
      draining_.push_back(node.name);
      if (!record->blocking_pods.empty() && rollout_.blocked.size() < 10)
        rollout_.blocked.push_back({node.name, record->message, record->blocking_pods, {}});
      if (record->stalled) stalled_.push_back(node.name + ": " + record->message);
    } else if (record->step == kStepGranted) {
      ++rollout_.rebooting;
      rebooting_.push_back(node.name);
    } else if (record->result == kResultDone) {  // Uncordoning
      ++rollout_.done;
    } else {
      ++rollout_.failed;
      rollout_failed_.push_back(node.name + ": " + record->message);
    }
    return;
  }
  const bool for_this_spec = record && record->step == kStepIdle && record->spec_hash == SpecHash(node.state->spec);
  if (for_this_spec && record->result != kResultDone) {
    ++rollout_.failed;  // not started again for this spec (MayStart)
    rollout_failed_.push_back(node.name + ": " + record->message);
  } else if (!NeedOf(*node.state).kind.empty()) {
    ++rollout_.pending;
  } else if (for_this_spec) {
    ++rollout_.done;
  }
}

PolicyRollup PolicyRollupBuilder::Finish() const {
  const int64_t gen = policy_.metadata.generation.value_or(0);
  PolicyRollup r;
  if (!errors_.empty()) {
    std::string msg = "invalid spec, nothing is applied: " + api::Summarize(errors_);
    r.conditions = {Cond(api::kConditionReady, false, api::kReasonInvalidSpec, msg, gen),
                    Cond(api::kConditionProgressing, false, api::kReasonInvalidSpec, "fix the spec", gen),
                    Cond(api::kConditionDegraded, true, api::kReasonInvalidSpec, msg, gen),
                    Cond(kConditionReconciling, false, api::kReasonInvalidSpec, "fix the spec", gen),
                    Cond(kConditionStalled, true, api::kReasonInvalidSpec, msg, gen)};
    return r;
  }
  r.matched_nodes = matched_nodes_;
  r.ready_nodes = ready_nodes_;
  r.rollout = rollout_;

  std::string degraded_reason, degraded_msg;
  auto add = [&](std::string_view reason, const std::string& msg) {
    if (degraded_reason.empty()) degraded_reason = std::string(reason);
    degraded_msg += (degraded_msg.empty() ? "" : "; ") + msg;
  };
  if (!conflicts_.empty()) {
    std::string msg = conflicts_.front();
    if (conflicting_nodes_.size() > 1) msg += " (conflicts on " + std::to_string(conflicting_nodes_.size()) + " nodes)";
    add(api::kReasonConflict, msg);
  }
  for (const auto& p : problems_) add(api::kReasonInvalidSpec, p);
  if (!rollout_failed_.empty())
    add("RolloutFailed", std::to_string(rollout_failed_.size()) + " node rollout" +
                             (rollout_failed_.size() == 1 ? "" : "s") + " aborted or failed, not retried for this spec (" +
                             NameList(rollout_failed_, 3) + ")");
  if (!failed_.empty())
    add("ApplyFailed", std::to_string(failed_.size()) + " node" + (failed_.size() == 1 ? "" : "s") +
                           " failed to apply it: " + NameList(failed_) + " (see their RdmaNodeState status.lastError)");

  const std::string counts =
      std::to_string(r.ready_nodes) + " of " + std::to_string(r.matched_nodes) + " matched nodes applied";
  const bool all_ready = r.ready_nodes == r.matched_nodes;
  const bool degraded = !degraded_reason.empty();
  r.conditions.push_back(
      Cond(api::kConditionReady, all_ready && !degraded,
           degraded ? std::string_view(degraded_reason) : (all_ready ? api::kReasonApplied : api::kReasonApplying),
           counts, gen));
  r.conditions.push_back(Cond(api::kConditionProgressing, !waiting_.empty(),
                              waiting_.empty() ? api::kReasonApplied : api::kReasonApplying,
                              waiting_.empty() ? counts : counts + "; waiting for " + NameList(waiting_), gen));
  r.conditions.push_back(Cond(api::kConditionDegraded, degraded,
                              degraded ? std::string_view(degraded_reason) : api::kReasonApplied,
                              degraded ? degraded_msg : "", gen));

  const api::PolicyRolloutStatus& ro = rollout_;
  const int32_t moving = ro.pending + ro.draining + ro.rebooting;
  // Every node the rollout holds cordoned is named here (the first few),
  // so no node is out of scheduling without a condition saying why.
  std::string rollout_counts = std::to_string(ro.draining) + " draining, " + std::to_string(ro.rebooting) +
                               " rebooting, " + std::to_string(ro.pending) + " pending, " + std::to_string(ro.done) +
                               " done, " + std::to_string(ro.failed) + " failed";
  if (!draining_.empty()) rollout_counts += "; draining: " + NameList(draining_);
  if (!rebooting_.empty()) rollout_counts += "; rebooting: " + NameList(rebooting_);
  r.conditions.push_back(Cond(kConditionReconciling, moving > 0 || !waiting_.empty(),
                              moving > 0 ? std::string_view("RollingOut")
                                         : (waiting_.empty() ? api::kReasonApplied : api::kReasonApplying),
                              moving > 0 ? "disruption rollout: " + rollout_counts
                                         : (waiting_.empty() ? counts : counts + "; waiting for " + NameList(waiting_)),
                              gen));
  std::string stalled_msg;
  std::string_view stalled_reason = api::kReasonApplied;
  if (!stalled_.empty()) {
    stalled_reason = "DrainTimedOut";
    stalled_msg = NameList(stalled_, 3);
    for (const api::RolloutBlockedNode& b : ro.blocked)
      if (std::find_if(stalled_.begin(), stalled_.end(), [&](const std::string& s) {
            return s.rfind(b.node + ": ", 0) == 0;
          }) != stalled_.end())
        stalled_msg += "; " + b.node + " is blocked by " + NameList(b.pods, 5);
  } else if (!rollout_failed_.empty()) {
    stalled_reason = "RolloutFailed";
    stalled_msg = NameList(rollout_failed_, 3);
  }
  r.conditions.push_back(Cond(kConditionStalled, !stalled_msg.empty(), stalled_reason, stalled_msg, gen));
  return r;
}

std::vector<api::Condition> NetworkConditions(const NetworkFacts& f, int64_t gen) {
  std::string reason, msg;
  auto add = [&](std::string_view r, const std::string& m) {
    if (reason.empty()) reason = std::string(r);
    msg += (msg.empty() ? "" : "; ") + m;
  };
  if (!f.errors.empty()) add(api::kReasonInvalidSpec, "invalid spec: " + api::Summarize(f.errors));
  if (f.nad_crd_missing)
    add(api::kReasonNadCrdMissing,
        "the NetworkAttachmentDefinition CRD (network-attachment-definitions.k8s.cni.cncf.io) is not installed; "
        "install Multus or crds/third-party and the network is rendered automatically");
  if (!f.foreign_nads.empty())
    add(api::kReasonConflict, "NetworkAttachmentDefinition " + NameList(f.foreign_nads) +
                                  " exists and was not created for this network; it is left alone: delete it or "
                                  "rename the RdmaNetwork");
  if (!f.missing_namespaces.empty())
    add("NamespaceNotFound", "target namespace " + NameList(f.missing_namespaces) + " does not exist");
  for (const auto& e : f.write_errors) add("WriteFailed", e);
  const bool rendered = f.errors.empty() && !f.nad_crd_missing && f.foreign_nads.empty() &&
                        f.missing_namespaces.empty() && f.write_errors.empty();
  if (!f.exhaustion.empty()) add(api::kReasonAddressesExhausted, f.exhaustion);
  const bool degraded = !reason.empty();
  std::vector<api::Condition> out;
  out.push_back(Cond(api::kConditionReady, rendered && !degraded,
                     rendered ? (degraded ? std::string_view(reason) : api::kReasonRendered) : std::string_view(reason),
                     rendered ? "NetworkAttachmentDefinitions rendered in every target namespace" : msg, gen));
  out.push_back(
      Cond(api::kConditionProgressing, false, rendered ? api::kReasonRendered : std::string_view(reason), "", gen));
  out.push_back(
      Cond(api::kConditionDegraded, degraded, degraded ? std::string_view(reason) : api::kReasonRendered, msg, gen));
  return out;
}

}  // namespace rdma_operator
