// Errors as values for rdma-bench: every operation that can fail because of
// the network, the peer, the host or the user's input returns a Status or a
// Result<T> whose message names the object, the operation and the cause
// ("connect to 10.0.0.2:18515: connection refused").
#pragma once

#include <cassert>
#include <cstdio>
#include <string>
#include <utility>
#include <variant>

namespace bench {

class Status {
 public:
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !failed_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "<context>: <message>", so callers can
  // add what they were doing without losing the cause.
  Status Wrap(const std::string& context) const {
    return ok() ? *this : Status(context + ": " + message_);
  }

 private:
  Status() = default;
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}
  bool failed_ = false;
  std::string message_;
};

// Either a value or a failed Status.
template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status error) : state_(std::move(error)) { assert(!std::get<Status>(state_).ok()); }

  bool ok() const { return std::holds_alternative<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T& value() & { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(state_); }

 private:
  std::variant<T, Status> state_;
};

// Seconds as error messages show them: "10 s", "0.25 s".
inline std::string SecondsText(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", seconds);
  return buf;
}

}  // namespace bench
