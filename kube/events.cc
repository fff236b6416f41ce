#include "kube/events.h"

#include <random>

#include <spdlog/spdlog.h>

#include "kube/timestamps.h"

namespace kube {

EventRecorder::EventRecorder(std::shared_ptr<Client> client, EventRecorderOptions options)
    : client_(std::move(client)), options_(std::move(options)) {
  thread_ = std::jthread([this](std::stop_token st) { Loop(st); });
}

EventRecorder::~EventRecorder() {
  thread_.request_stop();
  cv_.notify_all();
}

void EventRecorder::Record(const json& regarding, const std::string& type, const std::string& reason,
                           const std::string& action, const std::string& note) {
  std::lock_guard<std::mutex> lock(mu_);
  if (queue_.size() >= options_.max_pending) {
    ++dropped_;
    return;
  }
  // Copy only what the Event needs, not the whole object.
  json ref = {{"apiVersion", regarding.value("apiVersion", "")},
              {"kind", regarding.value("kind", "")},
              {"name", NameOf(regarding)},
              {"uid", UidOf(regarding)},
              {"resourceVersion", ResourceVersionOf(regarding)}};
  if (!NamespaceOf(regarding).empty()) ref["namespace"] = NamespaceOf(regarding);
  queue_.push_back({std::move(ref), type, reason, action, note.substr(0, 1024), Clock::now()});
  cv_.notify_all();
}

void EventRecorder::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return queue_.empty() && !in_flight_; });
}

uint64_t EventRecorder::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

uint64_t EventRecorder::failed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failed_;
}

void EventRecorder::Loop(std::stop_token stop) {
  for (;;) {
    Pending p;
    {
      std::unique_lock<std::mutex> lock(mu_);
      in_flight_ = false;
      cv_.notify_all();
      if (!cv_.wait(lock, stop, [this] { return !queue_.empty(); })) return;
      p = std::move(queue_.front());
      queue_.pop_front();
      in_flight_ = true;
    }
    Send(p);
  }
}

void EventRecorder::Send(const Pending& p) {
  auto events = resources::Events();
  std::string ns = p.regarding.value("namespace", "default");
  std::string key = p.regarding.value("uid", "") + "|" + p.regarding.value("kind", "") + "|" + ns + "|" +
                    p.regarding.value("name", "") + "|" + p.type + "|" + p.reason + "|" + p.action + "|" + p.note;
  std::string when = FormatMicroTime(p.at);
  auto fail = [&](const ApiError& e) {
    // Events are best effort: log once per failure at debug/warn, never more.
    spdlog::warn("kube: event not recorded reason={} object={}/{} error=\"{}\"", p.reason, ns,
                 p.regarding.value("name", ""), e.ToString());
    std::lock_guard<std::mutex> lock(mu_);
    ++failed_;
  };

  if (auto it = seen_.find(key); it != seen_.end() && p.at - it->second.last < options_.aggregation_window) {
    Seen& s = it->second;
    json patch = {{"series", {{"count", s.count + 1}, {"lastObservedTime", when}}}};
    auto r = client_->Patch(events, s.ns, s.name, PatchType::kMerge, patch);
    if (r.ok()) {
      s.count++;
      s.last = p.at;
      return;
    }
    if (!IsNotFound(r.error())) return fail(r.error());
    seen_.erase(it);  // the Event expired on the server: create a new one
  }

  static thread_local std::mt19937_64 rng(std::random_device{}());
  char suffix[17];
  std::snprintf(suffix, sizeof(suffix), "%016llx", static_cast<unsigned long long>(rng()));
  std::string name = p.regarding.value("name", "unknown") + "." + suffix;
  json ev = {{"apiVersion", "events.k8s.io/v1"},
             {"kind", "Event"},
             {"metadata", {{"name", name}, {"namespace", ns}}},
             {"eventTime", when},
             {"reportingController", options_.reporting_controller},
             {"reportingInstance", options_.reporting_instance.empty() ? options_.reporting_controller
                                                                       : options_.reporting_instance},
             {"action", p.action},
             {"reason", p.reason},
             {"regarding", p.regarding},
             {"note", p.note},
             {"type", p.type}};
  auto r = client_->Create(events, ev);
  if (!r.ok()) return fail(r.error());
  if (seen_.size() > 4096) seen_.clear();  // bound memory; worst case a repeat starts a new Event
  seen_[key] = Seen{ns, name, 1, p.at};
}

}  // namespace kube
