// BlockLedger: which owner holds which block of which pool, for the two
// things the operator hands out cluster-wide: per-node IP blocks of each
// RdmaNetwork and per-PF GUID blocks of each GUID pool. A pool is a line of
// `size` slots (block indices for IP, GUID offsets for GUIDs); an owner
// holds one run of slots in it.
//
// The ledger is the operator's working copy; the record is the API:
// allocations live in RdmaNodeState.spec (ipBlocks, interfaces[].guidBlock)
// and the ledger is rebuilt from there with Seed() at startup, so a restart
// reallocates nothing. Rules the callers rely on:
// - stable: an owner keeps its run as long as it still fits the pool;
// - unique: no slot is in two runs of one pool;
// - deterministic: a new run goes to the lowest free slots (first fit);
// - released explicitly (node or network gone), never by expiry.
// Thread-safe: one mutex guards everything.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace rdma_operator {

struct BlockRun {
  uint64_t first = 0;
  uint64_t count = 0;
  uint64_t last() const { return first + count - 1; }
  bool operator==(const BlockRun&) const = default;
};

// The lowest run of `count` free slots in 0..size-1 given the taken runs
// (keyed by first slot, disjoint), or nullopt when none is left. The pure
// core of the ledger.
std::optional<BlockRun> FirstFit(const std::map<uint64_t, BlockRun>& taken, uint64_t size, uint64_t count);

// One owner's request in BlockLedger::ClaimAll.
struct BlockRequest {
  std::string pool;
  uint64_t pool_size = 0;
  std::string owner;
  uint64_t count = 0;
  // When no run of `count` is free: the run the owner uses now, held again
  // so no other owner gets it meanwhile (the claim still fails).
  std::optional<BlockRun> fallback;

  bool operator==(const BlockRequest&) const = default;
};

struct BlockClaim {
  std::optional<BlockRun> run;  // nullopt: the pool is exhausted
  // The owner's run differs from the one it held before, or it got none:
  // the pool's usage (or its list of waiting owners) may have changed.
  bool changed = false;

  bool operator==(const BlockClaim&) const = default;
};

struct Claims {
  std::vector<BlockClaim> claims;  // one per request, in the requests' order
  std::set<std::string> released;  // pools in which the node gave something back
};

struct PoolUsage {
  uint64_t allocated_owners = 0;  // owners holding a run
  uint64_t allocated_slots = 0;
  std::vector<std::string> waiting;  // owners that asked but got nothing (sorted)
};

class BlockLedger {
 public:
  // Records an allocation read back from the API at startup. False (and
  // nothing recorded) if it does not fit the pool or overlaps another
  // owner's run: the caller then lets Claim() pick a new one.
  bool Seed(const std::string& pool, uint64_t pool_size, const std::string& owner, BlockRun run);

  // The owner's run of `count` slots in `pool` of `pool_size` slots: the
  // one it holds if it still fits (same count, inside the pool), else the
  // lowest free run. nullopt when the pool is exhausted; the owner is then
  // listed as waiting in Usage() until it gets a run or is released.
  std::optional<BlockRun> Claim(const std::string& pool, uint64_t pool_size, const std::string& owner, uint64_t count);

  // A node's whole set of blocks at once: Claim() for each request in order
  // (holding its fallback when the claim fails), then ReleaseOwnedBy(node)
  // of everything the node holds that no request asked for. All under one
  // lock, so concurrent reconciles of other nodes see the node's blocks
  // change in one step.
  Claims ClaimAll(const std::string& node, const std::vector<BlockRequest>& requests);

  // Gives back the owner's run (and its waiting mark). No-op if none.
  void Release(const std::string& pool, const std::string& owner);
  // Releases, in every pool, each owner that belongs to `node` (the owner
  // is the node name, or starts with "<node>/", e.g. "<node>/<pci>") and
  // whose (pool, owner) pair is not in keep. How a node's reconcile drops
  // what it no longer needs, and how a deleted node drops everything.
  // Returns the pools in which something was released.
  std::set<std::string> ReleaseOwnedBy(const std::string& node,
                                       const std::set<std::pair<std::string, std::string>>& keep);
  // Drops a pool entirely (its network or GUID pool is gone).
  void DropPool(const std::string& pool);

  PoolUsage Usage(const std::string& pool) const;
  std::optional<BlockRun> Find(const std::string& pool, const std::string& owner) const;

 private:
  struct Pool {
    std::map<std::string, BlockRun> by_owner;
    std::map<uint64_t, BlockRun> taken;  // by first slot
    std::set<std::string> waiting;
  };
  bool SeedLocked(const std::string& pool, uint64_t pool_size, const std::string& owner, BlockRun run);
  std::optional<BlockRun> ClaimLocked(const std::string& pool, uint64_t pool_size, const std::string& owner,
                                      uint64_t count);
  void ReleaseLocked(Pool& p, const std::string& owner);
  std::set<std::string> ReleaseOwnedByLocked(const std::string& node,
                                             const std::set<std::pair<std::string, std::string>>& keep);
  std::optional<BlockRun> FindLocked(const std::string& pool, const std::string& owner) const;

  mutable std::mutex mu_;  // guards pools_
  std::map<std::string, Pool> pools_;
};

}  // namespace rdma_operator
