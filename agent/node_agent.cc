#include "agent/node_agent.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "api/group_version.h"
#include "kube/informer.h"

namespace agent {
kube::Resource RdmaNodeStates() {
  return kube::Resource{std::string(api::kGroup), std::string(api::kVersion), std::string(api::kRdmaNodeStateResource),
                        std::string(api::kRdmaNodeStateKind), false};
}

NodeAgent::NodeAgent(std::shared_ptr<kube::Client> client, Reconciler& reconciler, host::Netlink& netlink,
                     NodeAgentOptions options, kube::MetricsRegistry* metrics)
    : client_(std::move(client)), reconciler_(reconciler), netlink_(netlink), options_(std::move(options)),
      metrics_(metrics) {
  kube::EventRecorderOptions eo;
  eo.reporting_controller = "rdma.dev/agent";
  eo.reporting_instance = "rdma-agent-" + options_.node_name;
  events_ = std::make_unique<kube::EventRecorder>(client_, eo);
}

void NodeAgent::AnnounceReboot(const std::string& reason) {
  spdlog::warn("node={} op=announce-reboot why=\"{}\"", options_.node_name, reason);
  const kube::json patch = {{"status", {{"syncState", api::kSyncInProgress}}}};
  auto written = client_->PatchStatus(RdmaNodeStates(), "", options_.node_name, kube::PatchType::kMerge, patch);
  if (!written.ok()) {
    spdlog::error("node={} op=announce-reboot error=\"{}\"", options_.node_name, written.error().message);
    return;
  }
  events_->Record(*written, "Normal", "Rebooting", "Reboot", "rebooting now: " + reason);
  events_->Flush();
}

void NodeAgent::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    dirty_ = true;
  }
  cv_.notify_all();
}

void NodeAgent::PumpLinkEvents(std::stop_token stop) {
  std::unique_ptr<host::LinkEvents> events;
  while (!stop.stop_requested()) {
    if (!events) {
      auto w = netlink_.WatchLinks();
      if (!w.ok()) {
        spdlog::error("op=watch-links error=\"{}\"", w.error().message);
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, stop, std::chrono::seconds(5), [] { return false; });
        continue;
      }
      events = std::move(*w);
    }
    auto ev = events->Next(std::chrono::milliseconds(500));
    if (!ev.ok()) {
      // ENOBUFS: events were lost; a pass re-reads everything anyway.
      if (ev.error().sys_errno != ENOBUFS) events.reset();
      host_changed_ = true;
      Wake();
      continue;
    }
    if (ev->has_value()) {
      host_changed_ = true;
      spdlog::debug("op=link-event link={} removed={}", (*ev)->link.name, (*ev)->type == host::LinkEventType::kRemoved);
      Wake();
    }
  }
}

kube::Result<kube::json> NodeAgent::EnsureObject() {
  auto got = client_->Get(RdmaNodeStates(), "", options_.node_name);
  if (got.ok() || !kube::IsNotFound(got.error())) return got;
  kube::json obj = {{"apiVersion", api::kApiVersion},
                    {"kind", api::kRdmaNodeStateKind},
                    {"metadata", {{"name", options_.node_name}}},
                    {"spec", kube::json::object()}};
  auto created = client_->Create(RdmaNodeStates(), obj);
  if (created.ok()) {
    spdlog::info("op=create-node-state node={}", options_.node_name);
    return created;
  }
  if (kube::IsAlreadyExists(created.error())) return client_->Get(RdmaNodeStates(), "", options_.node_name);
  return created;
}

void NodeAgent::RecordEvent(const kube::json& obj, const api::RdmaNodeStateStatus& before,
                            const api::RdmaNodeStateStatus& after) {
  auto reason_of = [](const api::RdmaNodeStateStatus& s) -> std::string {
    const api::Condition* d = api::FindCondition(s.conditions, api::kConditionDegraded);
    if (d && d->status == api::kConditionTrue) return d->reason;
    const api::Condition* p = api::FindCondition(s.conditions, api::kConditionProgressing);
    if (p && p->status == api::kConditionTrue) return p->reason;
    return s.sync_state == api::kSyncSucceeded ? std::string(api::kReasonApplied) : "";
  };
  std::string was = reason_of(before), now = reason_of(after);
  if (now.empty() || (was == now && before.observed_generation == after.observed_generation)) return;
  const bool warning = after.sync_state == api::kSyncFailed;
  std::string note = after.last_error && warning ? after.last_error->message
                     : now == api::kReasonApplied ? "generation " + std::to_string(after.applied_generation) +
                                                        " applied, " + std::to_string(after.vf_count) + " VF(s)"
                                                  : api::FindCondition(after.conditions, api::kConditionProgressing)->message;
  events_->Record(obj, warning ? "Warning" : "Normal", now, "Reconcile", note);
}

bool NodeAgent::Pass(const kube::json& obj, bool* run_again) {
  api::RdmaNodeState state;
  api::FieldErrors read_errors = api::FromJson(obj, &state);
  // Fields of the wrong type make the spec invalid: the reconciler reports
  // them as Degraded/InvalidSpec and applies nothing.
  const int64_t generation = kube::GenerationOf(obj);
  auto t0 = std::chrono::steady_clock::now();
  if (options_.on_observed) {
    api::RdmaNodeStateStatus before = state.status.value_or(api::RdmaNodeStateStatus{});
    before.observed_generation = generation;
    // Discovery costs sysfs reads for every VF: only when a link event says
    // the host may have changed; otherwise the last status is still true.
    if (host_changed_.exchange(false)) before.interfaces = reconciler_.Discover().interfaces;
    options_.on_observed(state.spec, before);
  }
  PassResult r = reconciler_.Reconcile(generation, state.spec, state.status, read_errors);
  if (options_.on_observed) options_.on_observed(state.spec, r.status);
  if (options_.complete_status) options_.complete_status(r.status);
  *run_again = r.rebooted;
  // Observed when the pass is over, status write included.
  struct ObserveOnExit {
    kube::MetricsRegistry* m;
    std::chrono::steady_clock::time_point t0;
    ~ObserveOnExit() {
      if (m) {
        m->GetHistogram("rdma_agent_reconcile_seconds", "Time of one agent pass, status write included")
            .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
    }
  } observe{metrics_, t0};
  api::RdmaNodeState updated = state;
  updated.status = r.status;
  kube::json status = api::ToJson(updated)["status"];
  if (obj.contains("status") && obj["status"] == status) {
    ready_ = true;
    return r.status.sync_state != api::kSyncFailed;
  }
  kube::json patch = kube::json::array({{{"op", "add"}, {"path", "/status"}, {"value", status}}});
  const auto write_start = std::chrono::steady_clock::now();
  auto written = client_->PatchStatus(RdmaNodeStates(), "", options_.node_name, kube::PatchType::kJson, patch);
  if (!written.ok()) {
    spdlog::error("node={} op=write-status error=\"{}\"", options_.node_name, written.error().message);
    return false;
  }
  stale_rv_ = kube::ResourceVersionOf(obj);
  written_ = *written;
  spdlog::debug("node={} op=write-status sync={} generation={} reconcile_ms={} write_ms={}", options_.node_name,
                r.status.sync_state, generation, std::chrono::duration_cast<std::chrono::milliseconds>(write_start - t0).count(),
                std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - write_start).count());
  RecordEvent(obj, state.status.value_or(api::RdmaNodeStateStatus{}), r.status);
  ready_ = true;
  return r.status.sync_state != api::kSyncFailed;
}

void NodeAgent::Run(std::stop_token stop) {
  const std::string key = kube::MakeKey("", options_.node_name);
  // Only this node's object (metadata.name works as a field selector for
  // every resource), so an agent's cache does not grow with the cluster.
  kube::Informer informer(std::make_shared<kube::ResourceListerWatcher>(client_, RdmaNodeStates(), "", "",
                                                                         "metadata.name=" + options_.node_name));
  kube::EventHandler h;
  h.on_add = [&](const kube::json& o) {
    if (kube::NameOf(o) == options_.node_name) Wake();
  };
  h.on_update = [&](const kube::json&, const kube::json& o) {
    if (kube::NameOf(o) == options_.node_name) Wake();
  };
  h.on_delete = [&](const kube::json& o) {
    if (kube::NameOf(o) == options_.node_name) Wake();
  };
  informer.AddEventHandler(h);
  informer.Start();
  std::jthread pump([this](std::stop_token s) { PumpLinkEvents(s); });
  std::stop_callback stop_pump(stop, [&] { pump.request_stop(); });

  std::chrono::milliseconds backoff{0};
  bool first_pass_logged = false;
  while (!stop.stop_requested()) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      auto wait = backoff.count() > 0 ? backoff : options_.resync;
      cv_.wait_for(lock, stop, wait, [&] { return dirty_ && backoff.count() == 0; });
      if (stop.stop_requested()) break;
      dirty_ = false;
    }
    if (!informer.WaitForSync(std::chrono::seconds(30), stop)) continue;
    kube::json obj;
    if (auto cached = informer.store().Get(key)) {
      obj = kube::ResourceVersionOf(*cached) == stale_rv_ ? written_ : *cached;
    } else {
      auto ensured = EnsureObject();
      if (!ensured.ok()) {
        spdlog::error("node={} op=ensure-node-state error=\"{}\"", options_.node_name, ensured.error().message);
        backoff = std::clamp(backoff * 2, options_.retry_min, options_.retry_max);
        continue;
      }
      obj = *ensured;
    }
    bool run_again = false;
    bool ok = Pass(obj, &run_again);
    if (!first_pass_logged) {
      // One line per agent start, once the host has been looked at.
      spdlog::info("node={} op=first-pass-done generation={} ok={}", options_.node_name, kube::GenerationOf(obj), ok);
      first_pass_logged = true;
    }
    if (ok || run_again) {
      backoff = std::chrono::milliseconds(0);
    } else {
      backoff = std::clamp(backoff * 2, options_.retry_min, options_.retry_max);
    }
    if (run_again || !ok) {
      std::lock_guard<std::mutex> lock(mu_);
      dirty_ = true;
    }
  }
  informer.Stop();
  events_->Flush();
}

}  // namespace agent
