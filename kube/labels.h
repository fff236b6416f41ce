// Labels and label selectors, as k8s.io/apimachinery/pkg/labels defines them.
//
// Two forms of selector exist in the API: the string a client sends as
// ?labelSelector= ("tier in (a,b),!canary") and the metav1.LabelSelector
// object embedded in specs ({matchLabels, matchExpressions}). Both compile to
// the same LabelSelector here, which the test API server uses to filter lists
// and watches and the operator uses to pick nodes. Parse errors carry the
// real apiserver's wording so a 400 from the test server reads like one from
// a cluster. The syntax checks for label keys and values (qualified names,
// DNS-1123 names) live here too, because selectors and ObjectMeta validation
// both need them.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kube {

using Labels = std::map<std::string, std::string>;

enum class SelectorOperator {
  kIn,            // "in"
  kNotIn,         // "notin"
  kEquals,        // "="
  kDoubleEquals,  // "=="
  kNotEquals,     // "!="
  kExists,        // "key"
  kDoesNotExist,  // "!key"
  kGreaterThan,   // "gt" (key>5: integer comparison)
  kLessThan,      // "lt"
};

// One clause of a selector: key, operator, values. A selector is their AND.
struct LabelRequirement {
  std::string key;
  SelectorOperator op = SelectorOperator::kExists;
  std::vector<std::string> values;

  bool Matches(const Labels& labels) const;
  // "tier in (a,b)", "!canary", "env=x" (values sorted, as the real String()).
  std::string String() const;
  bool operator==(const LabelRequirement&) const = default;
};

class LabelSelector {
 public:
  // Matches everything (an empty selector).
  LabelSelector() = default;
  static LabelSelector Everything() { return LabelSelector(); }
  // Matches nothing: what a null metav1.LabelSelector means.
  static LabelSelector Nothing();
  // matchLabels-style: every key must equal its value. Empty set: everything.
  static LabelSelector FromSet(const Labels& set);

  // The string form of ?labelSelector= (labels.Parse): =, ==, !=, in (...),
  // notin (...), key (exists), !key, key>N, key<N; comma = AND; whitespace
  // tolerant. Keys and values are validated like the real parser. On error
  // returns nullopt and sets *error (if non-null) to the real message, e.g.
  // "unable to parse requirement: found '', expected: ',' or ')'".
  static std::optional<LabelSelector> Parse(std::string_view text, std::string* error);

  // metav1.LabelSelector object (LabelSelectorAsSelector): {matchLabels:{},
  // matchExpressions:[{key, operator: In|NotIn|Exists|DoesNotExist, values}]}.
  // An empty object matches everything; JSON null matches nothing. Rejects
  // bad operators, values given to Exists/DoesNotExist, missing values for
  // In/NotIn, invalid keys/values, and wrongly typed fields.
  static std::optional<LabelSelector> FromJson(const nlohmann::json& selector, std::string* error);

  bool Matches(const Labels& labels) const;
  // labels_object is metadata.labels; null, missing or not an object means no
  // labels. Entries whose value is not a string are ignored.
  bool Matches(const nlohmann::json& labels_object) const;
  bool MatchesEverything() const { return !nothing_ && requirements_.empty(); }
  bool MatchesNothing() const { return nothing_; }
  // Canonical string form: requirements sorted by key, joined by ",".
  // Parse(String()) gives an equal selector. Nothing() prints as "".
  std::string String() const;
  const std::vector<LabelRequirement>& Requirements() const { return requirements_; }

 private:
  std::vector<LabelRequirement> requirements_;  // sorted by key (stable)
  bool nothing_ = false;
};

// Label syntax checks. Each returns nullopt when valid, else the real
// validation message(s) joined with "; " (as labels.Parse reports them).
std::optional<std::string> ValidateLabelKey(std::string_view key);
std::optional<std::string> ValidateLabelValue(std::string_view value);

// The individual messages of k8s.io/apimachinery/pkg/util/validation, for
// callers that report one FieldError per message (ObjectMeta validation).
std::vector<std::string> QualifiedNameErrors(std::string_view value);     // IsQualifiedName
std::vector<std::string> LabelValueErrors(std::string_view value);        // IsValidLabelValue
std::vector<std::string> Dns1123SubdomainErrors(std::string_view value);  // IsDNS1123Subdomain
std::vector<std::string> Dns1123LabelErrors(std::string_view value);      // IsDNS1123Label

// metadata.labels as a map; anything that is not an object gives no labels,
// and entries whose value is not a string are skipped.
Labels LabelsFromJson(const nlohmann::json& labels_object);

}  // namespace kube
