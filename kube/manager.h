// kube::Manager wires a controller binary together, like controller-runtime's
// manager: it owns the informers and controllers, serves /metrics, /healthz
// and /readyz, waits for the informers to sync before starting controllers,
// runs the controllers only while this replica holds the leader lease (if
// leader election is configured), and on stop drains the controllers and
// releases the lease.
#pragma once

#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "kube/client.h"
#include "kube/controller.h"
#include "kube/health_server.h"
#include "kube/informer.h"
#include "kube/leader_election.h"
#include "kube/metrics.h"

namespace kube {

struct ManagerOptions {
  std::optional<LeaderElectionConfig> leader_election;
  std::string probe_address = "0.0.0.0:8081";  // "" disables the HTTP endpoint
  std::chrono::seconds sync_timeout{120};
};

class Manager {
 public:
  Manager(std::shared_ptr<Client> client, ManagerOptions options);
  ~Manager();

  std::shared_ptr<Client> client() { return client_; }
  MetricsRegistry& metrics() { return metrics_; }
  HealthServer& health() { return health_; }

  // Owned by the manager; started by Run().
  Informer& AddInformer(const Resource& r, const std::string& ns = "", const std::string& label_selector = "",
                        InformerOptions options = {});
  // The controller gets the manager's metrics registry.
  Controller& AddController(ControllerOptions options, Reconciler reconciler);

  // Blocks until stop is requested (returns 0) or leadership is lost or the
  // informers fail to sync (returns 1: the process should exit and restart).
  int Run(std::stop_token stop);

 private:
  void RunControllers(std::stop_token stop);

  std::shared_ptr<Client> client_;
  const ManagerOptions options_;
  MetricsRegistry metrics_;
  HealthServer health_;
  std::vector<std::unique_ptr<Informer>> informers_;
  std::vector<std::unique_ptr<Controller>> controllers_;
};

}  // namespace kube
