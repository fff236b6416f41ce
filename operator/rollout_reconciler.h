// RolloutReconciler: drains and reboots nodes within each policy's
// disruption budget, so that nobody grants spec.disruption by hand. It is
// the I/O around the two pure cores: rollout_plan.h (which nodes may start)
// and drain_plan.h (the steps of one node).
//
// One key (kRolloutKey) for the whole cluster, because a budget spans
// nodes. A pass:
//   1. reads every Node and RdmaNodeState from the informer caches and the
//      valid policies, and works out per node what its agent waits for
//      (NeedOf), its rollout record, whether it is NotReady or cordoned, and
//      the policies that select it;
//   2. moves each node that is in the rollout on: it asks NextAction, does
//      what it says (cordon, evict, grant, finish, uncordon) and writes the
//      new record with or before its effect, until the node waits for
//      something outside (pods to go, the agent to apply);
//   3. starts the nodes PickNodesToDisrupt allows, by writing their first
//      record, and moves them on at once.
// Every step lives in the rdma.dev/rollout annotation of the node state, so
// an operator restarted anywhere resumes from the API alone. What stays in
// memory is only the retry delay of a pod whose eviction a
// PodDisruptionBudget refused (429): lost on restart, the eviction is tried
// once more, which is harmless.
//
// The operator does not watch Pods: while a node drains, the pass comes
// back every drain_poll to list its pods again (kubectl drain polls too).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "kube/controller.h"
#include "kube/retry.h"
#include "operator/drain_plan.h"
#include "operator/operator_context.h"
#include "operator/rollout_plan.h"

namespace rdma_operator {

// The rollout controller's only key.
inline constexpr char kRolloutKey[] = "rollout";

struct RolloutOptions {
  // While a node drains: how often its pods are listed again.
  std::chrono::milliseconds drain_poll{2000};
  // A pod whose eviction a PodDisruptionBudget refused (429) is tried again
  // after this long, doubling up to evict_retry_max (never in a tight loop).
  std::chrono::milliseconds evict_retry_initial{5000};
  std::chrono::milliseconds evict_retry_max{60000};
};

class RolloutReconciler {
 public:
  RolloutReconciler(OperatorContext& ctx, RolloutOptions options) : ctx_(ctx), options_(options) {}
  // Adds rdma_operator_rollout_* metrics; call before Run.
  void RegisterMetrics(kube::MetricsRegistry& metrics);

  kube::Result<kube::ReconcileResult> Reconcile(const std::string& key, std::stop_token stop);

 private:
  // One node during a pass: what the cache says, updated as the pass writes.
  // Only nodes in the rollout (and those it starts) hold their parsed node
  // state; the others keep the few facts the budget needs, so a pass never
  // holds every node state at once (about 10 KB each parsed).
  struct NodeRun {
    std::string name;
    bool unschedulable = false;
    bool not_ready = false;
    std::vector<std::string> policies;  // valid policies selecting the node
    DrainSettings drain;
    // Every selecting policy that manages firmware has firmware.allowReboot
    // (and there is one): otherwise a reboot is left to a person.
    bool reboot_allowed = false;
    bool has_state = false;          // an RdmaNodeState exists
    std::optional<RolloutRecord> record;
    DisruptionNeed need;             // NeedOf its node state
    std::string spec_hash;           // SpecHash of its spec
    // The node state, loaded only to advance or start the node.
    struct Loaded {
      kube::ObjectPtr object;    // as last read or written
      api::RdmaNodeState state;  // parsed from object
    };
    std::unique_ptr<Loaded> loaded;
  };
  // When the pass should come back for this node (nullopt: an event will
  // wake it, e.g. the agent's status).
  using Revisit = std::optional<kube::SteadyClock::duration>;

  std::vector<NodeRun> ReadNodes(const std::vector<api::RdmaNodePolicy>& policies) const;
  // Reads the node's RdmaNodeState from the cache into object and state;
  // false when it is gone.
  bool Load(NodeRun& node) const;
  kube::Result<Revisit> Advance(NodeRun& node, std::stop_token stop);
  kube::Result<Revisit> Start(NodeRun& node, const DisruptionNeed& need, std::stop_token stop);

  // The actions' I/O.
  kube::Status SetUnschedulable(NodeRun& node, bool unschedulable);
  kube::Result<std::vector<DrainPod>> ListPods(const NodeRun& node);
  // Evicts (or, force, deletes) each pod not waiting out a 429; returns the
  // delay of the soonest retry when a budget refused one.
  Revisit Evict(NodeRun& node, const std::vector<const DrainPod*>& pods, bool force);
  enum class Grant { kKeep, kSet, kClear };
  kube::Status Write(NodeRun& node, const RolloutRecord& record, Grant grant = Grant::kKeep,
                     const api::DisruptionGrant& set = {});
  void Tell(const NodeRun& node, const char* type, const std::string& reason, const std::string& message);

  OperatorContext& ctx_;
  const RolloutOptions options_;
  // "namespace/name" -> when its eviction may be tried again, and its backoff.
  struct EvictRetry {
    kube::SteadyClock::time_point not_before;
    kube::Backoff backoff;
  };
  std::map<std::string, EvictRetry> evict_retry_;
  kube::Counter* evictions_ = nullptr;
  kube::Counter* evictions_refused_ = nullptr;
  kube::Counter* started_ = nullptr;
  kube::Counter* finished_ = nullptr;
  kube::Gauge* in_rollout_ = nullptr;
};

}  // namespace rdma_operator
