// kube::EventRecorder publishes events.k8s.io/v1 Events about objects
// ("Warning FirmwareMismatch on RdmaNodeState node-1: ..."), the way users
// see what a controller did with `kubectl describe` / `kubectl events`.
// Recording never blocks on the API server and never fails the caller:
// events go through a bounded queue to a background thread; repeats of the
// same event are aggregated into one Event whose series.count grows.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "kube/client.h"
#include "kube/timestamps.h"

namespace kube {

struct EventRecorderOptions {
  std::string reporting_controller = "rdma.dev/operator";
  std::string reporting_instance;  // e.g. pod name
  size_t max_pending = 1000;       // beyond this, new events are dropped (and counted)
  // Repeats within this window update the existing Event's series.
  std::chrono::minutes aggregation_window{6};
};

class EventRecorder {
 public:
  EventRecorder(std::shared_ptr<Client> client, EventRecorderOptions options);
  ~EventRecorder();  // stops the thread; pending events are dropped

  // type is "Normal" or "Warning"; reason is CamelCase ("VfsCreated");
  // action says what was done ("Reconcile"); note is for humans.
  void Record(const json& regarding, const std::string& type, const std::string& reason, const std::string& action,
              const std::string& note);
  // Waits until everything recorded so far has been sent or given up.
  void Flush();
  uint64_t dropped() const;
  uint64_t failed() const;

 private:
  struct Pending {
    json regarding;
    std::string type, reason, action, note;
    Clock::time_point at;
  };
  struct Seen {
    std::string ns, name;
    int64_t count;
    Clock::time_point last;
  };
  void Loop(std::stop_token stop);
  void Send(const Pending& p);

  std::shared_ptr<Client> client_;
  const EventRecorderOptions options_;
  mutable std::mutex mu_;  // guards queue_, in_flight_, dropped_, failed_
  std::condition_variable_any cv_;
  std::deque<Pending> queue_;
  bool in_flight_ = false;
  uint64_t dropped_ = 0, failed_ = 0;
  std::unordered_map<std::string, Seen> seen_;  // only touched by the thread
  std::jthread thread_;
};

}  // namespace kube
