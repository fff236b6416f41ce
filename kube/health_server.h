// kube::HealthServer is the operator's and agent's HTTP endpoint for
// Prometheus and kubelet probes: GET /metrics (text format from a
// MetricsRegistry), /healthz (liveness) and /readyz (readiness), each probe
// the AND of named checks; "?verbose" lists every check. Plain HTTP/1.1,
// one short request per connection, on its own thread.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "kube/api_error.h"
#include "kube/metrics.h"

namespace kube {

class HealthServer {
 public:
  // A check returns "" when healthy, else what is wrong.
  using Check = std::function<std::string()>;

  explicit HealthServer(MetricsRegistry* metrics);
  ~HealthServer();

  void AddHealthCheck(const std::string& name, Check c);
  void AddReadyCheck(const std::string& name, Check c);

  // Listens on "host:port" (port 0 picks one); error if it cannot bind.
  Status Start(const std::string& address);
  int port() const { return port_; }
  void Stop();

  // The response for a path, for tests: status code and body.
  std::pair<int, std::string> Handle(const std::string& target);

 private:
  struct Impl;
  MetricsRegistry* metrics_;
  std::mutex mu_;  // guards the check lists
  std::vector<std::pair<std::string, Check>> health_, ready_;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace kube
