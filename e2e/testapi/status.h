// API errors as kube-apiserver reports them: a meta/v1 Status body with an
// HTTP code, a machine-readable reason and a message for people.
//
// Request handlers throw StatusError; the HTTP layer catches it at the
// request boundary and sends its body, so nothing above a handler ever sees
// an exception.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "e2e/testapi/field_error.h"

namespace testapi {

using json = nlohmann::json;

// A failed request, carrying the Status body the client receives.
struct StatusError {
  int code;
  json body;
};

// The Status body for a failure. `details` may be null.
json FailureStatus(int code, std::string_view reason, std::string_view message, json details = nullptr);

// Success Status, as returned by DELETE of most kinds.
json SuccessStatus(json details = nullptr);

// Shorthands for the errors handlers raise. `resource` is the plural with
// group ("widgets.example.com"), as kube-apiserver names it in messages.
[[noreturn]] void ThrowBadRequest(std::string_view message);
[[noreturn]] void ThrowNotFound(std::string_view group, std::string_view plural, std::string_view name);
[[noreturn]] void ThrowAlreadyExists(std::string_view group, std::string_view plural, std::string_view name);
[[noreturn]] void ThrowConflict(std::string_view group, std::string_view plural, std::string_view name,
                                std::string_view why);
[[noreturn]] void ThrowStatus(int code, std::string_view reason, std::string_view message,
                              json details = nullptr);

// 422 Invalid for an object of `kind` in `group`, one cause per error, worded
// as kube-apiserver does ("Widget.example.com \"w\" is invalid: [...]").
[[noreturn]] void ThrowInvalid(std::string_view group, std::string_view kind, std::string_view name,
                               const std::vector<FieldError>& errors);

// "widgets.example.com" for a group, "pods" for the core group.
std::string QualifiedResource(std::string_view group, std::string_view plural);

}  // namespace testapi
