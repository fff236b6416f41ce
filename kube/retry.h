// kube::RetryOnConflict runs a read-modify-write until it stops failing with
// 409 Conflict (someone else wrote first), like client-go's
// retry.RetryOnConflict. fn must re-read the object on every attempt.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

#include "kube/api_error.h"
#include "kube/rate_limiter.h"

namespace kube {

inline Status RetryOnConflict(const std::function<Status()>& fn, int attempts = 5,
                              std::chrono::milliseconds initial = std::chrono::milliseconds(10)) {
  Backoff backoff(initial, std::chrono::milliseconds(1000), 2.0, 0.1);
  for (int i = 1;; ++i) {
    Status s = fn();
    if (s.ok() || !IsConflict(s.error()) || i >= attempts) return s;
    SleepFor(backoff.Next(), {});
  }
}

}  // namespace kube
