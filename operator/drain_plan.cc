#include "operator/drain_plan.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "kube/timestamps.h"

namespace rdma_operator {

using json = nlohmann::json;

namespace {

// "rdma.dev/" + the resource name, as pods request it.
std::string Extended(const std::string& resource_name) { return "rdma.dev/" + resource_name; }

std::string Str(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

const json& Obj(const json& obj, const char* key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it != obj.end() ? *it : kNull;
}

bool Tolerates(const json& toleration, const char* taint_key) {
  const std::string key = Str(toleration, "key");
  const std::string op = Str(toleration, "operator");
  const std::string effect = Str(toleration, "effect");
  if (!effect.empty() && effect != "NoSchedule") return false;
  if (key.empty()) return op == "Exists";  // tolerates every taint
  return key == taint_key;
}

void AddResources(const json& containers, std::set<std::string>* out) {
  if (!containers.is_array()) return;
  for (const json& c : containers) {
    const json& res = Obj(c, "resources");
    for (const char* part : {"requests", "limits"}) {
      const json& m = Obj(res, part);
      if (!m.is_object()) continue;
      for (auto it = m.begin(); it != m.end(); ++it) {
        if (it.key().find('/') != std::string::npos) out->insert(it.key());
      }
    }
  }
}

RolloutRecord Next(RolloutRecord r, const char* step) {
  r.step = step;
  return r;
}

}  // namespace

std::optional<RolloutRecord> ParseRolloutRecord(const std::string& annotation) {
  if (annotation.empty()) return std::nullopt;
  json j = json::parse(annotation, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("step") || !j["step"].is_string()) return std::nullopt;
  RolloutRecord r;
  r.step = Str(j, "step");
  r.kind = Str(j, "kind");
  r.was_unschedulable = j.value("wasUnschedulable", false) == true;
  if (j.contains("resources") && j["resources"].is_array())
    for (const json& x : j["resources"])
      if (x.is_string()) r.resources.push_back(x.get<std::string>());
  r.drain_started_at = Str(j, "drainStartedAt");
  r.spec_hash = Str(j, "specHash");
  r.result = Str(j, "result");
  r.message = Str(j, "message");
  if (j.contains("blockingPods") && j["blockingPods"].is_array())
    for (const json& x : j["blockingPods"])
      if (x.is_string()) r.blocking_pods.push_back(x.get<std::string>());
  r.stalled = j.value("stalled", false) == true;
  return r;
}

std::string RolloutRecordText(const RolloutRecord& r) {
  json j = {{"step", r.step}, {"kind", r.kind}, {"wasUnschedulable", r.was_unschedulable}};
  if (!r.resources.empty()) j["resources"] = r.resources;
  if (!r.drain_started_at.empty()) j["drainStartedAt"] = r.drain_started_at;
  if (!r.spec_hash.empty()) j["specHash"] = r.spec_hash;
  if (!r.result.empty()) j["result"] = r.result;
  if (!r.message.empty()) j["message"] = r.message;
  if (!r.blocking_pods.empty()) j["blockingPods"] = r.blocking_pods;
  if (r.stalled) j["stalled"] = true;
  return j.dump();
}

bool InRollout(const std::optional<RolloutRecord>& r) {
  return r && (r->step == kStepDraining || r->step == kStepGranted || r->step == kStepUncordoning);
}

std::string SpecHash(const api::RdmaNodeStateSpec& spec) {
  api::RdmaNodeState s;
  s.spec.interfaces = spec.interfaces;
  // An empty spec is left out of the JSON altogether.
  const json doc = api::ToJson(s);
  const json* written = doc.contains("spec") && doc["spec"].is_object() ? &doc["spec"] : nullptr;
  const std::string text = written ? written->value("interfaces", json::array()).dump() : json::array().dump();
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof(out), "%016llx", static_cast<unsigned long long>(h));
  return out;
}

DisruptionNeed NeedOf(const api::RdmaNodeState& state) {
  DisruptionNeed need;
  if (!state.status) return need;
  const api::RdmaNodeStateStatus& st = *state.status;
  if (st.observed_generation != state.metadata.generation.value_or(0) || st.sync_state != api::kSyncPending)
    return need;
  if (st.reboot_required) {
    need.kind = kKindReboot;
    return need;
  }
  need.kind = kKindDrain;
  std::set<std::string> resources;
  for (const api::InterfaceSpec& want : state.spec.interfaces) {
    const api::InterfaceStatus* have = api::FindInterface(st, want.pci_address);
    if (!have || have->num_vfs == want.num_vfs.value_or(0)) continue;
    for (const api::VfGroup& g : want.vf_groups) resources.insert(Extended(g.resource_name));
    // No VF groups left (numVfs 0, or the policy is gone): the spec no
    // longer says which resource the VFs being removed were advertised as.
    if (want.vf_groups.empty()) resources.insert(kAnyRdmaResource);
  }
  need.resources.assign(resources.begin(), resources.end());
  return need;
}

DrainPod DrainPodFromJson(const json& pod) {
  DrainPod p;
  const json& meta = Obj(pod, "metadata");
  p.ns = Str(meta, "namespace");
  p.name = Str(meta, "name");
  p.terminating = !Obj(meta, "deletionTimestamp").is_null();
  const std::string phase = Str(Obj(pod, "status"), "phase");
  p.finished = phase == "Succeeded" || phase == "Failed";
  p.mirror = Obj(meta, "annotations").is_object() && Obj(meta, "annotations").contains("kubernetes.io/config.mirror");
  const json& owners = Obj(meta, "ownerReferences");
  if (owners.is_array())
    for (const json& o : owners)
      if (Str(o, "kind") == "DaemonSet" && o.value("controller", false) == true) p.daemon_set = true;
  const json& spec = Obj(pod, "spec");
  const json& tolerations = Obj(spec, "tolerations");
  if (tolerations.is_array())
    for (const json& t : tolerations)
      if (Tolerates(t, kUnschedulableTaint)) p.tolerates_cordon = true;
  std::set<std::string> resources;
  AddResources(Obj(spec, "containers"), &resources);
  AddResources(Obj(spec, "initContainers"), &resources);
  p.resources.assign(resources.begin(), resources.end());
  return p;
}

std::vector<std::string> DrainScope::Blocking() const {
  std::vector<std::string> out;
  for (const auto* list : {&evict, &waiting})
    for (const DrainPod* p : *list) out.push_back(p->ns + "/" + p->name);
  std::sort(out.begin(), out.end());
  return out;
}

DrainScope ScopeDrain(const std::vector<DrainPod>& pods, const std::string& kind,
                      const std::vector<std::string>& resources) {
  DrainScope scope;
  for (const DrainPod& p : pods) {
    if (p.daemon_set || p.mirror || p.finished || p.tolerates_cordon) continue;
    if (kind != kKindReboot) {
      const bool any = std::find(resources.begin(), resources.end(), kAnyRdmaResource) != resources.end();
      const bool holds = std::any_of(p.resources.begin(), p.resources.end(), [&](const std::string& r) {
        return (any && r.rfind("rdma.dev/", 0) == 0) || std::find(resources.begin(), resources.end(), r) != resources.end();
      });
      if (!holds) continue;
    }
    (p.terminating ? scope.waiting : scope.evict).push_back(&p);
  }
  return scope;
}

namespace {
// The drain's start as the record keeps it (RFC 3339, whole seconds),
// rounded up: the timeout counts from at most a second after the real
// start, never before it, so a drainTimeoutSeconds of 1 is never 0.
std::string DrainStart(std::chrono::system_clock::time_point now) {
  auto whole = std::chrono::time_point_cast<std::chrono::seconds>(now);
  if (whole < now) whole += std::chrono::seconds(1);
  return kube::FormatTime(whole);
}
}  // namespace

RolloutRecord StartRecord(const DisruptionNeed& need, bool unschedulable, const std::string& spec_hash,
                          std::chrono::system_clock::time_point now) {
  RolloutRecord r;
  r.step = kStepDraining;
  r.kind = need.kind;
  r.was_unschedulable = unschedulable;
  if (need.kind == kKindDrain) r.resources = need.resources;
  r.drain_started_at = DrainStart(now);
  r.spec_hash = spec_hash;
  r.message = need.kind == kKindReboot ? "firmware change needs a reboot: draining every pod"
                                       : "VF count change: draining the pods that hold its VFs";
  return r;
}

bool MayStart(const DisruptionNeed& need, const std::optional<RolloutRecord>& record, const std::string& spec_hash) {
  if (need.kind.empty() || InRollout(record)) return false;
  if (record && record->step == kStepIdle && record->spec_hash == spec_hash &&
      (record->result == kResultAborted || record->result == kResultFailed))
    return false;
  return true;
}

namespace {

bool AppliedNow(const api::RdmaNodeState& s) {
  const int64_t gen = s.metadata.generation.value_or(0);
  return s.status && s.status->sync_state == api::kSyncSucceeded && s.status->applied_generation == gen &&
         s.status->observed_generation == gen;
}

bool FailedNow(const api::RdmaNodeState& s) {
  return s.status && s.status->sync_state == api::kSyncFailed &&
         s.status->observed_generation == s.metadata.generation.value_or(0);
}

std::string AgentError(const api::RdmaNodeState& s) {
  if (s.status && s.status->last_error && !s.status->last_error->message.empty()) return s.status->last_error->message;
  return "the agent reports syncState Failed";
}

RolloutAction Finish(RolloutRecord r, const char* result, std::string message) {
  RolloutAction a;
  a.kind = RolloutAction::Kind::kFinish;
  r.step = kStepUncordoning;
  r.result = result;
  r.message = std::move(message);
  r.stalled = false;
  if (r.result == kResultDone) r.blocking_pods.clear();
  a.record = std::move(r);
  return a;
}

RolloutAction Drain(const NodeFacts& f) {
  RolloutRecord r = *f.record;
  RolloutAction a;
  if (!f.unschedulable) {
    a.kind = RolloutAction::Kind::kCordon;
    a.record = r;
    return a;
  }
  if (f.state) {
    // The agent no longer waits (the spec changed back, or it applied):
    // nothing to grant.
    if (AppliedNow(*f.state)) return Finish(r, kResultDone, "applied without a disruption");
    // A drain that became a reboot drains everything (no reboot after a
    // partial drain).
    if (NeedOf(*f.state).kind == kKindReboot && r.kind == kKindDrain) {
      r.kind = kKindReboot;
      r.resources.clear();
      r.message = "firmware change needs a reboot: draining every pod";
      a.kind = RolloutAction::Kind::kRecord;
      a.record = r;
      return a;
    }
  }
  const bool skip = f.drain_timeout_seconds == 0;
  const DrainScope none;
  const DrainScope& scope = (f.scope && !skip) ? *f.scope : none;
  if (scope.evict.empty() && scope.waiting.empty()) {
    a.kind = RolloutAction::Kind::kGrant;
    r.step = kStepGranted;
    r.blocking_pods.clear();
    r.stalled = false;
    a.grant.drained = true;
    if (r.kind == kKindReboot) a.grant.reboot_allowed = true;
    r.message = r.kind == kKindReboot ? "drained; reboot granted, waiting for the agent"
                                      : "drained; VF change granted, waiting for the agent";
    a.record = std::move(r);
    return a;
  }
  r.blocking_pods = scope.Blocking();
  const auto started = kube::ParseTime(r.drain_started_at).value_or(f.now);
  const bool timed_out = f.now - started >= std::chrono::seconds(f.drain_timeout_seconds);
  if (timed_out && f.on_drain_timeout == "Abort") {
    return Finish(r, kResultAborted,
                  "drain timed out after " + std::to_string(f.drain_timeout_seconds) + "s (onDrainTimeout Abort); " +
                      std::to_string(r.blocking_pods.size()) + " pod(s) still on the node");
  }
  if (timed_out && f.on_drain_timeout == "Force") {
    a.kind = RolloutAction::Kind::kForceDelete;
    a.pods = scope.evict;
    r.message = "drain timed out after " + std::to_string(f.drain_timeout_seconds) +
                "s (onDrainTimeout Force): deleting the remaining pods";
    a.record = std::move(r);
    return a;
  }
  r.stalled = timed_out;
  r.message = timed_out ? "drain timed out after " + std::to_string(f.drain_timeout_seconds) +
                              "s (onDrainTimeout Wait): still trying; blocked by " +
                              std::to_string(r.blocking_pods.size()) + " pod(s)"
                        : "draining: " + std::to_string(r.blocking_pods.size()) + " pod(s) to go";
  a.kind = RolloutAction::Kind::kEvict;
  a.pods = scope.evict;
  a.record = std::move(r);
  return a;
}

}  // namespace

RolloutAction NextAction(const NodeFacts& f) {
  RolloutAction a;
  if (!InRollout(f.record)) return a;
  const RolloutRecord& r = *f.record;
  if (r.step == kStepDraining) return Drain(f);
  if (r.step == kStepGranted) {
    if (!f.state) return Finish(r, kResultFailed, "the RdmaNodeState is gone");
    // A drain-only grant that now needs a reboot: drain everything first.
    if (r.kind == kKindDrain && NeedOf(*f.state).kind == kKindReboot) {
      RolloutRecord back = Next(r, kStepDraining);
      back.kind = kKindReboot;
      back.resources.clear();
      back.drain_started_at = DrainStart(f.now);
      back.message = "firmware change needs a reboot: draining every pod";
      a.kind = RolloutAction::Kind::kRecord;
      a.record = std::move(back);
      return a;
    }
    if (AppliedNow(*f.state))
      return Finish(r, kResultDone, r.kind == kKindReboot ? "rebooted, applied and verified" : "applied");
    if (FailedNow(*f.state)) return Finish(r, kResultFailed, AgentError(*f.state));
    return a;  // the agent is applying (or rebooting)
  }
  // Uncordoning: give back exactly what was there.
  a.record = Next(r, kStepIdle);
  a.kind = (!r.was_unschedulable && f.unschedulable) ? RolloutAction::Kind::kUncordon : RolloutAction::Kind::kSettle;
  return a;
}

}  // namespace rdma_operator
