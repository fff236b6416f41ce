#include "operator/node_state_plan.h"

#include <algorithm>
#include <tuple>

#include "kube/resource.h"

namespace rdma_operator {
namespace {

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

std::vector<BlockRequest> BlockNeeds::Requests() const {
  std::vector<BlockRequest> out;
  for (const IpBlockNeed& n : ip) out.push_back(n.request);
  for (const GuidBlockNeed& n : guid) out.push_back(n.request);
  return out;
}

BlockNeeds RequestedBlocks(const std::string& node, const MergeResult& merged,
                           const std::vector<api::RdmaNetwork>& networks, const api::RdmaNodeStateSpec* current) {
  BlockNeeds needs;
  for (const api::RdmaNetwork& n : networks) {
    if (!merged.resources.count(n.spec.resource_name)) continue;
    auto pool = IpBlockPool::FromNetwork(n);
    if (!pool) continue;
    BlockRequest r{IpPoolName(n.metadata.namespace_, n.metadata.name), pool->capacity_blocks(), node, 1, {}};
    needs.ip.push_back({n.metadata.namespace_, n.metadata.name, std::move(*pool), std::move(r)});
  }
  for (const GuidPoolRequest& pf : merged.guid_pools) {
    auto pool = GuidPool::FromRange(pf.pool_start, pf.pool_end);
    if (!pool) continue;
    BlockRequest r{GuidPoolName(pf.pool_start, pf.pool_end), pool->size(), node + "/" + pf.pci_address,
                   static_cast<uint64_t>(pf.num_vfs), {}};
    const api::InterfaceSpec* now = current ? api::FindInterface(*current, pf.pci_address) : nullptr;
    if (now && now->guid_block) r.fallback = pool->RunOf(*now->guid_block);
    needs.guid.push_back({pf, *pool, std::move(r)});
  }
  return needs;
}

std::vector<std::string> NetworksToWake(const BlockNeeds& needs, const Claims& claims) {
  std::vector<std::string> out;
  for (size_t i = 0; i < needs.ip.size() && i < claims.claims.size(); ++i)
    if (claims.claims[i].changed) out.push_back(kube::MakeKey(needs.ip[i].network_namespace, needs.ip[i].network));
  return out;
}

api::RdmaNodeStateSpec AssembleSpec(const std::string& node, const MergeResult& merged, const BlockNeeds& needs,
                                    const Claims& claims, const api::RdmaNodeStateSpec* current,
                                    std::vector<std::string>* guid_problems) {
  auto claimed = [&](size_t i) { return i < claims.claims.size() ? claims.claims[i].run : std::nullopt; };
  api::RdmaNodeStateSpec spec = merged.spec;
  for (size_t i = 0; i < needs.ip.size(); ++i) {
    std::optional<BlockRun> run = claimed(i);
    if (!run) continue;
    const IpBlockNeed& need = needs.ip[i];
    api::IpRange block = need.pool.Block(run->first);
    api::IpBlock b;
    b.network_namespace = need.network_namespace;
    b.network = need.network;
    b.start = block.start.ToString();
    b.end = block.end.ToString();
    spec.ip_blocks.push_back(std::move(b));
  }
  std::sort(spec.ip_blocks.begin(), spec.ip_blocks.end(), [](const api::IpBlock& a, const api::IpBlock& b) {
    return std::tie(a.network_namespace, a.network) < std::tie(b.network_namespace, b.network);
  });

  for (size_t i = 0; i < needs.guid.size(); ++i) {
    const GuidBlockNeed& need = needs.guid[i];
    std::optional<BlockRun> run = claimed(needs.ip.size() + i);
    auto it = std::find_if(spec.interfaces.begin(), spec.interfaces.end(),
                           [&](const api::InterfaceSpec& s) { return s.pci_address == need.pf.pci_address; });
    if (it == spec.interfaces.end()) continue;
    if (run) {
      it->guid_block = need.pool.Block(*run);
      continue;
    }
    guid_problems->push_back("GUID pool " + need.pf.pool_start + "-" + need.pf.pool_end + " has no " +
                             std::to_string(need.pf.num_vfs) + " free GUIDs left for PF " + it->name + " (" +
                             it->pci_address + ") of node " + node);
    // Without pool GUIDs the PF is not (re)configured: VFs with GUIDs the
    // subnet manager does not expect would be worse than none. It keeps
    // what it has (its old block is held again by the request's fallback)
    // until a block frees up.
    const api::InterfaceSpec* kept = current ? api::FindInterface(*current, need.pf.pci_address) : nullptr;
    if (kept)
      *it = *kept;
    else
      spec.interfaces.erase(it);
  }

  // Fields the operator does not compute are kept as they are.
  if (current) {
    spec.disruption = current->disruption;
    spec.unknown_fields = current->unknown_fields;
  }
  return spec;
}

std::string ConflictText(const std::vector<Conflict>& conflicts) {
  std::string out;
  for (const Conflict& c : conflicts) out += (out.empty() ? "" : "\n") + c.message;
  return out;
}

std::optional<std::string> SpecProblem(const std::string& node, const api::RdmaNodeStateSpec& spec) {
  api::RdmaNodeState check;
  check.metadata.name = node;
  check.spec = spec;
  api::FieldErrors errors = api::Validate(check);
  if (errors.empty()) return std::nullopt;
  return "computed spec for node " + node + " is invalid, not written: " + api::Summarize(errors);
}

NodeStateWrite DiffNodeState(const nlohmann::json& node, const api::RdmaNodeStateSpec& desired,
                             const std::string& conflicts, const nlohmann::json* state_obj,
                             const api::RdmaNodeState* state) {
  NodeStateWrite w;
  if (!state_obj || !state) {
    api::RdmaNodeState fresh;
    fresh.metadata.name = kube::NameOf(node);
    fresh.spec = desired;
    w.kind = NodeStateWrite::Kind::kCreate;
    w.object = api::ToJson(fresh);
    w.object["metadata"]["ownerReferences"] = nlohmann::json::array({NodeOwner(node)});
    if (!conflicts.empty()) w.object["metadata"]["annotations"][kConflictsAnnotation] = conflicts;
    w.spec_changed = true;
    w.conflicts_changed = !conflicts.empty();
    return w;
  }

  const auto& annotations = state->metadata.annotations;
  auto old_conflicts_it = annotations.find(kConflictsAnnotation);
  const std::string old_conflicts = old_conflicts_it == annotations.end() ? "" : old_conflicts_it->second;
  const nlohmann::json desired_spec = SpecJson(desired);
  w.spec_changed = desired_spec != SpecJson(state->spec);
  w.conflicts_changed = conflicts != old_conflicts;
  const bool owner_missing = !HasOwner(*state_obj, kube::UidOf(node));
  if (!w.spec_changed && !w.conflicts_changed && !owner_missing) return w;

  w.kind = NodeStateWrite::Kind::kUpdate;
  nlohmann::json& obj = w.object = *state_obj;
  obj["spec"] = desired_spec;
  if (conflicts.empty()) {
    if (obj["metadata"].contains("annotations")) obj["metadata"]["annotations"].erase(kConflictsAnnotation);
  } else {
    obj["metadata"]["annotations"][kConflictsAnnotation] = conflicts;
  }
  if (owner_missing) {
    if (!obj["metadata"].contains("ownerReferences")) obj["metadata"]["ownerReferences"] = nlohmann::json::array();
    obj["metadata"]["ownerReferences"].push_back(NodeOwner(node));
  }
  return w;
}

}  // namespace rdma_operator
