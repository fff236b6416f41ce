// What every reconciler of the operator shares: the client, the informer
// caches it reads from, the block ledger, the event recorder, and hooks to
// put keys in the other controllers' queues. Built once by Operator
// (operator.h); the reconcilers hold a reference to it.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/rdma_network.h"
#include "api/rdma_node_policy.h"
#include "api/rdma_node_state.h"
#include "kube/client.h"
#include "kube/events.h"
#include "kube/informer.h"
#include "kube/metrics.h"
#include "operator/block_ledger.h"

namespace rdma_operator {

struct OperatorContext {
  std::shared_ptr<kube::Client> client;
  kube::Informer* nodes = nullptr;
  kube::Informer* policies = nullptr;
  kube::Informer* networks = nullptr;
  kube::Informer* node_states = nullptr;
  kube::Informer* crds = nullptr;
  kube::EventRecorder* events = nullptr;
  kube::MetricsRegistry* metrics = nullptr;
  BlockLedger ledger;

  // Wake-ups between controllers: add keys to their queues (set by Operator).
  std::function<void(const std::string& network_key)> enqueue_network;
  std::function<void(const std::string& node)> enqueue_node;
  std::function<void()> enqueue_all_policies;

  // Rebuilds the ledger from the allocations recorded in RdmaNodeState specs
  // the first time it is called (the informers have synced by then); later
  // calls return at once. Every reconciler calls it before using the ledger.
  void EnsureLedgerSeeded();

  // Valid policies from the cache, parsed. Invalid ones are skipped here and
  // reported by the policy status reconciler.
  std::vector<api::RdmaNodePolicy> ValidPolicies() const;
  // Valid networks from the cache, parsed.
  std::vector<api::RdmaNetwork> ValidNetworks() const;

 private:
  std::once_flag seeded_;
};

}  // namespace rdma_operator
