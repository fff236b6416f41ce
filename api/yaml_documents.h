// Reading YAML manifests (the files in crds/ and docs/examples/, or what a
// user pipes in) as the JSON the API server would see, so YAML input goes
// through the same FromJson() as objects read from the API.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace api {

// Parses every document of a multi-document YAML stream ("---" separated);
// empty documents are skipped. Plain scalars are typed as kubectl does
// (YAML 1.1): null/~, true/false (also yes/no/on/off), integers, floats;
// quoted and block scalars are strings. On a syntax error returns an empty
// list and sets *error to the line, column and cause.
std::vector<nlohmann::json> ParseYamlDocuments(std::string_view text, std::string* error);

}  // namespace api
