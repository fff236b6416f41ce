// Kubernetes timestamps: metav1.Time ("2024-01-02T03:04:05Z") and
// metav1.MicroTime ("2024-01-02T03:04:05.123456Z"), as used in conditions,
// events, leases and exec credentials.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace kube {

using Clock = std::chrono::system_clock;

std::string FormatTime(Clock::time_point t);       // seconds precision, UTC
std::string FormatMicroTime(Clock::time_point t);  // microseconds, UTC
// Parses RFC 3339 with optional fractional seconds and Z or +hh:mm offset.
// Returns nullopt if `s` is not such a timestamp.
std::optional<Clock::time_point> ParseTime(const std::string& s);

}  // namespace kube
