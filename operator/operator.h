// Operator wires the controllers of rdma-operator onto a kube::Manager:
// informers for Nodes, RdmaNodePolicies, RdmaNetworks, RdmaNodeStates and
// CRDs; the node-state, policy-status, network and rollout controllers; the event
// recorder; and the event handlers that decide which keys a change wakes
// ("only the nodes a change affects"). main() parses flags and calls Run();
// tests and the benchmark build one in-process the same way.
//
// Words, as in controller-runtime: a controller is a loop (kube::Controller:
// a work queue and its workers) that runs a reconciler (the logic, e.g.
// NodeStateReconciler) on each key.
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
#include "operator/network_reconciler.h"
#include "operator/node_state_reconciler.h"
#include "operator/operator_context.h"
#include "operator/policy_status_reconciler.h"
#include "operator/rollout_reconciler.h"

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
  // Drain polling and eviction retry delays (rollout_reconciler.h).
  RolloutOptions rollout;
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
  void EnqueueRollout();

  OperatorOptions options_;
  kube::Manager manager_;
  kube::EventRecorder events_;
  OperatorContext ctx_;
  NodeStateReconciler node_state_reconciler_;
  PolicyStatusReconciler policy_status_reconciler_;
  NetworkReconciler network_reconciler_;
  RolloutReconciler rollout_reconciler_;
  // The loops that run the reconcilers above (owned by manager_); their
  // queues are where handlers and wake-ups put keys.
  kube::Controller* node_state_loop_ = nullptr;
  kube::Controller* policy_status_loop_ = nullptr;
  kube::Controller* network_loop_ = nullptr;
  kube::Controller* rollout_loop_ = nullptr;  // one key: kRolloutKey
  std::unique_ptr<kube::HealthServer> metrics_server_;
};

}  // namespace rdma_operator
