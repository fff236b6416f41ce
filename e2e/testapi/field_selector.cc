#include "e2e/testapi/field_selector.h"

#include <algorithm>

namespace testapi {

std::string FieldValue(const nlohmann::json& object, const std::string& dotted) {
  const nlohmann::json* cur = &object;
  size_t start = 0;
  while (start <= dotted.size()) {
    size_t dot = dotted.find('.', start);
    std::string key = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object() || !cur->contains(key)) return "";
    cur = &(*cur)[key];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (cur->is_string()) return cur->get<std::string>();
  if (cur->is_boolean()) return cur->get<bool>() ? "true" : "false";
  if (cur->is_number()) return cur->dump();
  return "";
}

std::optional<FieldSelector> FieldSelector::Parse(const std::string& text, const std::vector<std::string>& allowed,
                                                  std::string* error) {
  FieldSelector sel;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    std::string term = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? text.size() : comma + 1;
    if (term.empty()) continue;
    Term t{};
    size_t op;
    if ((op = term.find("!=")) != std::string::npos) {
      t = {term.substr(0, op), term.substr(op + 2), true};
    } else if ((op = term.find("==")) != std::string::npos) {
      t = {term.substr(0, op), term.substr(op + 2), false};
    } else if ((op = term.find('=')) != std::string::npos) {
      t = {term.substr(0, op), term.substr(op + 1), false};
    } else {
      *error = "invalid selector: '" + text + "'; can't understand '" + term + "'";
      return std::nullopt;
    }
    bool known = t.field == "metadata.name" || t.field == "metadata.namespace" ||
                 std::find(allowed.begin(), allowed.end(), t.field) != allowed.end();
    if (!known) {
      *error = "\"" + t.field + "\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"";
      return std::nullopt;
    }
    sel.terms_.push_back(std::move(t));
  }
  return sel;
}

bool FieldSelector::Matches(const nlohmann::json& object) const {
  for (const auto& t : terms_)
    if ((FieldValue(object, t.field) == t.value) == t.negate) return false;
  return true;
}

std::optional<std::string> FieldSelector::Required(const std::string& field) const {
  for (const auto& t : terms_)
    if (t.field == field && !t.negate) return t.value;
  return std::nullopt;
}

}  // namespace testapi
