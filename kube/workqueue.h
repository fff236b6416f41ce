// kube::WorkQueue holds the keys ("namespace/name") a controller must
// reconcile, like client-go's rate-limited work queue: a key waiting in the
// queue is there once however often it is added; a key being processed is
// never handed to a second worker (re-adds wait until Done); failed keys come
// back after a per-key exponential backoff, bounded by an overall rate limit;
// AddAfter schedules a later visit; ShutDown stops it in order.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "kube/rate_limiter.h"

namespace kube {

struct WorkQueueOptions {
  // Per key: base * 2^failures, capped (client-go: 5ms .. 1000s).
  std::chrono::milliseconds base_delay{5};
  std::chrono::milliseconds max_delay{1000 * 1000};
  // All keys together (client-go: 10 qps, burst 100).
  double qps = 10;
  int burst = 100;
};

class WorkQueue {
 public:
  explicit WorkQueue(WorkQueueOptions options = {});

  void Add(const std::string& key);
  // Adds key once d has passed (the earliest of several pending times wins).
  void AddAfter(const std::string& key, SteadyClock::duration d);
  // Adds key after its backoff: call when processing it failed.
  void AddRateLimited(const std::string& key);
  // Resets key's backoff: call when processing succeeded.
  void Forget(const std::string& key);
  int NumRequeues(const std::string& key) const;

  // Blocks until a key is ready and marks it processing; nullopt once the
  // queue is shut down (ShutDownWithDrain still hands out nothing new).
  std::optional<std::string> Get();
  // The caller finished key; if it was added meanwhile it is queued again.
  void Done(const std::string& key);

  // Get returns nullopt from now on; keys not yet handed out are dropped.
  void ShutDown();
  // ShutDown, then wait until every key handed out has been Done.
  void ShutDownWithDrain();
  bool ShuttingDown() const;

  size_t Len() const;           // keys ready to hand out
  size_t Processing() const;    // keys handed out, not yet Done
  size_t Waiting() const;       // keys scheduled for later

 private:
  void AddLocked(const std::string& key);
  void PromoteReadyLocked(SteadyClock::time_point now);

  const WorkQueueOptions options_;
  TokenBucket overall_;
  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::unordered_set<std::string> dirty_, processing_;
  std::multimap<SteadyClock::time_point, std::string> waiting_;
  std::unordered_map<std::string, SteadyClock::time_point> waiting_at_;
  std::unordered_map<std::string, int> failures_;
  bool shutting_down_ = false;
};

}  // namespace kube
