// The pure core of the node-state reconcile (node_state_reconciler.h): from
// the priority merge of a node (policy_merge.h), the networks and the spec
// the node state has now, what to ask the block ledger for, the spec to
// write once the ledger has answered, and the write that turns the node
// state as read into it. No I/O and no ledger access: the reconciler loads,
// calls these in order, claims the blocks in between and does the write.
//
//   RequestedBlocks -> BlockLedger::ClaimAll -> AssembleSpec -> SpecProblem
//   -> DiffNodeState
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/rdma_network.h"
#include "api/rdma_node_state.h"
#include "operator/address_pools.h"
#include "operator/block_ledger.h"
#include "operator/policy_merge.h"

namespace rdma_operator {

// The annotation on an RdmaNodeState that lists the policy conflicts on its
// node, one per line; absent when there are none.
inline constexpr char kConflictsAnnotation[] = "rdma.dev/conflicts";

// An IP block the node needs: one per network whose resourceName a VF group
// of the node's spec uses.
struct IpBlockNeed {
  std::string network_namespace, network;
  IpBlockPool pool;  // turns the claimed slot into addresses
  BlockRequest request;
};

// A GUID block a pool-mode PF needs: numVfs consecutive GUIDs.
struct GuidBlockNeed {
  GuidPoolRequest pf;
  GuidPool pool;  // turns the claimed run into GUIDs
  BlockRequest request;  // its fallback is the block the PF has now
};

struct BlockNeeds {
  std::vector<IpBlockNeed> ip;  // in the order of the networks given
  std::vector<GuidBlockNeed> guid;  // in the order of MergeResult::guid_pools
  // For BlockLedger::ClaimAll: the IP requests, then the GUID ones; the
  // Claims come back in this order.
  std::vector<BlockRequest> Requests() const;
};

// What `node` asks of the ledger. networks: the valid ones (a network
// without IPAM needs no block). current: the node state's spec now, or null;
// a pool-mode PF's block in it is the fallback of its GUID request.
BlockNeeds RequestedBlocks(const std::string& node, const MergeResult& merged,
                           const std::vector<api::RdmaNetwork>& networks, const api::RdmaNodeStateSpec* current);

// The networks ("namespace/name") whose status the claims may have changed:
// the node's block moved, or it is waiting for one.
std::vector<std::string> NetworksToWake(const BlockNeeds& needs, const Claims& claims);

// The spec to write: the merged spec with the node's IP blocks (sorted by
// network) and each pool-mode PF's GUID block. A PF whose pool had no block
// left is not (re)configured: it keeps the configuration it has in current,
// or is left out, and a sentence for it goes to guid_problems. Fields the
// operator does not compute (disruption, unknown fields) come from current.
// claims: ClaimAll's answer to needs.Requests().
api::RdmaNodeStateSpec AssembleSpec(const std::string& node, const MergeResult& merged, const BlockNeeds& needs,
                                    const Claims& claims, const api::RdmaNodeStateSpec* current,
                                    std::vector<std::string>* guid_problems);

// The conflicts as the kConflictsAnnotation text, "" when there are none.
std::string ConflictText(const std::vector<Conflict>& conflicts);

// Why the spec must not be written, or nullopt. What the agent will act on
// must pass the agent's own checks (api::Validate), e.g. not a reported PCI
// address of unexpected form.
std::optional<std::string> SpecProblem(const std::string& node, const api::RdmaNodeStateSpec& spec);

// The write that brings the node state to `desired` and `conflicts`, owned
// by its Node.
struct NodeStateWrite {
  enum class Kind { kNone, kCreate, kUpdate };
  Kind kind = Kind::kNone;
  // kCreate: the new RdmaNodeState; kUpdate: the state as read with spec,
  // conflicts annotation and owner reference replaced (status untouched).
  nlohmann::json object;
  bool spec_changed = false;  // kCreate: always
  bool conflicts_changed = false;
};

// node: the Node object (name and uid for the owner reference). state_obj:
// the RdmaNodeState as read, or null when there is none; state: it parsed.
// Specs are compared as JSON: parsed objects carry unknown fields as {}
// where fresh ones have null, and the JSON is what the agent sees.
NodeStateWrite DiffNodeState(const nlohmann::json& node, const api::RdmaNodeStateSpec& desired,
                             const std::string& conflicts, const nlohmann::json* state_obj,
                             const api::RdmaNodeState* state);

}  // namespace rdma_operator
