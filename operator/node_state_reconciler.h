// NodeStateReconciler: policy -> RdmaNodeState.spec, one reconcile per node
// (key = node name). It merges the policies that select the node over the
// NICs its agent reported (policy_merge.h), adds IP blocks for the networks
// of the node's resources and GUID blocks for pool-mode PFs (from the
// ledger, so they are unique and stable), and writes the spec only when it
// differs. The computing is pure and lives in node_state_plan.h; this is
// the I/O around it. It creates the RdmaNodeState (owned by the Node, so it is
// garbage-collected) when a policy selects the node and the agent has not
// created it yet, and deletes it when the Node is gone. Conflicts are
// written to the rdma.dev/conflicts annotation of the node state (its
// status belongs to the agent) and recorded as Warning events.
#pragma once

#include <set>
#include <stop_token>
#include <string>

#include "kube/controller.h"
#include "operator/node_state_plan.h"
#include "operator/operator_context.h"

namespace rdma_operator {

class NodeStateReconciler {
 public:
  explicit NodeStateReconciler(OperatorContext& ctx) : ctx_(ctx) {}
  // Adds rdma_operator_node_state_spec_writes_total; call before Run.
  void RegisterMetrics(kube::MetricsRegistry& metrics);

  kube::Result<kube::ReconcileResult> Reconcile(const std::string& node, std::stop_token stop);

 private:
  kube::Result<kube::ReconcileResult> NodeGone(const std::string& node);
  // The write DiffNodeState planned, and what it tells: log lines, Events,
  // the writes metric and the policies to roll up again.
  kube::Result<kube::ReconcileResult> Create(const std::string& node, const api::RdmaNodeStateSpec& desired,
                                             const NodeStateWrite& write);
  kube::Result<kube::ReconcileResult> Update(const std::string& node, const api::RdmaNodeStateSpec& desired,
                                             const std::string& conflicts,
                                             const std::vector<std::string>& guid_problems,
                                             const NodeStateWrite& write);
  // Wakes the networks of these pools (usage changed) and the nodes waiting
  // for a block in them.
  void Released(const std::set<std::string>& pools);

  OperatorContext& ctx_;
  kube::Counter* writes_metric_ = nullptr;
};

}  // namespace rdma_operator
