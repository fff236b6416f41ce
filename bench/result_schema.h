// The JSON schema of rdma-bench result files ("schema": "rdma-bench/v1").
// A change that removes or renames a field, or changes its meaning, needs a
// new version; adding optional fields does not. `rdma-bench schema` prints it.
#pragma once

#include <nlohmann/json.hpp>

#include "bench/status.h"

namespace bench {

const nlohmann::json& ResultSchema();

// ValidateJson(doc, ResultSchema()).
Status ValidateResult(const nlohmann::json& doc);

}  // namespace bench
