// The two kinds of pools the operator cuts blocks from, as slot lines for
// BlockLedger (block_ledger.h):
// - IpBlockPool: an RdmaNetwork's IPAM (ranges less excludes and gateway)
//   cut into node blocks of ipam.nodeBlockSize addresses; slot i is the
//   i-th block. A block never straddles two usable ranges, so an exclude in
//   the middle of a range costs at most one block.
// - GuidPool: a policy's guid.pool range; slot i is GUID start+i and a PF
//   gets numVfs consecutive slots.
// Pure, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/ip_address.h"
#include "api/rdma_network.h"
#include "api/rdma_node_policy.h"
#include "operator/block_ledger.h"

namespace rdma_operator {

class IpBlockPool {
 public:
  // nullopt when the network has no IPAM or it does not parse (re-validate
  // first: api::Validate says what is wrong).
  static std::optional<IpBlockPool> FromNetwork(const api::RdmaNetwork& network);
  IpBlockPool(std::vector<api::IpRange> usable, uint64_t block_size);

  uint64_t block_size() const { return block_size_; }
  uint64_t capacity_blocks() const { return capacity_; }
  uint64_t usable_addresses() const { return usable_addresses_; }
  // Block i (i < capacity_blocks()).
  api::IpRange Block(uint64_t index) const;
  // The index of the block that is exactly start..end, or nullopt (e.g. an
  // allocation recorded before the IPAM changed).
  std::optional<uint64_t> IndexOf(const std::string& start, const std::string& end) const;

 private:
  struct Segment {
    api::IpRange range;
    uint64_t first_block;
    uint64_t blocks;
  };
  std::vector<Segment> segments_;
  uint64_t block_size_;
  uint64_t capacity_ = 0;
  uint64_t usable_addresses_ = 0;
};

// "subnet 10.56.0.0/24 has 254 addresses, 4 nodes need 64 each: 2 nodes
// without a block (node-c, node-d)": the AddressesExhausted message.
std::string ExhaustionMessage(const std::string& subnet, const IpBlockPool& pool, uint64_t nodes_needing,
                              const std::vector<std::string>& waiting);

class GuidPool {
 public:
  // nullopt unless start and end parse and start <= end.
  static std::optional<GuidPool> FromRange(const std::string& start, const std::string& end);

  uint64_t size() const { return size_; }  // capped at 2^63
  api::GuidRange Block(const BlockRun& run) const;
  // The run start..end covers, or nullopt if it lies outside the pool.
  std::optional<BlockRun> RunOf(const api::GuidRange& block) const;

 private:
  uint64_t start_ = 0;
  uint64_t size_ = 0;
};

// Ledger pool names: one per RdmaNetwork ("ip:<ns>/<name>") and one per
// distinct GUID range ("guid:<start>-<end>", so policies that share a pool
// share its ledger).
std::string IpPoolName(const std::string& network_namespace, const std::string& network);
std::string GuidPoolName(const std::string& start, const std::string& end);

}  // namespace rdma_operator
