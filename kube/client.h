// kube::Client is how the operator and the agent read and write API objects:
// get, list (paged), create, update, patch, delete, the status subresource
// and watch, for any resource named by a kube::Resource, with objects as
// nlohmann::json. It rate-limits itself (QPS/burst), retries safe reads on
// transport errors, 5xx and 429 (honouring Retry-After), and returns every
// failure as a kube::ApiError.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include <nlohmann/json.hpp>

#include "kube/api_error.h"
#include "kube/config.h"
#include "kube/rate_limiter.h"
#include "kube/resource.h"
#include "kube/transport.h"
#include "kube/watch_stream.h"

namespace kube {

using json = nlohmann::json;

struct RequestOptions {
  std::optional<std::chrono::milliseconds> timeout;  // default: ClientOptions::timeout
  std::string field_manager;                         // writes: metadata.managedFields owner
  bool dry_run = false;
  // false: a 429 comes back at once instead of being retried. An eviction's
  // 429 means "a PodDisruptionBudget says not now": the caller backs off.
  bool retry_throttled = true;
};

struct ListOptions {
  std::string label_selector;  // "app=x,tier!=db"
  std::string field_selector;  // "metadata.name=foo"
  int64_t limit = 0;           // page size; 0 = server default (everything)
  std::string continue_token;
  std::string resource_version;  // "0" = any cached version is fine
  std::optional<std::chrono::milliseconds> timeout;
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;  // start after this version
  bool allow_bookmarks = true;
  // Server ends the watch after this long (it picks a random value near it).
  std::chrono::seconds timeout_seconds{300};
  // Client gives up if nothing (not even a bookmark) arrives for this long;
  // must exceed timeout_seconds so a quiet but healthy watch is not cut.
  std::chrono::seconds inactivity_timeout{330};
};

enum class PatchType { kMerge, kJson, kStrategicMerge, kApply };

struct DeleteOptions {
  std::string precondition_uid;
  std::string precondition_resource_version;
  std::string propagation_policy;  // "Foreground", "Background", "Orphan"
  std::optional<int64_t> grace_period_seconds;
};

struct ClientOptions {
  double qps = 20;
  int burst = 30;
  std::chrono::milliseconds timeout{30000};
  int max_retries = 5;  // for safe reads and 429s
  std::chrono::milliseconds retry_initial{200};
  std::chrono::milliseconds retry_max{5000};
};

// Counters for tests and benchmarks (e.g. "no requests when idle").
struct ClientStats {
  std::atomic<uint64_t> requests{0};  // every attempt sent, including retries
  std::atomic<uint64_t> watches{0};   // watch requests started
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> throttled_ns{0};  // time spent waiting for the QPS limit
};

class Client {
 public:
  Client(std::shared_ptr<Transport> transport, ClientOptions options = {});
  // A client for a real API server.
  static Result<std::shared_ptr<Client>> FromConfig(const Config& config);

  // If the object does not exist, the error has IsNotFound() true.
  Result<json> Get(const Resource& r, const std::string& ns, const std::string& name,
                   const RequestOptions& o = {});
  // One page: {"items": [...], "metadata": {"resourceVersion", "continue"}}.
  Result<json> List(const Resource& r, const std::string& ns, const ListOptions& o = {});
  // All pages (following "continue"); metadata.resourceVersion is the
  // list's. If the continue token expires (410) the list restarts once from
  // the beginning, like client-go's pager.
  Result<json> ListAll(const Resource& r, const std::string& ns, ListOptions o = {});
  // Namespace comes from obj.metadata.namespace unless ns is given.
  Result<json> Create(const Resource& r, const json& obj, const RequestOptions& o = {});
  // Sends obj with its metadata.resourceVersion: IsConflict() if it is stale.
  Result<json> Update(const Resource& r, const json& obj, const RequestOptions& o = {});
  Result<json> UpdateStatus(const Resource& r, const json& obj, const RequestOptions& o = {});
  Result<json> Patch(const Resource& r, const std::string& ns, const std::string& name, PatchType type,
                     const json& patch, const RequestOptions& o = {});
  Result<json> PatchStatus(const Resource& r, const std::string& ns, const std::string& name, PatchType type,
                           const json& patch, const RequestOptions& o = {});
  // Returns the server's answer (the object being deleted, or a Status).
  Result<json> Delete(const Resource& r, const std::string& ns, const std::string& name,
                      const DeleteOptions& d = {}, const RequestOptions& o = {});
  // POST pods/<name>/eviction (policy/v1), what `kubectl drain` does: the
  // server deletes the pod unless a PodDisruptionBudget forbids it, in
  // which case the error IsTooManyRequests() (and is not retried here).
  Result<json> Evict(const std::string& ns, const std::string& name, const RequestOptions& o = {});

  // Streams events to on_event until the server ends the watch (returns ok),
  // on_event returns false or stop is requested (ok), or an error: an ERROR
  // event (e.g. IsGone for 410 Expired), a non-200 answer, a transport error,
  // a malformed line, or inactivity_timeout without data.
  Status Watch(const Resource& r, const std::string& ns, const WatchOptions& o,
               const std::function<bool(WatchEvent&&)>& on_event, std::stop_token stop);

  // Escape hatch for other endpoints (e.g. /version, /readyz); error for any
  // status >= 400. Retries like a read if `safe`.
  Result<json> Raw(HttpRequest req, bool safe, std::stop_token stop = {});

  const ClientStats& stats() const { return stats_; }
  // Stops in-flight retries and rate-limit waits (for shutdown).
  void Shutdown() { shutdown_.request_stop(); }

 private:
  Result<json> Do(HttpRequest req, bool safe, std::stop_token stop, bool retry_throttled = true);
  Result<json> Write(const std::string& method, const Resource& r, const std::string& ns, const std::string& name,
                     const std::string& subresource, const json& body, const std::string& content_type,
                     const RequestOptions& o, const std::string& verb);

  std::shared_ptr<Transport> transport_;
  const ClientOptions options_;
  TokenBucket limiter_;
  ClientStats stats_;
  std::stop_source shutdown_;
};

}  // namespace kube
