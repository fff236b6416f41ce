// LabelSelector: metav1.LabelSelector (matchLabels AND matchExpressions),
// used by RdmaNodePolicy.spec.nodeSelector to pick nodes: its validation
// (what kube-apiserver checks for a Deployment's selector) and matching.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/field_error.h"

namespace api {

namespace json_fields {
class Reader;
class Writer;
}  // namespace json_fields

struct LabelSelectorRequirement {
  std::string key;
  std::string op;  // "operator" in JSON: In, NotIn, Exists, DoesNotExist
  std::vector<std::string> values;
  nlohmann::json unknown_fields;

  bool operator==(const LabelSelectorRequirement&) const = default;
};

struct LabelSelector {
  std::map<std::string, std::string> match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;
  nlohmann::json unknown_fields;

  bool operator==(const LabelSelector&) const = default;
};

void Fields(json_fields::Reader& v, LabelSelectorRequirement& r);
void Fields(json_fields::Writer& v, LabelSelectorRequirement& r);
void Fields(json_fields::Reader& v, LabelSelector& s);
void Fields(json_fields::Writer& v, LabelSelector& s);

// Errors in label keys, values and operators, with paths under `path`
// ("spec.nodeSelector").
FieldErrors ValidateLabelSelector(const LabelSelector& selector, const std::string& path);

// Whether a node with these labels is selected. An empty selector selects
// everything. Call only on a selector without validation errors: an unknown
// operator selects nothing.
bool Matches(const LabelSelector& selector, const std::map<std::string, std::string>& labels);

// Checks for one label key ("example.com/gpu", "zone") and one label value;
// an empty string means valid, otherwise the reason.
std::string CheckLabelKey(const std::string& key);
std::string CheckLabelValue(const std::string& value);

}  // namespace api
