// Rate limiting and backoff shared by the client (QPS/burst), the work queue
// (overall rate plus per-item exponential backoff) and the reflector (retry
// delays with jitter).
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <random>
#include <stop_token>

namespace kube {

using SteadyClock = std::chrono::steady_clock;

// A token bucket: `burst` requests at once, refilled at `qps` per second.
// qps <= 0 means unlimited.
class TokenBucket {
 public:
  using NowFn = std::function<SteadyClock::time_point()>;
  TokenBucket(double qps, int burst, NowFn now = SteadyClock::now);

  // Takes a token and returns how long the caller must wait before using it
  // (zero if one was available). Never fails; later callers queue behind.
  SteadyClock::duration Reserve();
  // Reserve() and sleep; returns false if stop was requested while waiting.
  bool Wait(std::stop_token stop);

 private:
  const double qps_;
  const double burst_;
  const NowFn now_;
  std::mutex mu_;  // guards tokens_ and last_
  double tokens_;
  SteadyClock::time_point last_;
};

// Exponential backoff: initial, initial*factor, ... capped at max, each
// multiplied by a random factor in [1-jitter, 1+jitter].
class Backoff {
 public:
  Backoff(SteadyClock::duration initial, SteadyClock::duration max, double factor = 2.0, double jitter = 0.2);
  SteadyClock::duration Next();
  void Reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

 private:
  SteadyClock::duration initial_, max_;
  double factor_, jitter_;
  int attempt_ = 0;
  std::mt19937_64 rng_;
};

// Sleeps for d unless stop is requested first; returns false if stopped.
bool SleepFor(SteadyClock::duration d, std::stop_token stop);

}  // namespace kube
