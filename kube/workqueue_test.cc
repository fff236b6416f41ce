#include "kube/workqueue.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace kube {
namespace {

using namespace std::chrono_literals;

TEST(WorkQueueTest, DeduplicatesQueuedKeys) {
  WorkQueue q;
  q.Add("a");
  q.Add("b");
  q.Add("a");
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(*q.Get(), "a");
  EXPECT_EQ(*q.Get(), "b");
}

TEST(WorkQueueTest, KeyAddedWhileProcessingWaitsForDone) {
  WorkQueue q;
  q.Add("a");
  auto k = q.Get();
  q.Add("a");  // changed again while a worker has it
  EXPECT_EQ(q.Len(), 0u);  // not handed to a second worker
  q.Done(*k);
  EXPECT_EQ(q.Len(), 1u);  // but processed again afterwards
  EXPECT_EQ(*q.Get(), "a");
}

TEST(WorkQueueTest, NeverTwoWorkersOnOneKey) {
  WorkQueue q;
  std::atomic<int> in_flight_a{0}, max_in_flight_a{0}, processed{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto k = q.Get()) {
        if (*k == "a") {
          int n = ++in_flight_a;
          int m = max_in_flight_a.load();
          while (n > m && !max_in_flight_a.compare_exchange_weak(m, n)) {
          }
          std::this_thread::yield();
          --in_flight_a;
        }
        ++processed;
        q.Done(*k);
      }
    });
  }
  for (int i = 0; i < 2000; ++i) q.Add(i % 2 ? "a" : "k" + std::to_string(i % 50));
  // Let the workers empty the queue (nothing adds any more), then stop them.
  while (q.Len() > 0 || q.Processing() > 0) std::this_thread::yield();
  q.ShutDownWithDrain();
  for (auto& t : workers) t.join();
  EXPECT_EQ(max_in_flight_a.load(), 1);
  EXPECT_GT(processed.load(), 0);
}

TEST(WorkQueueTest, RateLimitedBackoffGrowsAndForgetResets) {
  WorkQueueOptions o;
  o.base_delay = 1ms;
  o.qps = 0;  // only per-item backoff
  WorkQueue q(o);
  for (int i = 0; i < 3; ++i) q.AddRateLimited("a");
  EXPECT_EQ(q.NumRequeues("a"), 3);
  EXPECT_EQ(q.Waiting(), 1u);  // one pending entry, not three
  auto started = SteadyClock::now();
  EXPECT_EQ(*q.Get(), "a");
  // First entry (1ms) wins over the later ones (2ms, 4ms).
  EXPECT_LT(SteadyClock::now() - started, 1s);
  q.Done("a");
  q.Forget("a");
  EXPECT_EQ(q.NumRequeues("a"), 0);
}

TEST(WorkQueueTest, AddAfterDeliversLaterAndEarliestWins) {
  WorkQueue q;
  auto started = SteadyClock::now();
  q.AddAfter("a", 1h);
  q.AddAfter("a", 20ms);
  EXPECT_EQ(q.Len(), 0u);
  EXPECT_EQ(*q.Get(), "a");
  auto took = SteadyClock::now() - started;
  EXPECT_GE(took, 20ms);
  EXPECT_LT(took, 1h);
  EXPECT_EQ(q.Waiting(), 0u);
}

TEST(WorkQueueTest, ShutDownReleasesBlockedGetAndDropsNewAdds) {
  WorkQueue q;
  std::thread t([&] { EXPECT_FALSE(q.Get().has_value()); });
  q.ShutDown();
  t.join();
  q.Add("x");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, ShutDownWithDrainWaitsForInFlightKeys) {
  WorkQueue q;
  q.Add("a");
  auto k = q.Get();
  std::atomic<bool> drained{false};
  std::thread t([&] {
    q.ShutDownWithDrain();
    drained = true;
  });
  // Until Done, the drain cannot finish.
  while (!q.ShuttingDown()) std::this_thread::yield();
  EXPECT_FALSE(drained.load());
  q.Done(*k);
  t.join();
  EXPECT_TRUE(drained.load());
}

}  // namespace
}  // namespace kube
