#include "kube/workqueue.h"

#include <algorithm>
#include <cmath>

namespace kube {

WorkQueue::WorkQueue(WorkQueueOptions options) : options_(options), overall_(options.qps, options.burst) {}

void WorkQueue::AddLocked(const std::string& key) {
  if (shutting_down_ || dirty_.count(key)) return;
  dirty_.insert(key);
  if (processing_.count(key)) return;  // Done() will queue it
  queue_.push_back(key);
  cv_.notify_one();
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  AddLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, SteadyClock::duration d) {
  if (d <= SteadyClock::duration::zero()) return Add(key);
  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) return;
  auto at = SteadyClock::now() + d;
  if (auto it = waiting_at_.find(key); it != waiting_at_.end()) {
    if (it->second <= at) return;
    auto range = waiting_.equal_range(it->second);
    for (auto w = range.first; w != range.second; ++w)
      if (w->second == key) {
        waiting_.erase(w);
        break;
      }
  }
  waiting_.emplace(at, key);
  waiting_at_[key] = at;
  cv_.notify_all();  // a Get may need an earlier wake-up
}

void WorkQueue::AddRateLimited(const std::string& key) {
  SteadyClock::duration item;
  {
    std::lock_guard<std::mutex> lock(mu_);
    int n = failures_[key]++;
    double d = std::chrono::duration<double>(options_.base_delay).count() * std::pow(2.0, std::min(n, 62));
    d = std::min(d, std::chrono::duration<double>(options_.max_delay).count());
    item = std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(d));
  }
  AddAfter(key, std::max(item, overall_.Reserve()));
}

void WorkQueue::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.erase(key);
}

int WorkQueue::NumRequeues(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::PromoteReadyLocked(SteadyClock::time_point now) {
  while (!waiting_.empty() && waiting_.begin()->first <= now) {
    std::string key = waiting_.begin()->second;
    waiting_.erase(waiting_.begin());
    waiting_at_.erase(key);
    AddLocked(key);
  }
}

std::optional<std::string> WorkQueue::Get() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (shutting_down_) return std::nullopt;
    PromoteReadyLocked(SteadyClock::now());
    if (!queue_.empty()) break;
    if (waiting_.empty())
      cv_.wait(lock);
    else
      cv_.wait_until(lock, SteadyClock::time_point(waiting_.begin()->first));  // a copy: the entry may go
  }
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  processing_.insert(key);
  dirty_.erase(key);
  return key;
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  processing_.erase(key);
  if (dirty_.count(key) && !shutting_down_) queue_.push_back(key);
  cv_.notify_all();
}

void WorkQueue::ShutDown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutting_down_ = true;
  cv_.notify_all();
}

void WorkQueue::ShutDownWithDrain() {
  std::unique_lock<std::mutex> lock(mu_);
  shutting_down_ = true;
  cv_.notify_all();
  cv_.wait(lock, [this] { return processing_.empty(); });
}

bool WorkQueue::ShuttingDown() const {
  std::lock_guard<std::mutex> lock(mu_);
  return shutting_down_;
}

size_t WorkQueue::Len() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

size_t WorkQueue::Processing() const {
  std::lock_guard<std::mutex> lock(mu_);
  return processing_.size();
}

size_t WorkQueue::Waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waiting_.size();
}

}  // namespace kube
