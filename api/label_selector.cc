#include "api/label_selector.h"

#include <algorithm>
#include <regex>

#include "api/json_fields.h"

namespace api {

namespace {

template <class V>
void RequirementFields(V& v, LabelSelectorRequirement& r) {
  v.Required("key", r.key);
  v.Required("operator", r.op);
  v("values", r.values);
}

template <class V>
void SelectorFields(V& v, LabelSelector& s) {
  v("matchLabels", s.match_labels);
  v("matchExpressions", s.match_expressions);
}

// A label name, or a label value when non-empty: alphanumeric at both ends,
// '-', '_' and '.' inside, at most 63 characters.
bool IsLabelName(const std::string& s) {
  static const std::regex re("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
  return s.size() <= 63 && std::regex_match(s, re);
}

bool IsDnsSubdomain(const std::string& s) {
  static const std::regex re("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  return !s.empty() && s.size() <= 253 && std::regex_match(s, re);
}

}  // namespace

void Fields(json_fields::Reader& v, LabelSelectorRequirement& r) { RequirementFields(v, r); }
void Fields(json_fields::Writer& v, LabelSelectorRequirement& r) { RequirementFields(v, r); }
void Fields(json_fields::Reader& v, LabelSelector& s) { SelectorFields(v, s); }
void Fields(json_fields::Writer& v, LabelSelector& s) { SelectorFields(v, s); }

std::string CheckLabelKey(const std::string& key) {
  if (key.empty()) return "label key must not be empty";
  std::string name = key;
  auto slash = key.find('/');
  if (slash != std::string::npos) {
    std::string prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (!IsDnsSubdomain(prefix)) {
      return "label key prefix \"" + prefix +
             "\" must be a DNS subdomain (lower-case letters, digits, '-' and '.', at most 253)";
    }
  }
  if (!IsLabelName(name)) {
    return "label key \"" + key +
           "\" must be a name of at most 63 letters, digits, '-', '_' or '.', starting and "
           "ending with a letter or digit, optionally after a DNS prefix and '/'";
  }
  return "";
}

std::string CheckLabelValue(const std::string& value) {
  if (value.empty() || IsLabelName(value)) return "";
  return "label value \"" + value +
         "\" must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a "
         "letter or digit";
}

FieldErrors ValidateLabelSelector(const LabelSelector& selector, const std::string& path) {
  FieldErrors errors;
  for (const auto& [key, value] : selector.match_labels) {
    std::string p = Child(Child(path, "matchLabels"), key);
    if (std::string e = CheckLabelKey(key); !e.empty()) errors.push_back({p, e});
    if (std::string e = CheckLabelValue(value); !e.empty()) errors.push_back({p, e});
  }
  for (size_t i = 0; i < selector.match_expressions.size(); ++i) {
    const LabelSelectorRequirement& r = selector.match_expressions[i];
    std::string p = Index(Child(path, "matchExpressions"), i);
    if (std::string e = CheckLabelKey(r.key); !e.empty()) errors.push_back({Child(p, "key"), e});
    if (r.op == "In" || r.op == "NotIn") {
      if (r.values.empty()) {
        errors.push_back({Child(p, "values"), "operator " + r.op + " needs at least one value"});
      }
    } else if (r.op == "Exists" || r.op == "DoesNotExist") {
      if (!r.values.empty()) {
        errors.push_back({Child(p, "values"), "operator " + r.op + " takes no values"});
      }
    } else {
      errors.push_back({Child(p, "operator"), "unknown operator \"" + r.op +
                                                   "\"; use In, NotIn, Exists or DoesNotExist"});
    }
    for (size_t j = 0; j < r.values.size(); ++j) {
      if (std::string e = CheckLabelValue(r.values[j]); !e.empty()) {
        errors.push_back({Index(Child(p, "values"), j), e});
      }
    }
  }
  return errors;
}

bool Matches(const LabelSelector& selector, const std::map<std::string, std::string>& labels) {
  for (const auto& [key, value] : selector.match_labels) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  for (const LabelSelectorRequirement& r : selector.match_expressions) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    bool in = has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    if (r.op == "In") {
      if (!in) return false;
    } else if (r.op == "NotIn") {
      if (in) return false;  // a node without the label matches NotIn, as in Kubernetes
    } else if (r.op == "Exists") {
      if (!has) return false;
    } else if (r.op == "DoesNotExist") {
      if (has) return false;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace api
