#include "operator/cache_trim.h"

#include <initializer_list>

namespace rdma_operator {

using json = nlohmann::json;

namespace {

void DropAnnotations(json& obj) {
  if (auto meta = obj.find("metadata"); meta != obj.end() && meta->is_object()) meta->erase("annotations");
}

// Keeps only `fields` of the object `obj` (no-op if it is not an object).
void KeepOnly(json& obj, std::initializer_list<const char*> fields) {
  if (!obj.is_object()) return;
  json kept = json::object();
  for (const char* field : fields)
    if (auto f = obj.find(field); f != obj.end()) kept[field] = std::move(*f);
  obj = std::move(kept);
}

}  // namespace

void TrimManagedFields(json& obj) {
  auto meta = obj.find("metadata");
  if (meta != obj.end() && meta->is_object()) meta->erase("managedFields");
}

void TrimNode(json& node) {
  TrimManagedFields(node);
  DropAnnotations(node);
  json ready;
  if (auto status = node.find("status"); status != node.end() && status->is_object()) {
    if (auto conds = status->find("conditions"); conds != status->end() && conds->is_array())
      for (json& c : *conds)
        if (c.is_object() && c.value("type", "") == "Ready") {
          KeepOnly(c, {"type", "status"});
          ready = std::move(c);
        }
  }
  node.erase("status");
  if (!ready.is_null()) node["status"]["conditions"] = json::array({std::move(ready)});
}

void TrimNodeState(json& state) {
  TrimManagedFields(state);
  auto status = state.find("status");
  if (status == state.end() || !status->is_object()) return;
  KeepOnly(*status, {"syncState", "appliedGeneration", "observedGeneration", "rebootRequired", "lastError",
                     "interfaces"});
  auto interfaces = status->find("interfaces");
  if (interfaces == status->end() || !interfaces->is_array()) return;
  for (auto& pf : *interfaces) KeepOnly(pf, {"pciAddress", "name", "vendor", "deviceID", "linkType", "totalVfs", "numVfs"});
}

void TrimCrd(json& crd) {
  TrimManagedFields(crd);
  DropAnnotations(crd);
  if (auto spec = crd.find("spec"); spec != crd.end()) KeepOnly(*spec, {"group", "names", "scope"});
  if (auto status = crd.find("status"); status != crd.end()) KeepOnly(*status, {"conditions"});
}

}  // namespace rdma_operator
