// kube::LeaderElector makes one replica of a controller the leader, using a
// coordination.k8s.io/v1 Lease with client-go's rules: a lease held by
// someone else counts as expired only when this process has seen no change to
// it for leaseDuration (measured on our own clock, so clock skew between
// replicas does not matter); the leader renews every retryPeriod and gives up
// leadership if it cannot renew within renewDeadline; on shutdown the leader
// releases the lease so a successor takes over at once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>

#include "kube/client.h"

namespace kube {

struct LeaderElectionConfig {
  std::string lease_namespace;
  std::string lease_name;
  std::string identity;  // unique per replica, e.g. pod name + random suffix
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  bool release_on_cancel = true;
};

struct LeaderCallbacks {
  // Runs on its own thread while we lead; `stop` is requested when
  // leadership is lost or the elector is stopped. Must return promptly then.
  std::function<void(std::stop_token stop)> on_started_leading;
  // Called once after leading ends (lost or released).
  std::function<void()> on_stopped_leading;
  // Called whenever the observed leader changes (including to us).
  std::function<void(const std::string& identity)> on_new_leader;
};

class LeaderElector {
 public:
  LeaderElector(std::shared_ptr<Client> client, LeaderElectionConfig config, LeaderCallbacks callbacks);

  // Campaigns until elected, leads until leadership is lost or stop is
  // requested, then returns (after releasing the lease if configured). Like
  // client-go, it does not campaign again: a replica that lost the lease
  // should exit and restart clean.
  void Run(std::stop_token stop);
  bool IsLeader() const;
  std::string Leader() const;  // last observed holder

  // One attempt to acquire or renew; true if we hold the lease afterwards.
  // Exposed for tests.
  bool TryAcquireOrRenew();

 private:
  bool Release();
  json BuildLease(const json& existing, bool acquiring) const;

  std::shared_ptr<Client> client_;
  const LeaderElectionConfig config_;
  LeaderCallbacks callbacks_;
  mutable std::mutex mu_;  // guards the observed record and leader state
  json observed_spec_;
  std::string observed_rv_;
  SteadyClock::time_point observed_time_{};
  std::string leader_;
  bool is_leader_ = false;
};

}  // namespace kube
