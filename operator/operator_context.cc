#include "operator/operator_context.h"

#include <algorithm>
#include <map>

#include <spdlog/spdlog.h>

#include "operator/address_pools.h"

namespace rdma_operator {

std::vector<api::RdmaNodePolicy> OperatorContext::ValidPolicies() const {
  std::vector<api::RdmaNodePolicy> out;
  for (const auto& obj : policies->store().List()) {
    api::RdmaNodePolicy p;
    if (!api::FromJson(*obj, &p).empty() || !api::Validate(p).empty()) continue;
    if (!p.metadata.deletion_timestamp.empty()) continue;
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.metadata.name < b.metadata.name; });
  return out;
}

std::vector<api::RdmaNetwork> OperatorContext::ValidNetworks() const {
  std::vector<api::RdmaNetwork> out;
  for (const auto& obj : networks->store().List()) {
    api::RdmaNetwork n;
    if (!api::FromJson(*obj, &n).empty() || !api::Validate(n).empty()) continue;
    if (!n.metadata.deletion_timestamp.empty()) continue;
    out.push_back(std::move(n));
  }
  return out;
}

void OperatorContext::EnsureLedgerSeeded() {
  std::call_once(seeded_, [this] {
    std::map<std::string, IpBlockPool> ip_pools;
    for (const api::RdmaNetwork& n : ValidNetworks())
      if (auto pool = IpBlockPool::FromNetwork(n))
        ip_pools.emplace(IpPoolName(n.metadata.namespace_, n.metadata.name), std::move(*pool));
    std::map<std::string, GuidPool> guid_pools;
    for (const api::RdmaNodePolicy& p : ValidPolicies()) {
      if (!p.spec.guid || !p.spec.guid->pool) continue;
      if (auto pool = GuidPool::FromRange(p.spec.guid->pool->start, p.spec.guid->pool->end))
        guid_pools.emplace(GuidPoolName(p.spec.guid->pool->start, p.spec.guid->pool->end), *pool);
    }
    size_t seeded = 0, refused = 0;
    // State by state: the cache is packed and List() would parse all at once.
    for (const std::string& key : node_states->store().Keys()) {
      kube::ObjectPtr obj = node_states->store().Get(key);
      if (!obj) continue;  // deleted since Keys()
      api::RdmaNodeState state;
      (void)api::FromJson(*obj, &state);
      const std::string& node = state.metadata.name;
      for (const api::IpBlock& b : state.spec.ip_blocks) {
        auto it = ip_pools.find(IpPoolName(b.network_namespace, b.network));
        std::optional<uint64_t> index;
        if (it != ip_pools.end()) index = it->second.IndexOf(b.start, b.end);
        if (index && ledger.Seed(it->first, it->second.capacity_blocks(), node, {*index, 1})) {
          ++seeded;
        } else {
          ++refused;
        }
      }
      for (const api::InterfaceSpec& i : state.spec.interfaces) {
        if (!i.guid_block) continue;
        bool ok = false;
        for (const auto& [name, pool] : guid_pools) {
          auto run = pool.RunOf(*i.guid_block);
          if (run && ledger.Seed(name, pool.size(), node + "/" + i.pci_address, *run)) {
            ok = true;
            break;
          }
        }
        ok ? ++seeded : ++refused;
      }
    }
    spdlog::info("operator: allocations rebuilt from RdmaNodeStates blocks={} not_reusable={}", seeded, refused);
  });
}

}  // namespace rdma_operator
