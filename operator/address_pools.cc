#include "operator/address_pools.h"

#include <algorithm>
#include <limits>

#include "api/guid.h"

namespace rdma_operator {

std::optional<IpBlockPool> IpBlockPool::FromNetwork(const api::RdmaNetwork& network) {
  if (!network.spec.ipam) return std::nullopt;
  auto usable = api::UsableRanges(*network.spec.ipam);
  if (!usable) return std::nullopt;
  int32_t size = network.spec.ipam->node_block_size.value_or(api::kDefaultNodeBlockSize);
  if (size <= 0) return std::nullopt;
  return IpBlockPool(std::move(*usable), static_cast<uint64_t>(size));
}

IpBlockPool::IpBlockPool(std::vector<api::IpRange> usable, uint64_t block_size) : block_size_(block_size) {
  // Capacity is capped so a huge IPv6 range stays countable (status fields
  // are JSON numbers: 2^53).
  constexpr uint64_t kMaxBlocks = uint64_t{1} << 53;
  for (const api::IpRange& r : usable) {
    uint64_t size = r.Size();
    usable_addresses_ += size;
    uint64_t blocks = std::min(size / block_size_, kMaxBlocks - capacity_);
    if (blocks == 0) continue;
    segments_.push_back({r, capacity_, blocks});
    capacity_ += blocks;
  }
}

api::IpRange IpBlockPool::Block(uint64_t index) const {
  for (const Segment& s : segments_) {
    if (index >= s.first_block + s.blocks) continue;
    uint64_t offset = (index - s.first_block) * block_size_;
    api::IpAddress start = *s.range.start.Plus(offset);
    return {start, *start.Plus(block_size_ - 1)};
  }
  // Out of range (a caller bug): 0.0.0.0, which no block ever contains.
  api::IpAddress zero = api::IpAddress::FromValue(api::IpAddress::Family::kV4, 0);
  return {zero, zero};
}

std::optional<uint64_t> IpBlockPool::IndexOf(const std::string& start_text, const std::string& end_text) const {
  auto start = api::IpAddress::Parse(start_text);
  auto end = api::IpAddress::Parse(end_text);
  if (!start || !end) return std::nullopt;
  for (const Segment& s : segments_) {
    if (!s.range.Contains(*start) || start->family() != s.range.start.family()) continue;
    api::IpAddress::Value offset = start->value() - s.range.start.value();
    if (offset % block_size_ != 0) return std::nullopt;
    uint64_t index = s.first_block + static_cast<uint64_t>(offset / block_size_);
    if (index >= s.first_block + s.blocks) return std::nullopt;
    api::IpRange b = Block(index);
    if (b.end != *end) return std::nullopt;
    return index;
  }
  return std::nullopt;
}

std::string ExhaustionMessage(const std::string& subnet, const IpBlockPool& pool, uint64_t nodes_needing,
                              const std::vector<std::string>& waiting) {
  std::string names;
  for (size_t i = 0; i < waiting.size() && i < 5; ++i) names += (i ? ", " : "") + waiting[i];
  if (waiting.size() > 5) names += ", and " + std::to_string(waiting.size() - 5) + " more";
  return "subnet " + subnet + " has " + std::to_string(pool.usable_addresses()) + " usable addresses (" +
         std::to_string(pool.capacity_blocks()) + " blocks), " + std::to_string(nodes_needing) + " nodes need " +
         std::to_string(pool.block_size()) + " each: " + std::to_string(waiting.size()) + " node" +
         (waiting.size() == 1 ? "" : "s") + " without a block (" + names +
         "); widen ipam.ranges, remove excludes or lower ipam.nodeBlockSize";
}

std::optional<GuidPool> GuidPool::FromRange(const std::string& start, const std::string& end) {
  auto s = api::ParseGuid(start);
  auto e = api::ParseGuid(end);
  if (!s || !e || *e < *s) return std::nullopt;
  GuidPool p;
  p.start_ = *s;
  uint64_t span = *e - *s;
  p.size_ = std::min<uint64_t>(span, (uint64_t{1} << 63) - 1) + 1;
  return p;
}

api::GuidRange GuidPool::Block(const BlockRun& run) const {
  api::GuidRange r;
  r.start = api::FormatGuid(start_ + run.first);
  r.end = api::FormatGuid(start_ + run.last());
  return r;
}

std::optional<BlockRun> GuidPool::RunOf(const api::GuidRange& block) const {
  auto s = api::ParseGuid(block.start);
  auto e = api::ParseGuid(block.end);
  if (!s || !e || *e < *s || *s < start_) return std::nullopt;
  BlockRun r{*s - start_, *e - *s + 1};
  if (r.first >= size_ || r.count > size_ - r.first) return std::nullopt;
  return r;
}

std::string IpPoolName(const std::string& network_namespace, const std::string& network) {
  return "ip:" + network_namespace + "/" + network;
}

std::string GuidPoolName(const std::string& start, const std::string& end) { return "guid:" + start + "-" + end; }

}  // namespace rdma_operator
