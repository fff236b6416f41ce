#include "kube/leader_election.h"

#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "kube/timestamps.h"

namespace kube {

LeaderElector::LeaderElector(std::shared_ptr<Client> client, LeaderElectionConfig config, LeaderCallbacks callbacks)
    : client_(std::move(client)), config_(std::move(config)), callbacks_(std::move(callbacks)) {}

bool LeaderElector::IsLeader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return is_leader_;
}

std::string LeaderElector::Leader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leader_;
}

json LeaderElector::BuildLease(const json& existing, bool acquiring) const {
  json spec = existing.is_object() && existing.contains("spec") ? existing["spec"] : json::object();
  auto now = FormatMicroTime(Clock::now());
  spec["holderIdentity"] = config_.identity;
  spec["leaseDurationSeconds"] =
      std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(config_.lease_duration).count());
  spec["renewTime"] = now;
  if (acquiring) {
    spec["acquireTime"] = now;
    int64_t transitions = spec.value("leaseTransitions", 0);
    // Taking over an existing lease (even a released one) is a transition.
    if (existing.is_object()) ++transitions;
    spec["leaseTransitions"] = transitions;
  }
  json lease = existing.is_object() ? existing : json::object();
  lease["apiVersion"] = "coordination.k8s.io/v1";
  lease["kind"] = "Lease";
  lease["metadata"]["name"] = config_.lease_name;
  lease["metadata"]["namespace"] = config_.lease_namespace;
  lease["spec"] = spec;
  return lease;
}

bool LeaderElector::TryAcquireOrRenew() {
  auto leases = resources::Leases();
  RequestOptions ro;
  ro.timeout = config_.retry_period * 2;
  auto got = client_->Get(leases, config_.lease_namespace, config_.lease_name, ro);
  if (!got.ok() && !IsNotFound(got.error())) {
    spdlog::warn("kube: leader election get lease={}/{} error=\"{}\"", config_.lease_namespace, config_.lease_name,
                 got.error().ToString());
    return false;
  }
  auto now = SteadyClock::now();
  if (!got.ok()) {
    auto created = client_->Create(leases, BuildLease(json(), true), ro);
    if (!created.ok()) return false;
    std::lock_guard<std::mutex> lock(mu_);
    observed_spec_ = (*created)["spec"];
    observed_rv_ = ResourceVersionOf(*created);
    observed_time_ = now;
    leader_ = config_.identity;
    return true;
  }
  json spec = got->value("spec", json::object());
  std::string holder = spec.value("holderIdentity", "");
  bool we_hold = holder == config_.identity;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (spec != observed_spec_) {
      observed_spec_ = spec;
      observed_time_ = now;
    }
    observed_rv_ = ResourceVersionOf(*got);
    if (holder != leader_) {
      leader_ = holder;
      if (callbacks_.on_new_leader && !holder.empty()) callbacks_.on_new_leader(holder);
    }
    // The holder's own leaseDurationSeconds decides how long we must wait.
    auto duration = std::chrono::seconds(spec.value("leaseDurationSeconds", int64_t{0}));
    if (!holder.empty() && !we_hold && observed_time_ + duration > now) return false;
  }
  auto updated = client_->Update(leases, BuildLease(*got, !we_hold), ro);
  if (!updated.ok()) {
    if (!IsConflict(updated.error()))
      spdlog::warn("kube: leader election update lease={}/{} error=\"{}\"", config_.lease_namespace,
                   config_.lease_name, updated.error().ToString());
    return false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  observed_spec_ = (*updated)["spec"];
  observed_rv_ = ResourceVersionOf(*updated);
  observed_time_ = now;
  if (leader_ != config_.identity) {
    leader_ = config_.identity;
    if (callbacks_.on_new_leader) callbacks_.on_new_leader(leader_);
  }
  return true;
}

bool LeaderElector::Release() {
  auto leases = resources::Leases();
  auto got = client_->Get(leases, config_.lease_namespace, config_.lease_name);
  if (!got.ok() || got->value("spec", json::object()).value("holderIdentity", "") != config_.identity) return false;
  json lease = *got;
  lease["spec"]["holderIdentity"] = "";
  lease["spec"]["leaseDurationSeconds"] = 1;
  lease["spec"]["renewTime"] = FormatMicroTime(Clock::now());
  auto r = client_->Update(leases, lease);
  if (!r.ok()) spdlog::warn("kube: leader election release failed error=\"{}\"", r.error().ToString());
  return r.ok();
}

void LeaderElector::Run(std::stop_token stop) {
  std::mt19937_64 rng(std::random_device{}());
  auto jittered = [&] {
    // client-go: retryPeriod * (1 + rand * 1.2)
    double f = 1.0 + std::uniform_real_distribution<double>(0, 1.2)(rng);
    return std::chrono::duration_cast<SteadyClock::duration>(config_.retry_period * f);
  };
  spdlog::info("kube: leader election campaigning lease={}/{} identity={}", config_.lease_namespace,
               config_.lease_name, config_.identity);
  while (!TryAcquireOrRenew()) {
    if (!SleepFor(jittered(), stop)) return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    is_leader_ = true;
  }
  spdlog::info("kube: became leader lease={}/{} identity={}", config_.lease_namespace, config_.lease_name,
               config_.identity);
  std::stop_source leading;
  std::jthread work;
  if (callbacks_.on_started_leading)
    work = std::jthread([this, t = leading.get_token()] { callbacks_.on_started_leading(t); });

  auto last_renew = SteadyClock::now();
  while (SleepFor(config_.retry_period, stop)) {
    if (TryAcquireOrRenew()) {
      last_renew = SteadyClock::now();
      continue;
    }
    if (SteadyClock::now() - last_renew >= config_.renew_deadline) {
      spdlog::error("kube: leadership lost lease={}/{} identity={} (no renewal within {}ms)",
                    config_.lease_namespace, config_.lease_name, config_.identity, config_.renew_deadline.count());
      break;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    is_leader_ = false;
  }
  leading.request_stop();
  if (work.joinable()) work.join();
  if (stop.stop_requested() && config_.release_on_cancel && Release())
    spdlog::info("kube: released leadership lease={}/{} identity={}", config_.lease_namespace, config_.lease_name,
                 config_.identity);
  if (callbacks_.on_stopped_leading) callbacks_.on_stopped_leading();
}

}  // namespace kube
