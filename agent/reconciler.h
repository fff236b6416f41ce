// Reconciler: one pass of the agent — bring the node towards
// RdmaNodeState.spec as far as allowed, then report what is there.
//
// Level-based and idempotent: it reads the host and the journal each time
// and changes only what differs, so it can run after any crash, restart or
// reboot and converge. Order within a pass:
//   0. undo PFs the journal has but the spec no longer lists (VFs to 0);
//   1. Firmware of every managed PF (set what differs; reboot when Current
//      differs and the spec grants it — once per generation; after that
//      reboot, values that did not take make the node Degraded);
//   2. Vfs, 3. Guids, 4. Link (MTU) per PF, 5. Namespace (RDMA netns mode);
//      a VF count change that would remove VFs pods use waits for
//      spec.disruption.drained;
//   then discovery, and the status built from all of it by the pure
//   ReportStatus (status_report.h: conditions Ready/Progressing/Degraded,
//   phase timings, the last error).
// No Kubernetes here: the NodeAgent feeds specs in and writes statuses out.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/discovery.h"
#include "agent/host/boot_id.h"
#include "agent/host/clock.h"
#include "agent/host/driver_binder.h"
#include "agent/host/firmware_tool.h"
#include "agent/host/netlink.h"
#include "agent/host/rebooter.h"
#include "agent/host/sysfs.h"
#include "agent/journal.h"
#include "agent/status_report.h"
#include "api/rdma_node_state.h"

namespace agent {

// Every host effect the agent has, injected (real ones in main, fakes or a
// SimulatedNode in tests).
struct HostAccess {
  host::Sysfs& sysfs;
  host::Netlink& netlink;
  host::FirmwareTool& firmware;
  host::DriverBinder& binder;
  host::Rebooter& rebooter;
  host::BootId& boot_id;
  host::Clock& clock;
};

struct ReconcilerOptions {
  std::chrono::milliseconds vf_timeout{30000};  // bound on waiting for VF netdevs
  std::string agent_version = "dev";
  std::string node_name = "node";  // the RdmaNodeState's name, for spec validation
};

// What one pass gives the NodeAgent (not kube::ReconcileResult, the
// controller loop's requeue decision).
struct PassResult {
  api::RdmaNodeStateStatus status;
  bool rebooted = false;  // a (simulated) reboot returned: run again at once
};

class Reconciler {
 public:
  Reconciler(HostAccess host, Journal& journal, ReconcilerOptions options = {});

  // One pass for spec `generation`. `previous` is the status currently on
  // the object (conditions keep their transition times, lastError and
  // lastApply carry over when nothing new happened).
  // `read_errors` are fields of the object that had the wrong JSON type:
  // the spec is then treated as invalid (nothing is applied).
  PassResult Reconcile(int64_t generation, const api::RdmaNodeStateSpec& spec,
                       const std::optional<api::RdmaNodeStateStatus>& previous,
                       const api::FieldErrors& read_errors = {});
  // What discovery sees now, without applying anything.
  Discovered Discover();

 private:
  struct Pass;  // a PassOutcome plus what only applying needs (reconciler.cc)

  void LoadJournal(Pass& p);
  void SaveJournal(Pass& p);
  void UndoRemoved(Pass& p, const api::RdmaNodeStateSpec& spec);
  void Firmware(Pass& p, const api::RdmaNodeStateSpec& spec);
  void ApplyPf(Pass& p, const api::InterfaceSpec& spec, bool drained);
  void Namespace(Pass& p, const api::RdmaNodeStateSpec& spec);
  ObservedNode Observe();  // discovery, firmware and RDMA netns mode after applying
  const host::FirmwareConfig* QueryFirmware(const std::string& pci, std::string* error);

  HostAccess host_;
  Journal& journal_;
  ReconcilerOptions options_;
  std::optional<JournalState> state_;  // loaded once; saved after each change
  std::string boot_id_;                // boot the firmware cache belongs to
  std::map<std::string, host::FirmwareConfig> firmware_cache_;  // by PF PCI address; a query takes seconds
  std::set<std::string> logged_errors_;  // errors of the last pass: logged at error level once, not every retry
};

}  // namespace agent
