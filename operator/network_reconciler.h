// NetworkReconciler: RdmaNetwork -> NetworkAttachmentDefinitions and
// RdmaNetwork.status, one reconcile per network (key = "namespace/name").
// It renders one NAD per target namespace (nad_render.h), creates or updates
// the ones it rendered before, never touches a NAD of the same name that
// someone else created (Degraded, reason Conflict), deletes the ones it
// rendered for namespaces no longer targeted or for a deleted network, and
// reports NadCrdMissing while the NAD CRD is not installed (it is woken
// when the CRD appears). Status carries the NADs, address usage from the
// block ledger and AddressesExhausted with the numbers.
#pragma once

#include <stop_token>
#include <string>

#include "kube/controller.h"
#include "operator/operator_context.h"

namespace rdma_operator {

// A key that is no network: "delete every NAD we rendered for a network
// that no longer exists" (networks deleted while no operator ran).
inline constexpr char kOrphanSweepKey[] = "<orphan-sweep>";

class NetworkReconciler {
 public:
  explicit NetworkReconciler(OperatorContext& ctx) : ctx_(ctx) {}
  kube::Result<kube::ReconcileResult> Reconcile(const std::string& key, std::stop_token stop);

  // Whether the NetworkAttachmentDefinition CRD is installed (per the CRD
  // cache).
  bool NadCrdInstalled() const;

 private:
  kube::Result<kube::ReconcileResult> SweepOrphans();
  kube::Result<kube::ReconcileResult> NetworkGone(const std::string& ns, const std::string& name);
  // Deletes NADs rendered for ns/name except those in keep_namespaces.
  kube::Status DeleteRenderedNads(const std::string& ns, const std::string& name,
                                  const std::set<std::string>& keep_namespaces, const nlohmann::json* network);

  OperatorContext& ctx_;
};

}  // namespace rdma_operator
