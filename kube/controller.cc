#include "kube/controller.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>

namespace kube {
namespace {

// Blocks until stop is requested. The stop_token overload of
// condition_variable_any::wait returns once stop is requested; nothing
// notifies cv and the predicate is never true, so nothing else ends the
// wait (a spurious wake-up waits again).
void WaitForStop(std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, stop, [] { return false; });
}

}  // namespace

Controller::Controller(ControllerOptions options, Reconciler reconciler)
    : options_(std::move(options)), reconciler_(std::move(reconciler)), queue_(options_.queue) {
  if (auto* m = options_.metrics) {
    MetricLabels l{{"controller", options_.name}};
    auto with = [&](const char* result) {
      MetricLabels r = l;
      r["result"] = result;
      return r;
    };
    const char* total = "controller_runtime_reconcile_total";
    const char* total_help = "Reconciles per controller and result";
    success_ = &m->GetCounter(total, total_help, with("success"));
    requeue_ = &m->GetCounter(total, total_help, with("requeue_after"));
    errors_ = &m->GetCounter(total, total_help, with("error"));
    errors_total_ = &m->GetCounter("controller_runtime_reconcile_errors_total", "Reconcile errors per controller", l);
    duration_ = &m->GetHistogram("controller_runtime_reconcile_time_seconds", "Time per reconcile", l);
    m->AddGaugeFunc("workqueue_depth", "Keys waiting to be reconciled", {{"name", options_.name}},
                    [this] { return static_cast<double>(queue_.Len()); });
  }
}

EventHandler Controller::EnqueueHandler() {
  return EnqueueMappedHandler([](const json& o) { return std::vector<std::string>{KeyOf(o)}; });
}

EventHandler Controller::EnqueueMappedHandler(std::function<std::vector<std::string>(const json&)> map_fn) {
  auto add = [this, map_fn](const json& o) {
    for (const auto& k : map_fn(o)) queue_.Add(k);
  };
  return {add, [add](const json& old_obj, const json& new_obj) {
            add(old_obj);
            add(new_obj);
          },
          add};
}

void Controller::Run(std::stop_token stop) {
  spdlog::info("kube: controller starting name={} workers={}", options_.name, options_.workers);
  std::vector<std::jthread> workers;
  std::stop_source worker_stop;
  for (int i = 0; i < std::max(1, options_.workers); ++i)
    workers.emplace_back([this, t = worker_stop.get_token()] { Worker(t); });
  WaitForStop(stop);
  // Running reconciles see stop and may finish early; none start afterwards.
  worker_stop.request_stop();
  queue_.ShutDownWithDrain();
  workers.clear();  // joins
  spdlog::info("kube: controller stopped name={}", options_.name);
}

void Controller::Worker(std::stop_token stop) {
  while (auto key = queue_.Get()) {
    auto started = SteadyClock::now();
    Result<ReconcileResult> r = ApiError{};
    try {
      r = reconciler_(*key, stop);
    } catch (const std::exception& ex) {
      // A reconciler should not throw; treat it as an error, not a crash.
      ApiError e;
      e.reason = "ReconcilerException";
      e.message = "reconcile " + *key + ": " + ex.what();
      r = e;
    }
    double secs = std::chrono::duration<double>(SteadyClock::now() - started).count();
    reconciles_++;
    if (duration_) duration_->Observe(secs);
    if (!r.ok()) {
      if (errors_) errors_->Inc();
      if (errors_total_) errors_total_->Inc();
      int n = queue_.NumRequeues(*key);
      // Conflicts are routine (someone else wrote first); say so quietly.
      if (IsConflict(r.error()))
        spdlog::debug("kube: reconcile conflict controller={} key={} retries={}", options_.name, *key, n);
      else
        spdlog::warn("kube: reconcile failed controller={} key={} retries={} error=\"{}\"", options_.name, *key, n,
                     r.error().ToString());
      queue_.AddRateLimited(*key);
    } else if (r->requeue_after) {
      if (requeue_) requeue_->Inc();
      queue_.Forget(*key);
      queue_.AddAfter(*key, *r->requeue_after);
    } else {
      if (success_) success_->Inc();
      queue_.Forget(*key);
    }
    queue_.Done(*key);
  }
}

}  // namespace kube
