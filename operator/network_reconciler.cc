#include "operator/network_reconciler.h"

#include <spdlog/spdlog.h>

#include "kube/timestamps.h"
#include "operator/address_pools.h"
#include "operator/nad_render.h"
#include "operator/policy_status_reconciler.h"
#include "operator/resources.h"
#include "operator/status_rollup.h"

namespace rdma_operator {
namespace {

// How often a network waiting for something outside our watches (a missing
// namespace) is looked at again.
constexpr auto kRecheck = std::chrono::seconds(30);

// A NAD write as messages name it: "create NAD x: <error>" when it failed,
// "created NAD x" when it is done.
struct NadWrite {
  const char* verb;
  const char* past;
  const char* event_reason;
};
constexpr NadWrite kCreateNad{"create", "created", "NadCreated"};
constexpr NadWrite kUpdateNad{"update", "updated", "NadUpdated"};

}  // namespace

bool NetworkReconciler::NadCrdInstalled() const { return ctx_.crds->store().Get(kNadCrdName) != nullptr; }

kube::Status NetworkReconciler::DeleteRenderedNads(const std::string& ns, const std::string& name,
                                                   const std::set<std::string>& keep_namespaces,
                                                   const nlohmann::json* network) {
  kube::ListOptions o;
  o.label_selector = RenderedNadSelector(ns, name);
  auto list = ctx_.client->ListAll(NetworkAttachmentDefinitions(), "", o);
  if (!list.ok()) {
    if (kube::IsNotFound(list.error())) return {};  // CRD gone: nothing to delete
    return WithContext(list.error(), "list NetworkAttachmentDefinitions of RdmaNetwork " + ns + "/" + name);
  }
  for (const auto& nad : (*list)["items"]) {
    if (keep_namespaces.count(kube::NamespaceOf(nad))) continue;
    kube::DeleteOptions d;
    d.precondition_uid = kube::UidOf(nad);
    auto r = ctx_.client->Delete(NetworkAttachmentDefinitions(), kube::NamespaceOf(nad), kube::NameOf(nad), d);
    if (!r.ok() && !kube::IsNotFound(r.error()) && !kube::IsConflict(r.error()))
      return WithContext(r.error(), "delete NetworkAttachmentDefinition " + kube::KeyOf(nad));
    spdlog::info("operator: deleted NetworkAttachmentDefinition nad={} network={}/{}", kube::KeyOf(nad), ns, name);
    if (network && ctx_.events)
      ctx_.events->Record(
          *network, "Normal", "NadDeleted", "Reconcile",
          "deleted NetworkAttachmentDefinition " + kube::KeyOf(nad) + " (namespace no longer targeted)");
  }
  return {};
}

kube::Result<kube::ReconcileResult> NetworkReconciler::NetworkGone(const std::string& ns, const std::string& name) {
  ctx_.ledger.DropPool(IpPoolName(ns, name));
  // Nodes drop their block of this network from their spec.
  if (ctx_.enqueue_node)
    for (const auto& n : ctx_.nodes->store().Keys()) ctx_.enqueue_node(n);
  if (NadCrdInstalled())
    if (auto s = DeleteRenderedNads(ns, name, {}, nullptr); !s.ok()) return s.error();
  return kube::ReconcileResult::Done();
}

kube::Result<kube::ReconcileResult> NetworkReconciler::SweepOrphans() {
  if (!NadCrdInstalled()) return kube::ReconcileResult::Done();
  kube::ListOptions o;
  o.label_selector = kNetworkNameLabel;  // every NAD we rendered
  auto list = ctx_.client->ListAll(NetworkAttachmentDefinitions(), "", o);
  if (!list.ok()) return WithContext(list.error(), "list rendered NetworkAttachmentDefinitions");
  for (const auto& nad : (*list)["items"]) {
    const auto& labels = nad["metadata"]["labels"];
    std::string key = kube::MakeKey(labels.value(kNetworkNamespaceLabel, ""), labels.value(kNetworkNameLabel, ""));
    if (!ctx_.networks->store().Get(key) && ctx_.enqueue_network) ctx_.enqueue_network(key);
  }
  return kube::ReconcileResult::Done();
}

kube::Result<kube::ReconcileResult> NetworkReconciler::Reconcile(const std::string& key, std::stop_token) {
  ctx_.EnsureLedgerSeeded();
  if (key == kOrphanSweepKey) return SweepOrphans();
  std::string ns, name;
  kube::SplitKey(key, &ns, &name);
  kube::ObjectPtr obj = ctx_.networks->store().Get(key);
  if (!obj || (*obj)["metadata"].contains("deletionTimestamp")) return NetworkGone(ns, name);

  api::RdmaNetwork network;
  NetworkFacts facts;
  facts.errors = api::FromJson(*obj, &network);
  if (facts.errors.empty()) facts.errors = api::Validate(network);
  facts.nad_crd_missing = !NadCrdInstalled();

  api::RdmaNetworkStatus status = network.status.value_or(api::RdmaNetworkStatus{});
  const std::optional<api::RdmaNetworkStatus> before = network.status;
  bool recheck = false;

  // NADs: only for a valid network (an invalid one keeps its last NADs).
  if (facts.errors.empty() && !facts.nad_crd_missing) {
    std::vector<api::NadReference> rendered;
    std::set<std::string> namespaces;
    for (const api::NetworkAttachmentDefinition& desired : RenderNads(network)) {
      const std::string nad_key = desired.metadata.namespace_ + "/" + desired.metadata.name;
      namespaces.insert(desired.metadata.namespace_);
      auto got = ctx_.client->Get(NetworkAttachmentDefinitions(), desired.metadata.namespace_, desired.metadata.name);
      if (!got.ok() && !kube::IsNotFound(got.error())) {
        facts.write_errors.push_back("read NetworkAttachmentDefinition " + nad_key + ": " + got.error().message);
        continue;
      }
      kube::Result<nlohmann::json> written = nlohmann::json();
      const NadWrite* action = &kCreateNad;
      if (!got.ok()) {
        written = ctx_.client->Create(NetworkAttachmentDefinitions(), api::ToJson(desired), WriteOptions());
      } else {
        api::NetworkAttachmentDefinition existing;
        (void)api::FromJson(*got, &existing);
        if (!IsRenderedFor(existing, network)) {
          facts.foreign_nads.push_back(nad_key);
          continue;
        }
        if (NadUpToDate(existing, desired)) {
          rendered.push_back({desired.metadata.namespace_, desired.metadata.name, {}});
          continue;
        }
        existing.spec.config = desired.spec.config;
        for (const auto& [k, v] : desired.metadata.labels) existing.metadata.labels[k] = v;
        for (const auto& [k, v] : desired.metadata.annotations) existing.metadata.annotations[k] = v;
        written = ctx_.client->Update(NetworkAttachmentDefinitions(), api::ToJson(existing), WriteOptions());
        action = &kUpdateNad;
      }
      if (!written.ok()) {
        if (kube::IsConflict(written.error()) || kube::IsAlreadyExists(written.error())) return written.error();
        if (kube::IsNotFound(written.error())) {
          facts.missing_namespaces.push_back(desired.metadata.namespace_);
          recheck = true;
        } else {
          facts.write_errors.push_back(std::string(action->verb) + " NetworkAttachmentDefinition " + nad_key + ": " +
                                       written.error().message);
        }
        continue;
      }
      rendered.push_back({desired.metadata.namespace_, desired.metadata.name, {}});
      spdlog::info("operator: {} NetworkAttachmentDefinition nad={} network={}", action->past, nad_key, key);
      if (ctx_.events)
        ctx_.events->Record(*obj, "Normal", action->event_reason, "Reconcile",
                            std::string(action->past) + " NetworkAttachmentDefinition " + nad_key);
    }
    if (auto s = DeleteRenderedNads(ns, name, namespaces, obj.get()); !s.ok()) return s.error();
    status.network_attachment_definitions = rendered;
  } else if (facts.nad_crd_missing) {
    status.network_attachment_definitions.clear();
  }

  // Address usage from the ledger (rebuilt from node states at startup).
  if (facts.errors.empty()) {
    if (auto pool = IpBlockPool::FromNetwork(network)) {
      PoolUsage usage = ctx_.ledger.Usage(IpPoolName(ns, name));
      api::AddressUsage a;
      a.block_size = static_cast<int32_t>(pool->block_size());
      a.capacity_blocks = static_cast<int64_t>(pool->capacity_blocks());
      a.allocated_blocks = static_cast<int64_t>(usage.allocated_owners);
      status.addresses = a;
      if (!usage.waiting.empty())
        facts.exhaustion = ExhaustionMessage(network.spec.ipam->subnet, *pool,
                                             usage.allocated_owners + usage.waiting.size(), usage.waiting);
    } else {
      status.addresses.reset();
    }
  }

  const int64_t gen = network.metadata.generation.value_or(0);
  status.observed_generation = gen;
  auto flipped =
      ApplyConditions(&status.conditions, NetworkConditions(facts, gen), kube::FormatTime(kube::Clock::now()));
  kube::ReconcileResult result =
      recheck || facts.nad_crd_missing ? kube::ReconcileResult::RequeueAfter(kRecheck) : kube::ReconcileResult::Done();
  // Compared as JSON (what the API holds), not as parsed structs.
  network.status = before;
  const nlohmann::json old_json = api::ToJson(network).value("status", nlohmann::json());
  network.status = status;
  const nlohmann::json new_json = api::ToJson(network).value("status", nlohmann::json());
  if (new_json == old_json) return result;

  nlohmann::json out = *obj;
  out["status"] = new_json;
  auto r = ctx_.client->UpdateStatus(RdmaNetworks(), out, WriteOptions());
  if (!r.ok()) return r.error();
  for (const std::string& type : flipped) {
    const api::Condition* c = api::FindCondition(status.conditions, type);
    spdlog::info("operator: network condition network={} type={} status={} reason={} message=\"{}\"", key, c->type,
                 c->status, c->reason, c->message);
    if (ctx_.events && c->type == api::kConditionDegraded && c->status == api::kConditionTrue)
      ctx_.events->Record(*r, "Warning", c->reason, "Reconcile", c->message);
  }
  return result;
}

}  // namespace rdma_operator
