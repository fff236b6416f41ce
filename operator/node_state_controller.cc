#include "operator/node_state_controller.h"

#include <spdlog/spdlog.h>

#include "kube/labels.h"
#include "operator/address_pools.h"
#include "operator/nic_selection.h"
#include "operator/policy_merge.h"
#include "operator/resources.h"

namespace rdma_operator {
namespace {

std::vector<const api::RdmaNodePolicy*> Ptrs(const std::vector<api::RdmaNodePolicy>& v) {
  std::vector<const api::RdmaNodePolicy*> out;
  for (const auto& p : v) out.push_back(&p);
  return out;
}

std::string ConflictText(const std::vector<Conflict>& conflicts) {
  std::string out;
  for (const Conflict& c : conflicts) out += (out.empty() ? "" : "\n") + c.message;
  return out;
}

nlohmann::json NodeOwner(const nlohmann::json& node) {
  return {{"apiVersion", "v1"},       {"kind", "Node"},      {"name", kube::NameOf(node)},
          {"uid", kube::UidOf(node)}, {"controller", false}, {"blockOwnerDeletion", false}};
}

bool HasOwner(const nlohmann::json& obj, const std::string& uid) {
  const auto& refs = obj["metadata"].value("ownerReferences", nlohmann::json::array());
  for (const auto& r : refs)
    if (r.value("uid", "") == uid) return true;
  return false;
}

nlohmann::json SpecJson(const api::RdmaNodeStateSpec& spec) {
  api::RdmaNodeState s;
  s.spec = spec;
  return api::ToJson(s).value("spec", nlohmann::json::object());
}

}  // namespace

void NodeStateController::RegisterMetrics(kube::MetricsRegistry& metrics) {
  writes_metric_ = &metrics.GetCounter("rdma_operator_node_state_spec_writes_total",
                                       "RdmaNodeState spec creates and updates by the operator");
}

void NodeStateController::Released(const std::set<std::string>& pools) {
  for (const std::string& pool : pools) {
    if (pool.rfind("ip:", 0) == 0 && ctx_.enqueue_network) ctx_.enqueue_network(pool.substr(3));
    // Nodes waiting for a block of this pool may get the one just freed.
    if (!ctx_.enqueue_node) continue;
    for (const std::string& owner : ctx_.ledger.Usage(pool).waiting)
      ctx_.enqueue_node(owner.substr(0, owner.find('/')));
  }
}

kube::Result<kube::ReconcileResult> NodeStateController::NodeGone(const std::string& node) {
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

kube::Result<kube::ReconcileResult> NodeStateController::Reconcile(const std::string& node_name, std::stop_token) {
  ctx_.EnsureLedgerSeeded();
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

  const std::vector<api::RdmaNodePolicy> policies = ctx_.ValidPolicies();
  const auto policy_ptrs = Ptrs(policies);
  static const std::vector<api::InterfaceStatus> kNoNics;
  const auto& reported = state && state->status ? state->status->interfaces : kNoNics;
  MergeResult merged = MergePolicies(node_name, labels, policy_ptrs, reported, state ? &state->spec : nullptr);

  bool selected = false;
  for (const auto* p : policy_ptrs) selected = selected || SelectsNode(*p, labels);
  if (!state && !selected) {
    // Nothing selects the node and no state exists: nothing to do, but
    // blocks it may still hold (a relabelled node) are released.
    Released(ctx_.ledger.ReleaseOwnedBy(node_name, {}));
    return kube::ReconcileResult::Done();
  }

  // Blocks: IP per network of the node's resources, GUID per pool-mode PF.
  std::set<std::pair<std::string, std::string>> keep;
  api::RdmaNodeStateSpec desired = merged.spec;
  for (const api::RdmaNetwork& n : ctx_.ValidNetworks()) {
    if (!merged.resources.count(n.spec.resource_name)) continue;
    auto pool = IpBlockPool::FromNetwork(n);
    if (!pool) continue;
    const std::string pool_name = IpPoolName(n.metadata.namespace_, n.metadata.name);
    keep.insert({pool_name, node_name});
    auto before = ctx_.ledger.Find(pool_name, node_name);
    auto run = ctx_.ledger.Claim(pool_name, pool->capacity_blocks(), node_name, 1);
    // The network's usage (and a waiting node's exhaustion) changed.
    if ((run != before || !run) && ctx_.enqueue_network)
      ctx_.enqueue_network(kube::MakeKey(n.metadata.namespace_, n.metadata.name));
    if (!run) continue;
    api::IpRange block = pool->Block(run->first);
    api::IpBlock b;
    b.network_namespace = n.metadata.namespace_;
    b.network = n.metadata.name;
    b.start = block.start.ToString();
    b.end = block.end.ToString();
    desired.ip_blocks.push_back(std::move(b));
  }
  std::sort(desired.ip_blocks.begin(), desired.ip_blocks.end(), [](const api::IpBlock& a, const api::IpBlock& b) {
    return std::tie(a.network_namespace, a.network) < std::tie(b.network_namespace, b.network);
  });
  std::vector<std::string> guid_problems;
  for (const GuidPoolRequest& req : merged.guid_pools) {
    auto pool = GuidPool::FromRange(req.pool_start, req.pool_end);
    if (!pool) continue;
    const std::string pool_name = GuidPoolName(req.pool_start, req.pool_end);
    const std::string owner = node_name + "/" + req.pci_address;
    keep.insert({pool_name, owner});
    auto run = ctx_.ledger.Claim(pool_name, pool->size(), owner, static_cast<uint64_t>(req.num_vfs));
    for (auto it = desired.interfaces.begin(); it != desired.interfaces.end(); ++it) {
      if (it->pci_address != req.pci_address) continue;
      if (run) {
        it->guid_block = pool->Block(*run);
        break;
      }
      guid_problems.push_back("GUID pool " + req.pool_start + "-" + req.pool_end + " has no " +
                              std::to_string(req.num_vfs) + " free GUIDs left for PF " + it->name + " (" +
                              it->pci_address + ") of node " + node_name);
      // Without pool GUIDs the PF is not (re)configured: VFs with GUIDs the
      // subnet manager does not expect would be worse than none. It keeps
      // what it has until a block frees up.
      const api::InterfaceSpec* kept = state ? api::FindInterface(state->spec, req.pci_address) : nullptr;
      if (kept) {
        *it = *kept;
        // The kept PF still uses its old block: hold it again in the ledger
        // so no other PF gets those GUIDs.
        if (kept->guid_block)
          if (auto old_run = pool->RunOf(*kept->guid_block))
            (void)ctx_.ledger.Seed(pool_name, pool->size(), owner, *old_run);
      } else {
        desired.interfaces.erase(it);
      }
      break;
    }
  }
  Released(ctx_.ledger.ReleaseOwnedBy(node_name, keep));

  // Fields the operator does not compute are kept as they are.
  if (state) {
    desired.disruption = state->spec.disruption;
    desired.unknown_fields = state->spec.unknown_fields;
  }
  const std::string conflicts = ConflictText(merged.conflicts);

  // What the agent will act on must pass the agent's own checks; a spec
  // that does not (e.g. a reported PCI address of unexpected form) is not
  // written, and says why.
  {
    api::RdmaNodeState check;
    check.metadata.name = node_name;
    check.spec = desired;
    if (api::FieldErrors errors = api::Validate(check); !errors.empty()) {
      std::string why = "computed spec for node " + node_name + " is invalid, not written: " + api::Summarize(errors);
      spdlog::error("operator: {}", why);
      if (ctx_.events && state_obj)
        ctx_.events->Record(*state_obj, "Warning", std::string(api::kReasonInvalidSpec), "Reconcile", why);
      return kube::ReconcileResult::Done();
    }
  }

  if (!state) {
    api::RdmaNodeState fresh;
    fresh.metadata.name = node_name;
    fresh.spec = desired;
    nlohmann::json obj = api::ToJson(fresh);
    obj["metadata"]["ownerReferences"] = nlohmann::json::array({NodeOwner(*node)});
    if (!conflicts.empty()) obj["metadata"]["annotations"][kConflictsAnnotation] = conflicts;
    auto created = ctx_.client->Create(RdmaNodeStates(), obj, WriteOptions());
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

  const auto& annotations = state->metadata.annotations;
  auto old_conflicts_it = annotations.find(kConflictsAnnotation);
  const std::string old_conflicts = old_conflicts_it == annotations.end() ? "" : old_conflicts_it->second;
  // Compared as JSON: parsed objects carry unknown_fields as {} where fresh
  // ones have null, and the JSON is what the agent sees.
  const nlohmann::json desired_spec = SpecJson(desired);
  const bool spec_changed = desired_spec != SpecJson(state->spec);
  const bool owner_missing = !HasOwner(*state_obj, kube::UidOf(*node));
  if (!spec_changed && conflicts == old_conflicts && !owner_missing) return kube::ReconcileResult::Done();

  nlohmann::json obj = *state_obj;
  obj["spec"] = desired_spec;
  if (conflicts.empty()) {
    if (obj["metadata"].contains("annotations")) obj["metadata"]["annotations"].erase(kConflictsAnnotation);
  } else {
    obj["metadata"]["annotations"][kConflictsAnnotation] = conflicts;
  }
  if (owner_missing) {
    if (!obj["metadata"].contains("ownerReferences")) obj["metadata"]["ownerReferences"] = nlohmann::json::array();
    obj["metadata"]["ownerReferences"].push_back(NodeOwner(*node));
  }
  auto updated = ctx_.client->Update(RdmaNodeStates(), obj, WriteOptions());
  if (!updated.ok()) {
    if (kube::IsConflict(updated.error()) || kube::IsNotFound(updated.error()))
      return updated.error();  // stale cache: retried with backoff once the informer catches up
    return WithContext(updated.error(), "update spec of RdmaNodeState " + node_name);
  }
  if (spec_changed) {
    if (writes_metric_) writes_metric_->Inc();
    spdlog::info("operator: updated RdmaNodeState spec node={} interfaces={} ip_blocks={} generation={}", node_name,
                 desired.interfaces.size(), desired.ip_blocks.size(), kube::GenerationOf(*updated));
    // No Event per spec write: a rollout to 1000 nodes would double the API
    // requests; the node state's generation and the log line record it.
  }
  if (conflicts != old_conflicts) {
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
