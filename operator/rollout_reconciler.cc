#include "operator/rollout_reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "kube/labels.h"
#include "kube/timestamps.h"
#include "operator/nic_selection.h"
#include "operator/resources.h"
#include "operator/status_rollup.h"

namespace rdma_operator {

using json = nlohmann::json;

namespace {

// Actions NextAction may ask for in a row before the node waits for the
// world (cordon, record, grant... never more than a handful); a bound so a
// planning bug cannot spin.
constexpr int kMaxActionsPerNode = 8;

bool NotReady(const json& node) {
  const json* status = node.contains("status") ? &node["status"] : nullptr;
  if (!status || !status->contains("conditions") || !(*status)["conditions"].is_array()) return false;
  for (const json& c : (*status)["conditions"])
    if (c.value("type", "") == "Ready") return c.value("status", "") != "True";
  return false;  // no Ready condition reported (yet): not counted as down
}

bool HasRecord(const json& state) {
  const json& meta = state.contains("metadata") ? state["metadata"] : json();
  return meta.is_object() && meta.contains("annotations") && meta["annotations"].is_object() &&
         meta["annotations"].contains(kRolloutAnnotation);
}

bool Pending(const json& state) {
  return state.contains("status") && state["status"].is_object() &&
         state["status"].value("syncState", "") == api::kSyncPending;
}

std::string Annotation(const api::RdmaNodeState& state) {
  auto it = state.metadata.annotations.find(kRolloutAnnotation);
  return it == state.metadata.annotations.end() ? "" : it->second;
}

kube::SteadyClock::duration Sooner(const std::optional<kube::SteadyClock::duration>& a,
                                   kube::SteadyClock::duration b) {
  return a ? std::min(*a, b) : b;
}

}  // namespace

void RolloutReconciler::RegisterMetrics(kube::MetricsRegistry& metrics) {
  evictions_ = &metrics.GetCounter("rdma_operator_rollout_evictions_total", "Pods evicted by node drains");
  evictions_refused_ = &metrics.GetCounter("rdma_operator_rollout_evictions_refused_total",
                                           "Evictions a PodDisruptionBudget refused (HTTP 429)");
  started_ = &metrics.GetCounter("rdma_operator_rollout_nodes_started_total", "Node rollouts started");
  finished_ = &metrics.GetCounter("rdma_operator_rollout_nodes_finished_total",
                                  "Node rollouts finished (done, aborted or failed)");
  in_rollout_ = &metrics.GetGauge("rdma_operator_rollout_nodes_in_progress",
                                  "Nodes being drained, rebooted or uncordoned now");
}

std::vector<RolloutReconciler::NodeRun> RolloutReconciler::ReadNodes(
    const std::vector<api::RdmaNodePolicy>& policies) const {
  std::vector<NodeRun> out;
  for (const std::string& key : ctx_.nodes->store().Keys()) {
    kube::ObjectPtr node = ctx_.nodes->store().Get(key);
    if (!node) continue;  // deleted since Keys()
    NodeRun run;
    run.name = kube::NameOf(*node);
    run.unschedulable = node->contains("spec") && (*node)["spec"].value("unschedulable", false) == true;
    run.not_ready = NotReady(*node);
    const auto labels = kube::LabelsFromJson(
        (*node)["metadata"].contains("labels") ? (*node)["metadata"]["labels"] : json::object());
    std::vector<const api::DisruptionSpec*> disruptions;
    int allow = 0, deny = 0;
    for (const api::RdmaNodePolicy& p : policies) {
      if (!SelectsNode(p, labels)) continue;
      run.policies.push_back(p.metadata.name);
      disruptions.push_back(p.spec.disruption ? &*p.spec.disruption : nullptr);
      if (p.spec.firmware) ++(p.spec.firmware->allow_reboot.value_or(api::kDefaultAllowReboot) ? allow : deny);
    }
    run.reboot_allowed = allow > 0 && deny == 0;
    run.drain = StrictestDrain(disruptions);
    kube::ObjectPtr state = ctx_.node_states->store().Get(run.name);
    run.has_state = state != nullptr;
    // Without a rollout record and with nothing pending, the node needs
    // nothing: no parse (most nodes, most of the time).
    if (state && (HasRecord(*state) || Pending(*state))) {
      api::RdmaNodeState parsed;
      (void)api::FromJson(*state, &parsed);  // a bad field reads as unset
      run.record = ParseRolloutRecord(Annotation(parsed));
      run.need = NeedOf(parsed);
      run.spec_hash = SpecHash(parsed.spec);
      if (InRollout(run.record))
        run.loaded = std::make_unique<NodeRun::Loaded>(NodeRun::Loaded{std::move(state), std::move(parsed)});
    }
    out.push_back(std::move(run));
  }
  return out;
}

kube::Result<kube::ReconcileResult> RolloutReconciler::Reconcile(const std::string&, std::stop_token stop) {
  const std::vector<api::RdmaNodePolicy> policies = ctx_.ValidPolicies();
  std::vector<NodeRun> nodes = ReadNodes(policies);

  Revisit revisit;
  std::optional<kube::ApiError> first_error;
  auto merge = [&](kube::Result<Revisit> r, const NodeRun& node) {
    if (!r.ok()) {
      spdlog::warn("operator: rollout step failed node={} error=\"{}\"", node.name, r.error().ToString());
      if (!first_error) first_error = r.error();
      return;
    }
    if (*r) revisit = Sooner(revisit, **r);
  };

  // 2. Nodes in the rollout move on.
  for (NodeRun& node : nodes) {
    if (stop.stop_requested()) return kube::ReconcileResult::Done();
    if (node.loaded && InRollout(node.record)) {
      merge(Advance(node, stop), node);
      node.loaded.reset();  // the budget below needs only the facts
    }
  }

  // 3. Nodes the budgets allow start.
  std::vector<RolloutNode> view;
  std::vector<DisruptionNeed> needs(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    const NodeRun& n = nodes[i];
    RolloutNode& v = view.emplace_back();
    v.name = n.name;
    v.in_rollout = InRollout(n.record);
    v.unavailable = n.not_ready;
    v.cordoned = n.unschedulable && !v.in_rollout;
    v.policies = n.policies;
    if (n.has_state && !n.policies.empty()) {
      needs[i] = n.need;
      // firmware.allowReboot false: the node waits for a person to reboot it.
      if (needs[i].kind == kKindReboot && !n.reboot_allowed) needs[i] = DisruptionNeed();
      v.needs_disruption = MayStart(needs[i], n.record, n.spec_hash);
    }
  }
  std::vector<RolloutPolicyBudget> budgets;
  for (const api::RdmaNodePolicy& p : policies)
    budgets.push_back({p.metadata.name, p.spec.disruption ? p.spec.disruption->max_unavailable : json()});
  const std::vector<std::string> picked = PickNodesToDisrupt(view, budgets);
  for (const std::string& name : picked) {
    if (stop.stop_requested()) return kube::ReconcileResult::Done();
    auto it = std::find_if(nodes.begin(), nodes.end(), [&](const NodeRun& n) { return n.name == name; });
    if (!Load(*it)) continue;  // deleted since ReadNodes
    merge(Start(*it, needs[it - nodes.begin()], stop), *it);
    it->loaded.reset();
  }

  if (in_rollout_) {
    in_rollout_->Set(static_cast<double>(
        std::count_if(nodes.begin(), nodes.end(), [](const NodeRun& n) { return InRollout(n.record); })));
  }
  if (first_error) return *first_error;  // retried with the controller's backoff
  if (revisit) return kube::ReconcileResult::RequeueAfter(*revisit);
  return kube::ReconcileResult::Done();
}

bool RolloutReconciler::Load(NodeRun& node) const {
  kube::ObjectPtr object = ctx_.node_states->store().Get(node.name);
  if (!object) return false;
  node.loaded = std::make_unique<NodeRun::Loaded>();
  node.loaded->object = std::move(object);
  (void)api::FromJson(*node.loaded->object, &node.loaded->state);
  return true;
}

kube::Result<RolloutReconciler::Revisit> RolloutReconciler::Start(NodeRun& node, const DisruptionNeed& need,
                                                                  std::stop_token stop) {
  RolloutRecord record = StartRecord(need, node.unschedulable, node.spec_hash, kube::Clock::now());
  if (auto s = Write(node, record); !s.ok()) return s.error();
  if (started_) started_->Inc();
  spdlog::info("operator: rollout started node={} kind={} policies=\"{}\" wasUnschedulable={}", node.name,
               record.kind, NameList(node.policies), record.was_unschedulable);
  Tell(node, "Normal", record.kind == kKindReboot ? "RebootRolloutStarted" : "DrainRolloutStarted",
       record.message + (record.resources.empty() ? "" : " (" + NameList(record.resources) + ")"));
  return Advance(node, stop);
}

kube::Result<RolloutReconciler::Revisit> RolloutReconciler::Advance(NodeRun& node, std::stop_token stop) {
  for (int i = 0; i < kMaxActionsPerNode && !stop.stop_requested(); ++i) {
    NodeFacts facts;
    facts.record = node.record;
    facts.unschedulable = node.unschedulable;
    facts.state = &node.loaded->state;
    facts.drain_timeout_seconds = node.drain.timeout_seconds;
    facts.on_drain_timeout = node.drain.on_timeout;
    facts.now = kube::Clock::now();
    std::vector<DrainPod> pods;
    DrainScope scope;
    if (node.record->step == kStepDraining && node.unschedulable) {
      auto listed = ListPods(node);
      if (!listed.ok()) return listed.error();
      pods = std::move(*listed);
      scope = ScopeDrain(pods, node.record->kind, node.record->resources);
      facts.scope = &scope;
    }
    const RolloutRecord before = *node.record;
    RolloutAction action = NextAction(facts);
    switch (action.kind) {
      case RolloutAction::Kind::kNone:
        return Revisit();  // the agent's status wakes us

      case RolloutAction::Kind::kCordon:
        if (auto s = SetUnschedulable(node, true); !s.ok()) return s.error();
        Tell(node, "Normal", "Cordoned", "cordoned for the rollout: " + before.message);
        continue;

      case RolloutAction::Kind::kEvict:
      case RolloutAction::Kind::kForceDelete: {
        const bool force = action.kind == RolloutAction::Kind::kForceDelete;
        if (force && action.record.message != before.message)
          Tell(node, "Warning", "DrainTimedOut", action.record.message);
        Revisit retry = Evict(node, action.pods, force);
        if (action.record.stalled && !before.stalled) {
          spdlog::warn("operator: drain stalled node={} blocking=\"{}\"", node.name, NameList(action.record.blocking_pods));
          Tell(node, "Warning", "DrainTimedOut",
               action.record.message + ": " + NameList(action.record.blocking_pods, 10) +
                   "; other nodes wait within the budget");
        }
        if (!(action.record == before))
          if (auto s = Write(node, action.record); !s.ok()) return s.error();
        return Revisit(Sooner(retry, options_.drain_poll));
      }

      case RolloutAction::Kind::kRecord:
        if (auto s = Write(node, action.record); !s.ok()) return s.error();
        continue;

      case RolloutAction::Kind::kGrant:
        if (auto s = Write(node, action.record, Grant::kSet, action.grant); !s.ok()) return s.error();
        spdlog::info("operator: rollout granted node={} kind={} drained={} rebootAllowed={}", node.name,
                     action.record.kind, action.grant.drained.value_or(false),
                     action.grant.reboot_allowed.value_or(false));
        Tell(node, "Normal", action.record.kind == kKindReboot ? "RebootGranted" : "DrainCompleted",
             action.record.message);
        return Revisit();

      case RolloutAction::Kind::kFinish: {
        if (auto s = Write(node, action.record, Grant::kClear); !s.ok()) return s.error();
        const bool done = action.record.result == kResultDone;
        spdlog::log(done ? spdlog::level::info : spdlog::level::warn,
                    "operator: rollout finished node={} result={} message=\"{}\"", node.name, action.record.result,
                    action.record.message);
        Tell(node, done ? "Normal" : "Warning", "Rollout" + action.record.result, action.record.message);
        if (finished_) finished_->Inc();
        continue;
      }

      case RolloutAction::Kind::kUncordon:
        if (auto s = SetUnschedulable(node, false); !s.ok()) return s.error();
        Tell(node, "Normal", "Uncordoned", "uncordoned after the rollout (" + before.result + ")");
        [[fallthrough]];
      case RolloutAction::Kind::kSettle:
        if (auto s = Write(node, action.record); !s.ok()) return s.error();
        if (action.kind == RolloutAction::Kind::kSettle && before.was_unschedulable)
          spdlog::info("operator: rollout left node cordoned as it was before node={}", node.name);
        return Revisit();
    }
  }
  return Revisit();
}

kube::Status RolloutReconciler::SetUnschedulable(NodeRun& node, bool unschedulable) {
  auto r = ctx_.client->Patch(kube::resources::Nodes(), "", node.name, kube::PatchType::kMerge,
                              json{{"spec", {{"unschedulable", unschedulable}}}}, WriteOptions());
  if (!r.ok()) return r.error();
  node.unschedulable = unschedulable;
  spdlog::info("operator: node {} node={}", unschedulable ? "cordoned" : "uncordoned", node.name);
  return {};
}

kube::Result<std::vector<DrainPod>> RolloutReconciler::ListPods(const NodeRun& node) {
  kube::ListOptions o;
  o.field_selector = "spec.nodeName=" + node.name;
  auto list = ctx_.client->ListAll(kube::resources::Pods(), "", o);
  if (!list.ok()) return list.error();
  std::vector<DrainPod> pods;
  if ((*list).contains("items") && (*list)["items"].is_array())
    for (const json& p : (*list)["items"]) pods.push_back(DrainPodFromJson(p));
  return pods;
}

RolloutReconciler::Revisit RolloutReconciler::Evict(NodeRun& node, const std::vector<const DrainPod*>& pods,
                                                    bool force) {
  Revisit soonest;
  const auto now = kube::SteadyClock::now();
  for (const DrainPod* pod : pods) {
    const std::string key = pod->ns + "/" + pod->name;
    auto retry = evict_retry_.find(key);
    if (retry != evict_retry_.end() && !force && now < retry->second.not_before) {
      soonest = Sooner(soonest, retry->second.not_before - now);
      continue;
    }
    auto r = force ? ctx_.client->Delete(kube::resources::Pods(), pod->ns, pod->name, {}, WriteOptions())
                   : ctx_.client->Evict(pod->ns, pod->name, WriteOptions());
    if (r.ok() || kube::IsNotFound(r.error())) {
      if (retry != evict_retry_.end()) evict_retry_.erase(retry);
      if (r.ok() && evictions_) evictions_->Inc();
      spdlog::info("operator: {} pod={} node={}", force ? "deleted (onDrainTimeout Force)" : "evicted", key,
                   node.name);
      continue;
    }
    if (!force && kube::IsTooManyRequests(r.error())) {
      if (retry == evict_retry_.end())
        retry = evict_retry_.emplace(key, EvictRetry{now, kube::Backoff(options_.evict_retry_initial,
                                                                         options_.evict_retry_max)})
                    .first;
      const auto delay = retry->second.backoff.Next();
      retry->second.not_before = now + delay;
      soonest = Sooner(soonest, delay);
      if (evictions_refused_) evictions_refused_->Inc();
      if (retry->second.backoff.attempts() == 1) {
        const std::string why = r.error().causes.empty() ? r.error().message : r.error().causes[0].message;
        spdlog::warn("operator: eviction refused by a PodDisruptionBudget pod={} node={} error=\"{}\"", key,
                     node.name, why);
        Tell(node, "Warning", "DrainBlocked", "eviction of " + key + " refused: " + why + "; retrying with backoff");
      }
      continue;
    }
    spdlog::warn("operator: cannot evict pod={} node={} error=\"{}\"", key, node.name, r.error().ToString());
  }
  return soonest;
}

kube::Status RolloutReconciler::Write(NodeRun& node, const RolloutRecord& record, Grant grant,
                                      const api::DisruptionGrant& set) {
  json obj = *node.loaded->object;
  obj["metadata"]["annotations"][kRolloutAnnotation] = RolloutRecordText(record);
  if (grant == Grant::kSet) {
    json d = json::object();
    if (set.drained) d["drained"] = *set.drained;
    if (set.reboot_allowed) d["rebootAllowed"] = *set.reboot_allowed;
    obj["spec"]["disruption"] = d;
  } else if (grant == Grant::kClear && obj.contains("spec") && obj["spec"].is_object()) {
    obj["spec"].erase("disruption");
  }
  auto r = ctx_.client->Update(RdmaNodeStates(), obj, WriteOptions());
  if (!r.ok()) return r.error();  // a conflict: the next pass reads the newer object
  node.loaded->object = std::make_shared<const json>(std::move(*r));
  node.loaded->state = api::RdmaNodeState();
  (void)api::FromJson(*node.loaded->object, &node.loaded->state);
  node.record = record;
  spdlog::debug("operator: rollout record node={} step={} message=\"{}\"", node.name, record.step, record.message);
  return {};
}

void RolloutReconciler::Tell(const NodeRun& node, const char* type, const std::string& reason,
                             const std::string& message) {
  if (ctx_.events && node.loaded) ctx_.events->Record(*node.loaded->object, type, reason, "Rollout", message);
}

}  // namespace rdma_operator
