// Patch formats beyond what nlohmann::json provides (it does RFC 6902 JSON
// patch and RFC 7386 merge patch): strategic merge patch for built-in kinds,
// as kubectl apply sends it, and server-side apply.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace testapi {

// Strategic merge patch with the merge keys of the built-in kinds this
// server serves (containers by name, conditions by type, ...), the
// $patch (replace/delete/merge), $retainKeys, $deleteFromPrimitiveList and
// $setElementOrder directives. Lists without a known merge key are
// replaced, as for atomic lists. Returns nullopt with *error on a malformed
// patch.
std::optional<nlohmann::json> StrategicMergePatch(const nlohmann::json& original, const nlohmann::json& patch,
                                                  std::string* error);

// Server-side apply without field ownership: the applied configuration is
// merged into the live object (maps merged, lists replaced). Fields the
// applier dropped are not removed, since ownership is not tracked.
nlohmann::json ApplyPatch(const nlohmann::json& live, const nlohmann::json& applied);

}  // namespace testapi
