// kube::ApiError is how every call in kube/ reports failure: the HTTP status
// code and the Kubernetes Status fields (reason, message, causes) from the API
// server, or code 0 for failures that never got an answer (connection
// refused, TLS, timeout). kube::Result<T> carries either a value or an
// ApiError; errors are values, nothing in kube/ throws across its API.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace kube {

// One entry of Status.details.causes, e.g. a field that failed validation.
struct StatusCause {
  std::string reason;   // e.g. "FieldValueInvalid"
  std::string message;  // e.g. "Invalid value: -1: must be >= 0"
  std::string field;    // e.g. "spec.numVfs"
};

struct ApiError {
  int code = 0;             // HTTP status; 0 = no response (transport error)
  std::string reason;       // Status.reason: NotFound, Conflict, Expired, ...
  std::string message;      // human-readable, names the object and operation
  std::vector<StatusCause> causes;
  // Server-suggested wait (Retry-After header or details.retryAfterSeconds).
  std::optional<std::chrono::seconds> retry_after;

  // "<message> (HTTP <code> <reason>; field: cause...)" for logs.
  std::string ToString() const;

  // Builds an error from an HTTP response. If body is a Kubernetes Status its
  // fields are used; otherwise the message says what was attempted and
  // includes the start of the body. `operation` is e.g. "get pods ns/name".
  static ApiError FromResponse(int http_code, const std::string& body, const std::string& operation);
  // An error for a request that got no HTTP answer.
  static ApiError Transport(const std::string& operation, const std::string& cause);
};

// Reason values the API server uses (k8s.io/apimachinery metav1.StatusReason).
bool IsNotFound(const ApiError& e);
bool IsAlreadyExists(const ApiError& e);
bool IsConflict(const ApiError& e);  // 409 other than AlreadyExists: stale resourceVersion
bool IsGone(const ApiError& e);      // 410 / reason Expired|Gone: resourceVersion too old
bool IsInvalid(const ApiError& e);   // 422
bool IsBadRequest(const ApiError& e);
bool IsUnauthorized(const ApiError& e);
bool IsForbidden(const ApiError& e);
bool IsTooManyRequests(const ApiError& e);
bool IsServerTimeout(const ApiError& e);  // 504 or reason ServerTimeout/Timeout
bool IsTransport(const ApiError& e);      // no HTTP answer at all
// Worth retrying an idempotent request: transport errors, 429, 5xx.
bool IsRetryable(const ApiError& e);

// Either a T or an ApiError. Result<void> carries only the error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(ApiError err) : v_(std::move(err)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // Precondition: ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  // Precondition: !ok().
  const ApiError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, ApiError> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(ApiError err) : err_(std::move(err)) {}  // NOLINT
  bool ok() const { return !err_.has_value(); }
  explicit operator bool() const { return ok(); }
  const ApiError& error() const { return *err_; }

 private:
  std::optional<ApiError> err_;
};

using Status = Result<void>;

}  // namespace kube
