#include "agent/host/clock.h"

#include <thread>

namespace host {

std::chrono::steady_clock::time_point SystemClock::Now() { return std::chrono::steady_clock::now(); }
std::chrono::system_clock::time_point SystemClock::WallNow() { return std::chrono::system_clock::now(); }
void SystemClock::SleepFor(std::chrono::steady_clock::duration d) { std::this_thread::sleep_for(d); }

std::chrono::steady_clock::time_point FakeClock::Now() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::chrono::steady_clock::time_point() + std::chrono::hours(1) + elapsed_;
}

std::chrono::system_clock::time_point FakeClock::WallNow() {
  std::lock_guard<std::mutex> lock(mu_);
  // 2026-01-01T00:00:00Z plus the elapsed time, so timestamps are stable.
  return std::chrono::system_clock::time_point(std::chrono::seconds(1767225600)) +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(elapsed_);
}

void FakeClock::Advance(std::chrono::steady_clock::duration d) {
  std::lock_guard<std::mutex> lock(mu_);
  elapsed_ += d;
  slept_ += d;
}

std::chrono::steady_clock::duration FakeClock::slept() const {
  std::lock_guard<std::mutex> lock(mu_);
  return slept_;
}

}  // namespace host
