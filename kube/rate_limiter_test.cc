#include "kube/rate_limiter.h"

#include <gtest/gtest.h>

namespace kube {
namespace {

using namespace std::chrono_literals;

TEST(TokenBucketTest, AllowsBurstThenPacesAtQps) {
  SteadyClock::time_point now{};
  TokenBucket b(10, 3, [&] { return now; });
  EXPECT_EQ(b.Reserve(), 0ns);
  EXPECT_EQ(b.Reserve(), 0ns);
  EXPECT_EQ(b.Reserve(), 0ns);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(b.Reserve()), 100ms);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(b.Reserve()), 200ms);
  now += 1s;  // refills, but never above burst
  EXPECT_EQ(b.Reserve(), 0ns);
}

TEST(BackoffTest, GrowsExponentiallyUpToMax) {
  Backoff b(100ms, 1s, 2.0, 0.0);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(b.Next()), 100ms);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(b.Next()), 200ms);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(b.Next()), 400ms);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(b.Next()), 800ms);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(b.Next()), 1000ms);
  b.Reset();
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(b.Next()), 100ms);
}

TEST(SleepForTest, ReturnsEarlyOnStop) {
  std::stop_source src;
  src.request_stop();
  EXPECT_FALSE(SleepFor(1h, src.get_token()));
}

}  // namespace
}  // namespace kube
