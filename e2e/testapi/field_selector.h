// Field selectors (?fieldSelector=metadata.name=x,spec.nodeName!=y): which
// fields a resource type supports and whether an object matches.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace testapi {

class FieldSelector {
 public:
  // Parses `text` and checks every field against `allowed` (metadata.name
  // and metadata.namespace are always allowed). On error returns nullopt
  // and sets *error to the message kube-apiserver gives.
  static std::optional<FieldSelector> Parse(const std::string& text, const std::vector<std::string>& allowed,
                                            std::string* error);

  bool Matches(const nlohmann::json& object) const;
  bool Empty() const { return terms_.empty(); }
  // The value the selector requires `field` to equal, if it pins one.
  std::optional<std::string> Required(const std::string& field) const;

 private:
  struct Term {
    std::string field;
    std::string value;
    bool negate;
  };
  std::vector<Term> terms_;
};

// The value of a dotted field path as field selectors compare it: strings
// as they are, booleans as "true"/"false", missing fields as "".
std::string FieldValue(const nlohmann::json& object, const std::string& dotted);

}  // namespace testapi
