#include "kube/rate_limiter.h"

#include <algorithm>
#include <condition_variable>
#include <thread>

namespace kube {

TokenBucket::TokenBucket(double qps, int burst, NowFn now)
    : qps_(qps), burst_(std::max(1, burst)), now_(std::move(now)), tokens_(burst_), last_(now_()) {}

SteadyClock::duration TokenBucket::Reserve() {
  if (qps_ <= 0) return SteadyClock::duration::zero();
  std::lock_guard<std::mutex> lock(mu_);
  auto now = now_();
  if (now > last_) {
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
    last_ = now;
  }
  tokens_ -= 1;
  if (tokens_ >= 0) return SteadyClock::duration::zero();
  return std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(-tokens_ / qps_));
}

bool TokenBucket::Wait(std::stop_token stop) { return SleepFor(Reserve(), stop); }

Backoff::Backoff(SteadyClock::duration initial, SteadyClock::duration max, double factor, double jitter)
    : initial_(initial), max_(max), factor_(factor), jitter_(jitter), rng_(std::random_device{}()) {}

SteadyClock::duration Backoff::Next() {
  double d = std::chrono::duration<double>(initial_).count();
  for (int i = 0; i < attempt_ && d < std::chrono::duration<double>(max_).count(); ++i) d *= factor_;
  d = std::min(d, std::chrono::duration<double>(max_).count());
  ++attempt_;
  std::uniform_real_distribution<double> dist(1.0 - jitter_, 1.0 + jitter_);
  d *= dist(rng_);
  return std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(d));
}

bool SleepFor(SteadyClock::duration d, std::stop_token stop) {
  if (stop.stop_requested()) return false;
  if (d <= SteadyClock::duration::zero()) return true;
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lock(mu);
  // wait_for with a stop_token returns early (true == predicate) when stop is requested.
  cv.wait_for(lock, stop, d, [] { return false; });
  return !stop.stop_requested();
}

}  // namespace kube
