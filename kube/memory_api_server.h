// kube::MemoryApiServer is an in-process fake API server behind the
// kube::Transport interface, for unit tests of code that uses kube::Client
// (informers, leader election, events, controllers): objects live in memory
// with resourceVersions, optimistic concurrency, merge and JSON patch, the
// status subresource, delete preconditions, label-selected and paged lists,
// and watches with bookmarks and 410 Expired after Compact(). Faults can be
// injected per request. It is not a conformance-grade server (e2e/testapi is).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/transport.h"

namespace kube {

class MemoryApiServer : public Transport {
 public:
  using json = nlohmann::json;
  // Returning a response makes the server answer with it instead.
  using Fault = std::function<std::optional<HttpResponse>(const HttpRequest&)>;

  Result<HttpResponse> Send(const HttpRequest& req, std::stop_token stop) override;
  Result<HttpResponse> Stream(const HttpRequest& req, const std::function<bool(std::string_view)>& on_line,
                              std::stop_token stop) override;

  void SetFault(Fault f);
  // Ends every open watch (as a restarting or flaky API server would).
  void DropWatches();
  // Forgets history: watches from any older resourceVersion get 410 Expired.
  void Compact();
  // Number of requests seen, by method ("GET", "WATCH", "PUT", ...).
  int64_t RequestCount(const std::string& method) const;
  int64_t CurrentResourceVersion() const;

 private:
  struct Target {
    std::string resource;  // "group/plural"
    std::string ns, name, subresource;
    bool ok = false;
  };
  struct Event {
    std::string resource, ns, type;
    json object;
    int64_t rv;
  };
  static Target ParsePath(const std::string& path);
  HttpResponse Handle(const HttpRequest& req, const Target& t);
  void RecordLocked(const Target& t, const std::string& ns, const std::string& type, const json& obj);

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable_any changed_;
  std::map<std::string, std::map<std::string, json>> objects_;  // resource -> key -> object
  std::vector<Event> history_;
  int64_t rv_ = 1;
  int64_t compacted_rv_ = 0;
  int64_t watch_epoch_ = 0;
  int64_t uid_counter_ = 0;
  std::map<std::string, int64_t> requests_;
  Fault fault_;
};

}  // namespace kube
