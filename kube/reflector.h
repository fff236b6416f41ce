// kube::Reflector keeps a local copy of one resource in step with the API
// server, like client-go's reflector: it lists (in pages), then watches from
// the list's resourceVersion, resumes each new watch from the last
// resourceVersion it saw (bookmarks included), relists when the server says
// 410 Expired, and backs off with jitter after errors and suspiciously short
// watches. What it sees goes to a ReflectorSink (normally a kube::Informer).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "kube/client.h"

namespace kube {

// The two calls a reflector needs; ResourceListerWatcher is the real one.
class ListerWatcher {
 public:
  virtual ~ListerWatcher() = default;
  virtual Result<json> List(const ListOptions& o) = 0;  // one page
  virtual Status Watch(const WatchOptions& o, const std::function<bool(WatchEvent&&)>& on_event,
                       std::stop_token stop) = 0;
  virtual std::string Describe() const = 0;  // "pods in namespace x", for logs
};

// Lists and watches one resource (optionally one namespace and selectors).
class ResourceListerWatcher : public ListerWatcher {
 public:
  ResourceListerWatcher(std::shared_ptr<Client> client, Resource r, std::string ns = "",
                        std::string label_selector = "", std::string field_selector = "");
  Result<json> List(const ListOptions& o) override;
  Status Watch(const WatchOptions& o, const std::function<bool(WatchEvent&&)>& on_event,
               std::stop_token stop) override;
  std::string Describe() const override;

 private:
  std::shared_ptr<Client> client_;
  Resource resource_;
  std::string ns_, label_selector_, field_selector_;
};

class ReflectorSink {
 public:
  virtual ~ReflectorSink() = default;
  // A full list: everything not in `items` is gone.
  virtual void Replace(std::vector<json>&& items, const std::string& resource_version) = 0;
  virtual void Upsert(json&& obj) = 0;  // ADDED or MODIFIED
  virtual void Remove(json&& obj) = 0;  // DELETED (last state)
};

struct ReflectorOptions {
  int64_t page_size = 500;
  // Each watch asks the server to end after a random time in [min, 2*min],
  // so many clients do not renew at once.
  std::chrono::seconds min_watch_timeout{300};
  std::chrono::milliseconds backoff_initial{800};
  std::chrono::milliseconds backoff_max{30000};
  // A watch that ends sooner than this with no events counts as a failure.
  std::chrono::milliseconds short_watch{1000};
  // Applied to each object as soon as it is parsed — every item of every
  // list page, every watch event — before it reaches the sink, so a list of
  // many large objects never sits in memory untrimmed. Set through
  // InformerOptions::transform.
  std::function<void(json& obj)> transform;
};

class Reflector {
 public:
  Reflector(std::shared_ptr<ListerWatcher> lw, ReflectorSink* sink, ReflectorOptions options = {});
  // Runs until stop is requested. Call from the thread that owns it.
  void Run(std::stop_token stop);
  // The last resourceVersion synced (list, event or bookmark).
  std::string LastSyncResourceVersion() const;
  // Counters for tests and benchmarks.
  uint64_t lists() const { return lists_; }
  uint64_t watches() const { return watches_; }

 private:
  Status ListAndReplace(std::stop_token stop);

  std::shared_ptr<ListerWatcher> lw_;
  ReflectorSink* sink_;
  const ReflectorOptions options_;
  mutable std::mutex mu_;  // guards rv_
  std::string rv_;
  std::atomic<uint64_t> lists_{0}, watches_{0};
};

}  // namespace kube
