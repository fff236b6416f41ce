// kube::Controller runs a Reconciler over keys from a kube::WorkQueue with N
// workers, like controller-runtime: Reconcile(key) reads the world and closes
// the gap; it returns done, requeue-after-T, or an error (the key comes back
// with exponential backoff). Informers feed keys in through EnqueueHandler().
// Metrics per controller: queue depth, reconciles by result, errors, and a
// duration histogram.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "kube/api_error.h"
#include "kube/informer.h"
#include "kube/metrics.h"
#include "kube/workqueue.h"

namespace kube {

struct ReconcileResult {
  // Visit the key again after this long even if nothing changes.
  std::optional<SteadyClock::duration> requeue_after;
  static ReconcileResult Done() { return {}; }
  static ReconcileResult RequeueAfter(SteadyClock::duration d) { return {d}; }
};

// Must be safe to call any number of times for the same key (level-based).
// stop is requested at shutdown; long reconciles should return early.
using Reconciler = std::function<Result<ReconcileResult>(const std::string& key, std::stop_token stop)>;

struct ControllerOptions {
  std::string name;  // metrics label and log field
  int workers = 1;
  WorkQueueOptions queue;
  MetricsRegistry* metrics = nullptr;  // optional
};

class Controller {
 public:
  Controller(ControllerOptions options, Reconciler reconciler);

  WorkQueue& queue() { return queue_; }
  // Enqueues each object's own key on add, update and delete.
  EventHandler EnqueueHandler();
  // Enqueues the keys map_fn returns (e.g. an owner's key, or every policy
  // selecting a node) on add, update (old and new object) and delete.
  EventHandler EnqueueMappedHandler(std::function<std::vector<std::string>(const json&)> map_fn);

  // Starts the workers and blocks until stop is requested; then stops taking
  // new keys, lets running reconciles finish, and returns.
  void Run(std::stop_token stop);

  // Reconciles counted so far (all results), for tests.
  uint64_t reconciles() const { return reconciles_; }

 private:
  void Worker(std::stop_token stop);

  const ControllerOptions options_;
  Reconciler reconciler_;
  WorkQueue queue_;
  std::atomic<uint64_t> reconciles_{0};
  // controller_runtime_reconcile_total by result, and
  // controller_runtime_reconcile_errors_total (controller-runtime has both).
  Counter* success_ = nullptr;
  Counter* requeue_ = nullptr;
  Counter* errors_ = nullptr;
  Counter* errors_total_ = nullptr;
  Histogram* duration_ = nullptr;
};

}  // namespace kube
