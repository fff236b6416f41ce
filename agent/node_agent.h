// NodeAgent: the Kubernetes side of rdma-agent. Keeps this node's
// RdmaNodeState (creates it if missing, never touching an existing spec),
// runs the Reconciler whenever something may have changed — the object
// (watch), the host's links (netlink RTNLGRP_LINK events), a retry after an
// error, or a slow resync — and writes status only when it differs from what
// is on the object. Events on state changes (Applied, WaitingForReboot,
// RebootRequested, ApplyFailed, SettingDidNotTake), and Rebooting just before
// the node goes down (AnnouncingRebooter).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>

#include "agent/host/netlink.h"
#include "agent/host/rebooter.h"
#include "agent/reconciler.h"
#include "kube/client.h"
#include "kube/events.h"
#include "kube/metrics.h"

namespace agent {

struct NodeAgentOptions {
  std::string node_name;
  std::chrono::milliseconds resync{std::chrono::minutes(10)};  // safety net, not the mechanism
  std::chrono::milliseconds retry_min{std::chrono::seconds(1)};
  std::chrono::milliseconds retry_max{std::chrono::seconds(60)};
  // Sees the node as each pass does, twice: before applying, with the
  // previous status for this generation and, after a link event, freshly
  // discovered interfaces (so a VF that broke behind the agent's back is
  // seen broken before the pass repairs it); and after, with the status
  // just reported. The device plugin's input.
  std::function<void(const api::RdmaNodeStateSpec&, const api::RdmaNodeStateStatus&)> on_observed;
  // Adds to each pass's status what the Reconciler does not own: rdma-cni's
  // attachments.
  std::function<void(api::RdmaNodeStateStatus&)> complete_status;
};

kube::Resource RdmaNodeStates();

class NodeAgent {
 public:
  // netlink is used for the link-event subscription only.
  NodeAgent(std::shared_ptr<kube::Client> client, Reconciler& reconciler, host::Netlink& netlink,
            NodeAgentOptions options, kube::MetricsRegistry* metrics = nullptr);

  // Runs until stop is requested.
  void Run(std::stop_token stop);
  // Asks for a pass soon (e.g. the attachments changed).
  void Refresh() { Wake(); }
  // True once a status has been written (or found up to date) at least once.
  bool Ready() const { return ready_.load(); }
  // The last word before a reboot (a real one does not return): status
  // syncState InProgress and a Rebooting Event saying why, both sent (or
  // given up on) before this returns. Never fails the reboot.
  void AnnounceReboot(const std::string& reason);

 private:
  void Wake();
  void PumpLinkEvents(std::stop_token stop);
  // Creates the object if missing; the object as it is on the server.
  kube::Result<kube::json> EnsureObject();
  // One pass: reconcile and write status if it changed. Returns false on error.
  bool Pass(const kube::json& obj, bool* run_again);
  void RecordEvent(const kube::json& obj, const api::RdmaNodeStateStatus& before, const api::RdmaNodeStateStatus& after);

  std::shared_ptr<kube::Client> client_;
  Reconciler& reconciler_;
  host::Netlink& netlink_;
  const NodeAgentOptions options_;
  kube::MetricsRegistry* metrics_;
  std::unique_ptr<kube::EventRecorder> events_;
  std::mutex mu_;  // guards dirty_
  std::condition_variable_any cv_;
  bool dirty_ = true;
  std::atomic<bool> ready_{false};
  // A link event came since the last pre-pass discovery (on_observed only):
  // the host may have changed behind the agent's back.
  std::atomic<bool> host_changed_{true};
  // After a status write the informer lags behind: until it shows a newer
  // object than the one written over (stale_rv_), passes use written_.
  std::string stale_rv_;
  kube::json written_;
};

// Announces, then reboots: the Reconciler reboots through this, NodeAgent
// announces (set once both exist; unset, it only reboots).
class AnnouncingRebooter : public host::Rebooter {
 public:
  explicit AnnouncingRebooter(host::Rebooter& inner) : inner_(inner) {}
  void SetAnnounce(std::function<void(const std::string& reason)> announce) { announce_ = std::move(announce); }
  host::Status Reboot(const std::string& reason) override {
    if (announce_) announce_(reason);
    return inner_.Reboot(reason);
  }

 private:
  host::Rebooter& inner_;
  std::function<void(const std::string& reason)> announce_;
};

}  // namespace agent
