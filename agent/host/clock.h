// Clock: the agent's only source of time and its only way to wait.
//
// Waiting for host events uses netlink with a deadline from the Clock; the
// only sleeps are the bounded back-offs that go through SleepFor, so tests
// with a FakeClock run instantly and deterministically.
#pragma once

#include <chrono>
#include <mutex>

namespace host {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point Now() = 0;      // for durations
  virtual std::chrono::system_clock::time_point WallNow() = 0;  // for timestamps in status
  virtual void SleepFor(std::chrono::steady_clock::duration d) = 0;
};

class SystemClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override;
  std::chrono::system_clock::time_point WallNow() override;
  void SleepFor(std::chrono::steady_clock::duration d) override;
};

// Time moves only when a test calls Advance or the code calls SleepFor
// (which advances by the requested amount and returns at once).
class FakeClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override;
  std::chrono::system_clock::time_point WallNow() override;
  void SleepFor(std::chrono::steady_clock::duration d) override { Advance(d); }
  void Advance(std::chrono::steady_clock::duration d);
  std::chrono::steady_clock::duration slept() const;

 private:
  mutable std::mutex mu_;  // guards elapsed_ and slept_
  std::chrono::steady_clock::duration elapsed_{};
  std::chrono::steady_clock::duration slept_{};
};

}  // namespace host
