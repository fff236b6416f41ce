#include "api/pf_name_selector.h"

#include <cctype>

namespace api {

namespace {

// Parses a VF index: 1 to 3 decimal digits.
std::optional<int32_t> ParseIndex(std::string_view s) {
  if (s.empty() || s.size() > 3) return std::nullopt;
  int32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

std::optional<PfNameSelector> ParsePfNameSelector(std::string_view text, std::string* error) {
  std::string quoted = "\"" + std::string(text) + "\"";
  auto hash = text.find('#');
  std::string_view name = text.substr(0, hash);
  if (name.empty() || name.size() > 15) {
    *error = "PF name in " + quoted + " must be 1 to 15 characters";
    return std::nullopt;
  }
  for (char c : name) {
    if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c))) {
      *error = "PF name in " + quoted + " must not contain '/', ':' or whitespace";
      return std::nullopt;
    }
  }
  PfNameSelector out{std::string(name), std::nullopt};
  if (hash == std::string_view::npos) return out;

  std::string_view range = text.substr(hash + 1);
  auto dash = range.find('-');
  std::optional<int32_t> first, last;
  if (dash != std::string_view::npos) {
    first = ParseIndex(range.substr(0, dash));
    last = ParseIndex(range.substr(dash + 1));
  }
  if (!first || !last) {
    *error = "VF range in " + quoted + " must be written name#first-last, e.g. ens1f0#0-7";
    return std::nullopt;
  }
  if (*first > *last) {
    *error = "VF range " + std::to_string(*first) + "-" + std::to_string(*last) + " in " + quoted +
             " ends before it starts";
    return std::nullopt;
  }
  out.vfs = VfRange{*first, *last};
  return out;
}

std::string ToString(const PfNameSelector& selector) {
  if (!selector.vfs) return selector.pf_name;
  return selector.pf_name + "#" + std::to_string(selector.vfs->first) + "-" +
         std::to_string(selector.vfs->last);
}

}  // namespace api
