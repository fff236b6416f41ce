#include "kube/reflector.h"

#include <random>

#include <spdlog/spdlog.h>

namespace kube {

ResourceListerWatcher::ResourceListerWatcher(std::shared_ptr<Client> client, Resource r, std::string ns,
                                             std::string label_selector, std::string field_selector)
    : client_(std::move(client)),
      resource_(std::move(r)),
      ns_(std::move(ns)),
      label_selector_(std::move(label_selector)),
      field_selector_(std::move(field_selector)) {}

Result<json> ResourceListerWatcher::List(const ListOptions& o) {
  ListOptions lo = o;
  lo.label_selector = label_selector_;
  lo.field_selector = field_selector_;
  return client_->List(resource_, ns_, lo);
}

Status ResourceListerWatcher::Watch(const WatchOptions& o, const std::function<bool(WatchEvent&&)>& on_event,
                                    std::stop_token stop) {
  WatchOptions wo = o;
  wo.label_selector = label_selector_;
  wo.field_selector = field_selector_;
  return client_->Watch(resource_, ns_, wo, on_event, stop);
}

std::string ResourceListerWatcher::Describe() const {
  std::string d = resource_.Describe();
  if (!ns_.empty() && resource_.namespaced) d += " in namespace " + ns_;
  if (!label_selector_.empty()) d += " with labels " + label_selector_;
  return d;
}

Reflector::Reflector(std::shared_ptr<ListerWatcher> lw, ReflectorSink* sink, ReflectorOptions options)
    : lw_(std::move(lw)), sink_(sink), options_(options) {}

std::string Reflector::LastSyncResourceVersion() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rv_;
}

Status Reflector::ListAndReplace(std::stop_token stop) {
  lists_++;
  std::vector<json> items;
  ListOptions o;
  o.limit = options_.page_size;
  std::string list_rv;
  bool restarted = false;
  for (;;) {
    if (stop.stop_requested()) return {};
    auto page = lw_->List(o);
    if (!page) {
      if (IsGone(page.error()) && !o.continue_token.empty() && !restarted) {
        // Continue token expired between pages: one unpaged list instead.
        restarted = true;
        items.clear();
        o.continue_token.clear();
        o.limit = 0;
        continue;
      }
      return page.error();
    }
    json& p = *page;
    if (p.contains("items") && p["items"].is_array()) {
      items.reserve(items.size() + p["items"].size());
      for (auto& it : p["items"]) {
        if (options_.transform) options_.transform(it);
        items.push_back(std::move(it));
      }
    }
    std::string cont;
    if (p.contains("metadata") && p["metadata"].is_object()) {
      list_rv = p["metadata"].value("resourceVersion", "");
      cont = p["metadata"].value("continue", "");
    }
    if (cont.empty()) break;
    o.continue_token = cont;
  }
  size_t n = items.size();
  sink_->Replace(std::move(items), list_rv);
  {
    std::lock_guard<std::mutex> lock(mu_);
    rv_ = list_rv;
  }
  spdlog::debug("kube: listed what=\"{}\" objects={} resourceVersion={}", lw_->Describe(), n, list_rv);
  return {};
}

void Reflector::Run(std::stop_token stop) {
  Backoff backoff(options_.backoff_initial, options_.backoff_max, 2.0, 0.5);
  std::mt19937_64 rng(std::random_device{}());
  bool need_list = true;
  while (!stop.stop_requested()) {
    if (need_list) {
      auto st = ListAndReplace(stop);
      if (!st.ok()) {
        auto delay = st.error().retry_after ? SteadyClock::duration(*st.error().retry_after) : backoff.Next();
        spdlog::warn("kube: list failed what=\"{}\" retry_in_ms={} error=\"{}\"", lw_->Describe(),
                     std::chrono::duration_cast<std::chrono::milliseconds>(delay).count(), st.error().ToString());
        SleepFor(delay, stop);
        continue;
      }
      need_list = false;
    }
    WatchOptions wo;
    wo.resource_version = LastSyncResourceVersion();
    wo.allow_bookmarks = true;
    auto min = options_.min_watch_timeout.count();
    wo.timeout_seconds = std::chrono::seconds(std::uniform_int_distribution<int64_t>(min, 2 * min)(rng));
    // The longest silence allowed on this watch's connection (the transport
    // makes it the deadline of each read): above the longest server-side
    // timeout drawn above (2 x min), so a quiet but healthy watch is not cut
    // before the server ends it. One bound for every watch is enough.
    wo.inactivity_timeout = 2 * options_.min_watch_timeout + std::chrono::seconds(30);
    auto started = SteadyClock::now();
    uint64_t events = 0;
    watches_++;
    auto st = lw_->Watch(
        wo,
        [&](WatchEvent&& e) {
          std::string rv = ResourceVersionOf(e.object);
          if (options_.transform && e.type != "BOOKMARK" && e.type != "ERROR") options_.transform(e.object);
          if (e.type == "ADDED" || e.type == "MODIFIED") {
            sink_->Upsert(std::move(e.object));
          } else if (e.type == "DELETED") {
            sink_->Remove(std::move(e.object));
          } else if (e.type != "BOOKMARK") {
            spdlog::warn("kube: ignoring watch event what=\"{}\" type={}", lw_->Describe(), e.type);
          }
          if (!rv.empty()) {
            std::lock_guard<std::mutex> lock(mu_);
            rv_ = rv;
          }
          ++events;
          return !stop.stop_requested();
        },
        stop);
    if (stop.stop_requested()) break;
    auto lasted = SteadyClock::now() - started;
    // A watch that worked for a while resets the backoff even if it then broke.
    if (events > 0 || lasted >= options_.short_watch) backoff.Reset();
    if (!st.ok()) {
      const ApiError& e = st.error();
      if (IsGone(e)) {
        // Our resourceVersion is older than the server's history: relist.
        spdlog::info("kube: watch expired, relisting what=\"{}\" resourceVersion={}", lw_->Describe(),
                     wo.resource_version);
        need_list = true;
        continue;
      }
      // Transport errors and throttling keep our place; anything else
      // (server errors, malformed events) relists to be safe.
      if (!IsTransport(e) && !IsTooManyRequests(e)) need_list = true;
      auto delay = e.retry_after ? SteadyClock::duration(*e.retry_after) : backoff.Next();
      spdlog::warn("kube: watch failed what=\"{}\" retry_in_ms={} relist={} error=\"{}\"", lw_->Describe(),
                   std::chrono::duration_cast<std::chrono::milliseconds>(delay).count(), need_list, e.ToString());
      SleepFor(delay, stop);
      continue;
    }
    if (events == 0 && lasted < options_.short_watch) {
      // The server closed a new watch at once: don't spin.
      SleepFor(backoff.Next(), stop);
    }
  }
}

}  // namespace kube
