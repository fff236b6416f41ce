// Small checks shared by the kinds' Validate() functions: the same patterns,
// enums and ranges the CRD schemas declare, so a field means the same thing
// wherever it appears. Each adds a FieldError naming the path and saying
// what is allowed.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "api/field_error.h"

namespace api::checks {

// PCI vendor or device ID: four lower-case hex digits ("15b3").
bool IsPciId(std::string_view s);
// Full PCI address domain:bus:device.function, lower-case ("0000:41:00.0").
bool IsPciAddress(std::string_view s);
// Device-plugin resource name part: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?,
// at most 63 characters.
bool IsResourceName(std::string_view s);
// DNS label (namespace names): [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63.
bool IsDnsLabel(std::string_view s);

void CheckRange(const std::optional<int32_t>& value, int32_t min, int32_t max,
                const std::string& path, FieldErrors* errors);
void CheckEnum(const std::optional<std::string>& value, std::initializer_list<std::string_view> allowed,
               const std::string& what, const std::string& path, FieldErrors* errors);
void CheckResourceName(const std::string& value, const std::string& path, FieldErrors* errors);

}  // namespace api::checks
