#include "e2e/testapi/patch.h"

#include <map>

namespace testapi {

using json = nlohmann::json;

namespace {

// Merge keys of list fields in built-in kinds (patchMergeKey in the Go types).
const std::map<std::string, std::string>& MergeKeys() {
  static const std::map<std::string, std::string> keys = {
      {"containers", "name"},        {"initContainers", "name"}, {"ephemeralContainers", "name"},
      {"volumes", "name"},           {"env", "name"},            {"volumeMounts", "mountPath"},
      {"ports", "containerPort"},    {"conditions", "type"},     {"imagePullSecrets", "name"},
      {"ownerReferences", "uid"},    {"hostAliases", "ip"},      {"topologySpreadConstraints", "topologyKey"},
      {"volumeDevices", "devicePath"}, {"addresses", "type"},
  };
  return keys;
}

// Primitive lists merged as sets (patchStrategy merge on a []string).
bool MergedPrimitiveList(const std::string& field) { return field == "finalizers"; }

bool Merge(json& target, const json& patch, std::string* error);

bool MergeList(json& target, const json& patch, const std::string& field, std::string* error) {
  auto key_it = MergeKeys().find(field);
  if (!target.is_array()) target = json::array();
  if (MergedPrimitiveList(field)) {
    for (const auto& v : patch)
      if (std::find(target.begin(), target.end(), v) == target.end()) target.push_back(v);
    return true;
  }
  if (key_it == MergeKeys().end()) {
    // Atomic list: the patch replaces it (directives stripped).
    json out = json::array();
    for (const auto& v : patch)
      if (!(v.is_object() && v.contains("$patch"))) out.push_back(v);
    target = out;
    return true;
  }
  const std::string& key = key_it->second;
  for (const auto& item : patch) {
    if (!item.is_object()) {
      *error = "list " + field + " merges by " + key + ", but an element is not an object";
      return false;
    }
    if (item.value("$patch", "") == "replace") {
      json out = json::array();
      for (const auto& v : patch)
        if (!(v.is_object() && v.contains("$patch"))) out.push_back(v);
      target = out;
      return true;
    }
    if (!item.contains(key)) {
      *error = "list " + field + ": an element lacks its merge key \"" + key + "\"";
      return false;
    }
    auto match = std::find_if(target.begin(), target.end(),
                              [&](const json& e) { return e.is_object() && e.contains(key) && e[key] == item[key]; });
    if (item.value("$patch", "") == "delete") {
      if (match != target.end()) target.erase(match);
      continue;
    }
    if (match == target.end()) {
      json fresh = json::object();
      if (!Merge(fresh, item, error)) return false;
      target.push_back(fresh);
    } else if (!Merge(*match, item, error)) {
      return false;
    }
  }
  return true;
}

bool Merge(json& target, const json& patch, std::string* error) {
  if (!patch.is_object()) {
    target = patch;
    return true;
  }
  if (!target.is_object()) target = json::object();
  std::string directive = patch.value("$patch", "");
  if (directive == "replace") {
    json copy = patch;
    copy.erase("$patch");
    target = copy;
    return true;
  }
  if (directive == "delete") {
    target = nullptr;
    return true;
  }
  if (patch.contains("$retainKeys") && patch["$retainKeys"].is_array()) {
    for (auto it = target.begin(); it != target.end();) {
      bool keep = std::find(patch["$retainKeys"].begin(), patch["$retainKeys"].end(), it.key()) !=
                  patch["$retainKeys"].end();
      it = keep ? std::next(it) : target.erase(it);
    }
  }
  for (const auto& [k, v] : patch.items()) {
    if (k == "$patch" || k == "$retainKeys" || k.starts_with("$setElementOrder/")) continue;
    if (k.starts_with("$deleteFromPrimitiveList/")) {
      std::string field = k.substr(std::string("$deleteFromPrimitiveList/").size());
      if (target.contains(field) && target[field].is_array() && v.is_array()) {
        json out = json::array();
        for (const auto& e : target[field])
          if (std::find(v.begin(), v.end(), e) == v.end()) out.push_back(e);
        target[field] = out;
      }
      continue;
    }
    if (v.is_null()) {
      target.erase(k);
    } else if (v.is_object()) {
      json& child = target[k];
      if (!Merge(child, v, error)) return false;
      if (child.is_null()) target.erase(k);
    } else if (v.is_array()) {
      if (!MergeList(target[k], v, k, error)) return false;
    } else {
      target[k] = v;
    }
  }
  return true;
}

void ApplyMerge(json& live, const json& applied) {
  if (!applied.is_object() || !live.is_object()) {
    live = applied;
    return;
  }
  for (const auto& [k, v] : applied.items()) {
    if (v.is_object() && live.contains(k) && live[k].is_object()) ApplyMerge(live[k], v);
    else live[k] = v;
  }
}

}  // namespace

std::optional<json> StrategicMergePatch(const json& original, const json& patch, std::string* error) {
  if (!patch.is_object()) {
    *error = "a strategic merge patch must be a JSON object";
    return std::nullopt;
  }
  json out = original;
  if (!Merge(out, patch, error)) return std::nullopt;
  return out;
}

json ApplyPatch(const json& live, const json& applied) {
  json out = live;
  ApplyMerge(out, applied);
  return out;
}

}  // namespace testapi
