// Priority merge: from every RdmaNodePolicy that selects a node and the PFs
// its agent reported, the per-PF configuration the node should have (the
// interfaces and rdmaNamespaceMode of RdmaNodeState.spec), which policies
// apply, and the conflicts. Pure, no I/O; GUID and IP blocks are added later
// by the node-state reconciler from the block ledger (node_state_plan.h).
//
// Rules (docs/api.md, "priority"):
// - Per PF, the policies with the lowest priority number decide the PF-level
//   settings (numVfs, linkType, mtu, firmware, guid). If policies of that
//   priority disagree on any of them, that is a Conflict: the PF keeps the
//   configuration it has now (or stays unconfigured) and both policies are
//   named. Never a silent pick.
// - Every selecting policy contributes VF groups (its VF ranges, or the whole
//   PF). A group that overlaps a group of a lower priority number is
//   overridden; overlapping groups of equal priority for different resources
//   are a Conflict. A range beyond the PF's numVfs is a problem reported on
//   its policy.
// - rdmaNamespaceMode is a node setting: the lowest priority number among
//   the applied policies decides; equal priorities that disagree conflict.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/rdma_node_policy.h"
#include "api/rdma_node_state.h"

namespace rdma_operator {

// Two or more policies of equal priority that disagree on a PF (or, with an
// empty pci_address, on a node-wide setting).
struct Conflict {
  std::vector<std::string> policies;  // sorted
  std::string pci_address;            // empty: node-wide setting
  std::string message;  // names the policies, the node, the PF and the values

  bool operator==(const Conflict&) const = default;
};

// Something wrong with one policy on one node that is not a conflict, e.g.
// a VF range beyond the numVfs another policy set.
struct PolicyProblem {
  std::string policy;
  std::string message;

  bool operator==(const PolicyProblem&) const = default;
};

// A PF whose VF GUIDs come from a pool (guid.mode Pool): the allocator cuts
// a block of num_vfs GUIDs for it.
struct GuidPoolRequest {
  std::string pci_address;
  std::string pool_start, pool_end;  // the policy's guid.pool
  int32_t num_vfs = 0;

  bool operator==(const GuidPoolRequest&) const = default;
};

struct MergeResult {
  // interfaces (sorted by PCI address, VF groups by firstVf) and
  // rdmaNamespaceMode; no ipBlocks, no guidBlocks yet.
  api::RdmaNodeStateSpec spec;
  std::vector<Conflict> conflicts;
  std::vector<PolicyProblem> problems;
  std::set<std::string> applied_policies;  // configure at least one PF here
  std::set<std::string> resources;         // resourceNames of the VF groups
  std::vector<GuidPoolRequest> guid_pools;
};

// policies: the valid policies (invalid ones are reported elsewhere and
// ignored here). reported: the agent's status.interfaces (empty before the
// agent reported). current: the spec the node state has now (for "keeps its
// last good configuration"); may be null.
MergeResult MergePolicies(const std::string& node_name, const std::map<std::string, std::string>& node_labels,
                          const std::vector<const api::RdmaNodePolicy*>& policies,
                          const std::vector<api::InterfaceStatus>& reported, const api::RdmaNodeStateSpec* current);

}  // namespace rdma_operator
