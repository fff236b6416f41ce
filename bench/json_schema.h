// A small JSON Schema checker, enough for the rdma-bench result schema:
// type, required, properties, additionalProperties: false, items, const,
// enum, minimum and oneOf. Used by `rdma-bench validate`, the unit tests and
// the e2e script, so "the output matches the schema" is checked the same way
// everywhere without another dependency.
#pragma once

#include <nlohmann/json.hpp>

#include "bench/status.h"

namespace bench {

// OK when doc satisfies schema; otherwise the error names the JSON pointer of
// the first offending value and the rule it breaks.
Status ValidateJson(const nlohmann::json& doc, const nlohmann::json& schema);

}  // namespace bench
