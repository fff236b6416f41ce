// Operator wires the controllers of rdma-operator onto a kube::Manager:
// informers for Nodes, RdmaNodePolicies, RdmaNetworks, RdmaNodeStates and
// CRDs; the node-state, policy-status and network controllers; the event
// recorder; and the event handlers that decide which keys a change wakes
// ("only the nodes a change affects"). main() parses flags and calls Run();
// tests and the benchmark build one in-process the same way.
#pragma once

#include <chrono>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "kube/client.h"
#include "kube/events.h"
#include "kube/manager.h"
#include "operator/network_controller.h"
#include "operator/node_state_controller.h"
#include "operator/operator_context.h"
#include "operator/policy_status_controller.h"

namespace rdma_operator {

struct OperatorOptions {
  std::optional<kube::LeaderElectionConfig> leader_election;  // unset: always lead
  std::string probe_address = "0.0.0.0:8081";                 // /healthz, /readyz (and /metrics); "" disables
  std::string metrics_address = "0.0.0.0:8080";               // /metrics; "" or same as probe_address: not separate
  std::string identity = "rdma-operator";                     // Events' reportingInstance
  int node_workers = 4;
  // Status rollups wait this long after a node state change so a rollout
  // of many nodes is summed up in a few writes instead of one per node.
  std::chrono::milliseconds rollup_delay{250};
};

class Operator {
 public:
  Operator(std::shared_ptr<kube::Client> client, OperatorOptions options);
  ~Operator();

  // Blocks until stop (0) or until leadership is lost or the caches cannot
  // sync (1: exit so the Deployment restarts the process).
  int Run(std::stop_token stop);

  kube::Manager& manager() { return manager_; }

 private:
  void AddHandlers();
  // Enqueues the nodes any of the policies selects (all, if one is invalid).
  void EnqueueNodesSelectedBy(std::initializer_list<const nlohmann::json*> policies);
  void EnqueueAllNodes();
  void EnqueueAllPolicies();
  void EnqueueAllNetworks();

  OperatorOptions options_;
  kube::Manager manager_;
  kube::EventRecorder events_;
  OperatorContext ctx_;
  NodeStateController node_state_controller_;
  PolicyStatusController policy_status_controller_;
  NetworkController network_controller_;
  kube::Controller* node_controller_ = nullptr;
  kube::Controller* policy_controller_ = nullptr;
  kube::Controller* network_controller_loop_ = nullptr;
  std::unique_ptr<kube::HealthServer> metrics_server_;
};

}  // namespace rdma_operator
