#include "operator/node_state_reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "kube/labels.h"
#include "operator/nic_selection.h"
#include "operator/resources.h"

namespace rdma_operator {
namespace {

std::vector<const api::RdmaNodePolicy*> Ptrs(const std::vector<api::RdmaNodePolicy>& v) {
  std::vector<const api::RdmaNodePolicy*> out;
  for (const auto& p : v) out.push_back(&p);
  return out;
}

}  // namespace

void NodeStateReconciler::RegisterMetrics(kube::MetricsRegistry& metrics) {
  writes_metric_ = &metrics.GetCounter("rdma_operator_node_state_spec_writes_total",
                                       "RdmaNodeState spec creates and updates by the operator");
}

void NodeStateReconciler::Released(const std::set<std::string>& pools) {
  for (const std::string& pool : pools) {
    if (pool.rfind("ip:", 0) == 0 && ctx_.enqueue_network) ctx_.enqueue_network(pool.substr(3));
    // Nodes waiting for a block of this pool may get the one just freed.
    if (!ctx_.enqueue_node) continue;
    for (const std::string& owner : ctx_.ledger.Usage(pool).waiting)
      ctx_.enqueue_node(owner.substr(0, owner.find('/')));
  }
}

kube::Result<kube::ReconcileResult> NodeStateReconciler::NodeGone(const std::string& node) {
  kube::ObjectPtr state = ctx_.node_states->store().Get(node);
  const bool delete_state = state && !(*state)["metadata"].contains("deletionTimestamp");
  if (delete_state) {
    // The Node cache may lag behind an agent that just created its state on
    // a new node: ask the API server before deleting or releasing anything.
    auto live = ctx_.client->Get(kube::resources::Nodes(), "", node);
    if (live.ok()) return kube::ReconcileResult::Done();  // the Node's add event brings us back
    if (!kube::IsNotFound(live.error())) return WithContext(live.error(), "get Node " + node);
  }
  Released(ctx_.ledger.ReleaseOwnedBy(node, {}));
  if (!delete_state) return kube::ReconcileResult::Done();
  kube::DeleteOptions only_this;
  only_this.precondition_uid = kube::UidOf(*state);
  auto r = ctx_.client->Delete(RdmaNodeStates(), "", node, only_this);
  if (!r.ok() && !kube::IsNotFound(r.error()) && !kube::IsConflict(r.error())) return r.error();
  spdlog::info("operator: node gone, deleted its RdmaNodeState node={}", node);
  if (ctx_.enqueue_all_policies) ctx_.enqueue_all_policies();
  return kube::ReconcileResult::Done();
}

kube::Result<kube::ReconcileResult> NodeStateReconciler::Reconcile(const std::string& node_name, std::stop_token) {
  ctx_.EnsureLedgerSeeded();
  // Load: the Node, its labels and the node state as the caches have them.
  kube::ObjectPtr node = ctx_.nodes->store().Get(node_name);
  if (!node || (*node)["metadata"].contains("deletionTimestamp")) return NodeGone(node_name);
  const kube::Labels labels = kube::LabelsFromJson((*node)["metadata"].value("labels", nlohmann::json::object()));
  kube::ObjectPtr state_obj = ctx_.node_states->store().Get(node_name);
  std::optional<api::RdmaNodeState> state;
  if (state_obj) {
    state.emplace();
    auto errors = api::FromJson(*state_obj, &*state);
    if (!errors.empty())
      spdlog::warn("operator: RdmaNodeState has fields of the wrong type node={} errors=\"{}\"", node_name,
                   api::Summarize(errors));
  }
  const api::RdmaNodeStateSpec* current = state ? &state->spec : nullptr;

  // Merge the policies that select the node over the NICs its agent reported.
  const std::vector<api::RdmaNodePolicy> policies = ctx_.ValidPolicies();
  const auto policy_ptrs = Ptrs(policies);
  static const std::vector<api::InterfaceStatus> kNoNics;
  const auto& reported = state && state->status ? state->status->interfaces : kNoNics;
  MergeResult merged = MergePolicies(node_name, labels, policy_ptrs, reported, current);
  const bool selected =
      std::any_of(policy_ptrs.begin(), policy_ptrs.end(), [&](const auto* p) { return SelectsNode(*p, labels); });
  if (!state && !selected) {
    // Nothing selects the node and no state exists: nothing to do, but
    // blocks it may still hold (a relabelled node) are released.
    Released(ctx_.ledger.ReleaseOwnedBy(node_name, {}));
    return kube::ReconcileResult::Done();
  }

  // Request blocks and claim them; what the node no longer needs goes back.
  const BlockNeeds needs = RequestedBlocks(node_name, merged, ctx_.ValidNetworks(), current);
  const Claims claims = ctx_.ledger.ClaimAll(node_name, needs.Requests());
  if (ctx_.enqueue_network)
    for (const std::string& key : NetworksToWake(needs, claims)) ctx_.enqueue_network(key);
  Released(claims.released);

  // Assemble and validate.
  std::vector<std::string> guid_problems;
  const api::RdmaNodeStateSpec desired = AssembleSpec(node_name, merged, needs, claims, current, &guid_problems);
  if (std::optional<std::string> why = SpecProblem(node_name, desired)) {
    spdlog::error("operator: {}", *why);
    if (ctx_.events && state_obj)
      ctx_.events->Record(*state_obj, "Warning", std::string(api::kReasonInvalidSpec), "Reconcile", *why);
    return kube::ReconcileResult::Done();
  }

  // Write (only what differs), then tell.
  const std::string conflicts = ConflictText(merged.conflicts);
  NodeStateWrite write = DiffNodeState(*node, desired, conflicts, state_obj.get(), state ? &*state : nullptr);
  switch (write.kind) {
    case NodeStateWrite::Kind::kNone:
      return kube::ReconcileResult::Done();
    case NodeStateWrite::Kind::kCreate:
      return Create(node_name, desired, write);
    case NodeStateWrite::Kind::kUpdate:
      return Update(node_name, desired, conflicts, guid_problems, write);
  }
  return kube::ReconcileResult::Done();
}

kube::Result<kube::ReconcileResult> NodeStateReconciler::Create(const std::string& node_name,
                                                                const api::RdmaNodeStateSpec& desired,
                                                                const NodeStateWrite& write) {
  auto created = ctx_.client->Create(RdmaNodeStates(), write.object, WriteOptions());
  if (!created.ok()) {
    // The agent created it meanwhile: the informer brings it, and the next
    // reconcile updates its spec without touching its status.
    if (kube::IsAlreadyExists(created.error())) return kube::ReconcileResult::Done();
    return WithContext(created.error(), "create RdmaNodeState " + node_name);
  }
  if (writes_metric_) writes_metric_->Inc();
  spdlog::info("operator: created RdmaNodeState node={} interfaces={} ip_blocks={}", node_name,
               desired.interfaces.size(), desired.ip_blocks.size());
  if (ctx_.events)
    ctx_.events->Record(
        *created, "Normal", "Created", "Reconcile",
        "created for node " + node_name + " with " + std::to_string(desired.interfaces.size()) + " PF(s) configured");
  return kube::ReconcileResult::Done();
}

kube::Result<kube::ReconcileResult> NodeStateReconciler::Update(const std::string& node_name,
                                                                const api::RdmaNodeStateSpec& desired,
                                                                const std::string& conflicts,
                                                                const std::vector<std::string>& guid_problems,
                                                                const NodeStateWrite& write) {
  auto updated = ctx_.client->Update(RdmaNodeStates(), write.object, WriteOptions());
  if (!updated.ok()) {
    if (kube::IsConflict(updated.error()) || kube::IsNotFound(updated.error()))
      return updated.error();  // stale cache: retried with backoff once the informer catches up
    return WithContext(updated.error(), "update spec of RdmaNodeState " + node_name);
  }
  if (write.spec_changed) {
    if (writes_metric_) writes_metric_->Inc();
    spdlog::info("operator: updated RdmaNodeState spec node={} interfaces={} ip_blocks={} generation={}", node_name,
                 desired.interfaces.size(), desired.ip_blocks.size(), kube::GenerationOf(*updated));
    // No Event per spec write: a rollout to 1000 nodes would double the API
    // requests; the node state's generation and the log line record it.
  }
  if (write.conflicts_changed) {
    if (!conflicts.empty()) {
      spdlog::warn("operator: policy conflict node={} conflicts=\"{}\"", node_name, conflicts);
      if (ctx_.events)
        ctx_.events->Record(*updated, "Warning", std::string(api::kReasonConflict), "Reconcile", conflicts);
    } else {
      spdlog::info("operator: policy conflict resolved node={}", node_name);
    }
    if (ctx_.enqueue_all_policies) ctx_.enqueue_all_policies();
  }
  for (const std::string& p : guid_problems) {
    spdlog::warn("operator: GUID pool exhausted node={} problem=\"{}\"", node_name, p);
    if (ctx_.events) ctx_.events->Record(*updated, "Warning", "GuidPoolExhausted", "Reconcile", p);
  }
  if (!guid_problems.empty() && ctx_.enqueue_all_policies) ctx_.enqueue_all_policies();
  return kube::ReconcileResult::Done();
}

}  // namespace rdma_operator
