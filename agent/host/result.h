// Errors as values for host operations.
//
// Every call that touches the host (sysfs, netlink, a child process) returns
// a Status or a Result<T>. The error text names the object, the operation and
// the cause ("write /sys/bus/pci/devices/0000:41:00.0/sriov_numvfs=8: Device
// or resource busy"), so callers can report it as is. `sys_errno` keeps the
// errno when there was one, so callers can react to EBUSY or ENOENT without
// parsing text.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace host {

struct Error {
  std::string message;
  int sys_errno = 0;  // 0 when the failure did not come from a system call
};

// "<operation>: <strerror(err)>" with sys_errno set.
Error SystemError(const std::string& operation, int err);

class Status {
 public:
  Status() = default;                                            // success
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  static Status Ok() { return Status(); }
  bool ok() const { return ok_; }
  const Error& error() const { return error_; }
  const std::string& message() const { return error_.message; }
  int sys_errno() const { return error_.sys_errno; }

 private:
  Error error_;
  bool ok_ = true;
};

// A value or an Error. Accessing value() on an error (or error() on a value)
// is a programming mistake and throws std::bad_variant_access.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<Error>(v_); }
  Status status() const { return ok() ? Status() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace host
