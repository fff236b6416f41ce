// Field-level validation errors, worded the way kube-apiserver words them.
//
// kube-apiserver reports an invalid object as a 422 Status whose
// details.causes list one FieldError each, and whose message joins them
// ("Widget.g \"w\" is invalid: [spec.size: ..., spec.color: ...]"). Clients
// (kubectl, controller-runtime, our own kube::ApiError) show these strings to
// users, so the test API server must produce them byte for byte. The helpers
// below mirror k8s.io/apimachinery/pkg/util/validation/field: one constructor
// per error type, and the Go value formatting (%q, %v, %#v) the real server
// uses when it prints the offending value.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace testapi {

// One field problem, as kube-apiserver reports it in Status.details.causes.
struct FieldError {
  // StatusCause reason: FieldValueRequired, FieldValueInvalid,
  // FieldValueNotSupported, FieldValueTypeInvalid, FieldValueTooLong,
  // FieldValueTooMany, FieldValueForbidden, FieldValueDuplicate.
  std::string reason;
  // "spec.size", "spec.tags[3]", "metadata.name"; "<nil>" where the real
  // server has no path (anyOf/oneOf/allOf/not summaries).
  std::string field;
  // The cause message without the field, e.g. "Required value" or
  // "Invalid value: 30: spec.size in body should be less than or equal to 10".
  std::string message;

  // "spec.size: Invalid value: 30: ..." (the form used in Status.message).
  std::string ToString() const;
  // {"reason":..., "message":..., "field":...}: one entry of details.causes.
  nlohmann::json ToCause() const;

  bool operator==(const FieldError&) const = default;
};

// "Widget.conformance.rdma-test.io \"w-bad\" is invalid: [a, b]" — the real
// Status.message. One error: no brackets; identical messages are listed once;
// no errors: "... is invalid". kind_dot_group is "Kind" for the core group.
std::string InvalidMessage(std::string_view kind_dot_group, std::string_view name,
                           const std::vector<FieldError>& errors);

// Constructors named after field.Required, field.Invalid, ... Each builds the
// message exactly as field.Error.ErrorBody() would.
namespace field {
FieldError Required(std::string path, std::string_view detail = {});
FieldError Invalid(std::string path, const nlohmann::json& value, std::string_view detail);
FieldError TypeInvalid(std::string path, const nlohmann::json& value, std::string_view detail);
FieldError NotSupported(std::string path, const nlohmann::json& value, const std::vector<std::string>& supported);
FieldError Forbidden(std::string path, std::string_view detail);
FieldError Duplicate(std::string path, const nlohmann::json& value);
// "Too long: may not be more than N bytes" (the value is never printed).
FieldError TooLong(std::string path, int64_t max_length);
// "Too many: 4: must have at most 3 items".
FieldError TooMany(std::string path, int64_t actual, int64_t max);
// Invalid with a value that is already Go-formatted (e.g. "[]string{\"a\"}").
FieldError InvalidPreformatted(std::string path, std::string_view go_value, std::string_view detail);
}  // namespace field

// Go's strconv.Quote / %q: "a\"b\n" -> "\"a\\\"b\\n\"". Invalid UTF-8 bytes
// become \x.. escapes; printable non-ASCII is kept.
std::string GoQuote(std::string_view text);

// Go's %v for a float64 (strconv 'g', shortest): exponent form when the
// decimal exponent is < -4 or >= 6 ("30", "1.5", "123456", "1e+06", "1e-05").
std::string GoFloat(double value);

// How field.Error prints a bad value taken from a JSON document: strings
// quoted, numbers and booleans bare, null as "null" (quoted), arrays and
// objects in Go's %#v form ("[]interface {}{\"a\", 1}",
// "map[string]interface {}{\"a\":1}").
std::string GoValue(const nlohmann::json& value);

// %#v of a []string: "[]string{\"a\", \"b\"}"; nil_slice gives "[]string(nil)".
std::string GoStringSlice(const std::vector<std::string>& values, bool nil_slice = false);

}  // namespace testapi
