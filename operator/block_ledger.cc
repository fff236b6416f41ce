#include "operator/block_ledger.h"

namespace rdma_operator {

std::optional<BlockRun> FirstFit(const std::map<uint64_t, BlockRun>& taken, uint64_t size, uint64_t count) {
  if (count == 0 || count > size) return std::nullopt;
  uint64_t candidate = 0;
  for (const auto& [first, run] : taken) {
    if (first >= candidate && first - candidate >= count) break;
    candidate = std::max(candidate, run.first + run.count);
  }
  if (candidate > size - count) return std::nullopt;
  return BlockRun{candidate, count};
}

bool BlockLedger::Seed(const std::string& pool, uint64_t pool_size, const std::string& owner, BlockRun run) {
  std::lock_guard<std::mutex> l(mu_);
  return SeedLocked(pool, pool_size, owner, run);
}

bool BlockLedger::SeedLocked(const std::string& pool, uint64_t pool_size, const std::string& owner, BlockRun run) {
  if (run.count == 0 || run.first >= pool_size || run.count > pool_size - run.first) return false;
  Pool& p = pools_[pool];
  if (p.by_owner.count(owner)) return false;
  auto next = p.taken.lower_bound(run.first);
  if (next != p.taken.end() && next->second.first <= run.last()) return false;
  if (next != p.taken.begin() && std::prev(next)->second.last() >= run.first) return false;
  p.by_owner[owner] = run;
  p.taken[run.first] = run;
  return true;
}

std::optional<BlockRun> BlockLedger::Claim(const std::string& pool, uint64_t pool_size, const std::string& owner,
                                           uint64_t count) {
  std::lock_guard<std::mutex> l(mu_);
  return ClaimLocked(pool, pool_size, owner, count);
}

std::optional<BlockRun> BlockLedger::ClaimLocked(const std::string& pool, uint64_t pool_size,
                                                 const std::string& owner, uint64_t count) {
  Pool& p = pools_[pool];
  if (auto it = p.by_owner.find(owner); it != p.by_owner.end()) {
    const BlockRun& held = it->second;
    if (held.count == count && held.first < pool_size && held.count <= pool_size - held.first) return held;
    ReleaseLocked(p, owner);
  }
  std::optional<BlockRun> run = FirstFit(p.taken, pool_size, count);
  if (!run) {
    p.waiting.insert(owner);
    return std::nullopt;
  }
  p.waiting.erase(owner);
  p.by_owner[owner] = *run;
  p.taken[run->first] = *run;
  return run;
}

Claims BlockLedger::ClaimAll(const std::string& node, const std::vector<BlockRequest>& requests) {
  std::lock_guard<std::mutex> l(mu_);
  Claims out;
  std::set<std::pair<std::string, std::string>> keep;
  for (const BlockRequest& r : requests) {
    keep.insert({r.pool, r.owner});
    std::optional<BlockRun> before = FindLocked(r.pool, r.owner);
    BlockClaim& c = out.claims.emplace_back();
    c.run = ClaimLocked(r.pool, r.pool_size, r.owner, r.count);
    c.changed = c.run != before || !c.run;
    // Held right away: a later request in this pool must not get these slots.
    if (!c.run && r.fallback) (void)SeedLocked(r.pool, r.pool_size, r.owner, *r.fallback);
  }
  out.released = ReleaseOwnedByLocked(node, keep);
  return out;
}

void BlockLedger::ReleaseLocked(Pool& p, const std::string& owner) {
  p.waiting.erase(owner);
  auto it = p.by_owner.find(owner);
  if (it == p.by_owner.end()) return;
  p.taken.erase(it->second.first);
  p.by_owner.erase(it);
}

void BlockLedger::Release(const std::string& pool, const std::string& owner) {
  std::lock_guard<std::mutex> l(mu_);
  if (auto it = pools_.find(pool); it != pools_.end()) ReleaseLocked(it->second, owner);
}

std::set<std::string> BlockLedger::ReleaseOwnedBy(const std::string& node,
                                                  const std::set<std::pair<std::string, std::string>>& keep) {
  std::lock_guard<std::mutex> l(mu_);
  return ReleaseOwnedByLocked(node, keep);
}

std::set<std::string> BlockLedger::ReleaseOwnedByLocked(const std::string& node,
                                                        const std::set<std::pair<std::string, std::string>>& keep) {
  const std::string prefix = node + "/";
  std::set<std::string> changed;
  for (auto& [name, pool] : pools_) {
    std::vector<std::string> drop;
    auto collect = [&](const std::string& owner) {
      bool owned = owner == node || owner.compare(0, prefix.size(), prefix) == 0;
      if (owned && !keep.count({name, owner})) drop.push_back(owner);
    };
    for (const auto& [owner, run] : pool.by_owner) collect(owner);
    for (const auto& owner : pool.waiting) collect(owner);
    for (const auto& owner : drop) ReleaseLocked(pool, owner);
    if (!drop.empty()) changed.insert(name);
  }
  return changed;
}

void BlockLedger::DropPool(const std::string& pool) {
  std::lock_guard<std::mutex> l(mu_);
  pools_.erase(pool);
}

PoolUsage BlockLedger::Usage(const std::string& pool) const {
  std::lock_guard<std::mutex> l(mu_);
  PoolUsage u;
  auto it = pools_.find(pool);
  if (it == pools_.end()) return u;
  u.allocated_owners = it->second.by_owner.size();
  for (const auto& [owner, run] : it->second.by_owner) u.allocated_slots += run.count;
  u.waiting.assign(it->second.waiting.begin(), it->second.waiting.end());
  return u;
}

std::optional<BlockRun> BlockLedger::Find(const std::string& pool, const std::string& owner) const {
  std::lock_guard<std::mutex> l(mu_);
  return FindLocked(pool, owner);
}

std::optional<BlockRun> BlockLedger::FindLocked(const std::string& pool, const std::string& owner) const {
  auto it = pools_.find(pool);
  if (it == pools_.end()) return std::nullopt;
  auto o = it->second.by_owner.find(owner);
  if (o == it->second.by_owner.end()) return std::nullopt;
  return o->second;
}

}  // namespace rdma_operator
