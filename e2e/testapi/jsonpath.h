// The subset of Kubernetes JSONPath that CRD printer columns use:
// `.a.b`, `.a[0]`, `.a[*]`, and filters `.a[?(@.k=="v")]` / `!=`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace testapi {

// Every value the path selects in `object` (empty when nothing matches).
// Returns nullopt and sets *error when the path is not in the subset.
std::optional<std::vector<nlohmann::json>> EvalJsonPath(const nlohmann::json& object, const std::string& path,
                                                        std::string* error);

}  // namespace testapi
