#include "api/field_checks.h"

#include <cctype>

namespace api::checks {

namespace {

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

}  // namespace

bool IsPciId(std::string_view s) {
  if (s.size() != 4) return false;
  for (char c : s) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

bool IsPciAddress(std::string_view s) {
  // dddd:bb:dd.f
  if (s.size() != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!IsLowerHex(s[i])) return false;
  }
  if (s[8] != '0' && s[8] != '1') return false;  // device 00..1f
  return s[11] >= '0' && s[11] <= '7';
}

bool IsResourceName(std::string_view s) {
  if (s.empty() || s.size() > 63 || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

bool IsDnsLabel(std::string_view s) {
  auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (s.empty() || s.size() > 63 || !lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
  for (char c : s) {
    if (!lower_alnum(c) && c != '-') return false;
  }
  return true;
}

void CheckRange(const std::optional<int32_t>& value, int32_t min, int32_t max,
                const std::string& path, FieldErrors* errors) {
  if (!value || (*value >= min && *value <= max)) return;
  errors->push_back({path, "must be between " + std::to_string(min) + " and " +
                               std::to_string(max) + ", got " + std::to_string(*value)});
}

void CheckEnum(const std::optional<std::string>& value, std::initializer_list<std::string_view> allowed,
               const std::string& what, const std::string& path, FieldErrors* errors) {
  if (!value) return;
  std::string list;
  for (std::string_view a : allowed) {
    if (*value == a) return;
    if (!list.empty()) list += ", ";
    list += a;
  }
  errors->push_back({path, "unknown " + what + " \"" + *value + "\"; use one of " + list});
}

void CheckResourceName(const std::string& value, const std::string& path, FieldErrors* errors) {
  if (value.empty()) {
    errors->push_back({path, "is required: the name pods request as rdma.dev/<resourceName>"});
  } else if (!IsResourceName(value)) {
    errors->push_back({path, "\"" + value +
                                 "\" is not a valid resource name: at most 63 letters, digits, "
                                 "'-', '_' or '.', starting and ending with a letter or digit"});
  }
}

}  // namespace api::checks
