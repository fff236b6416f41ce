#include "operator/cache_trim.h"

namespace rdma_operator {

using json = nlohmann::json;

void TrimManagedFields(json& obj) {
  auto meta = obj.find("metadata");
  if (meta != obj.end() && meta->is_object()) meta->erase("managedFields");
}

void TrimNode(json& node) {
  TrimManagedFields(node);
  if (auto meta = node.find("metadata"); meta != node.end() && meta->is_object()) meta->erase("annotations");
  node.erase("status");
}

void TrimNodeState(json& state) {
  TrimManagedFields(state);
  auto status = state.find("status");
  if (status == state.end() || !status->is_object()) return;
  status->erase("lastApply");
  auto interfaces = status->find("interfaces");
  if (interfaces == status->end() || !interfaces->is_array()) return;
  for (auto& pf : *interfaces) {
    if (!pf.is_object()) continue;
    pf.erase("vfs");
    pf.erase("firmware");
  }
}

void TrimCrd(json& crd) {
  TrimManagedFields(crd);
  if (auto spec = crd.find("spec"); spec != crd.end() && spec->is_object()) {
    json kept = json::object();
    for (const char* field : {"group", "names", "scope"})
      if (auto f = spec->find(field); f != spec->end()) kept[field] = std::move(*f);
    *spec = std::move(kept);
  }
  if (auto status = crd.find("status"); status != crd.end() && status->is_object()) {
    json kept = json::object();
    if (auto c = status->find("conditions"); c != status->end()) kept["conditions"] = std::move(*c);
    *status = std::move(kept);
  }
}

}  // namespace rdma_operator
