// Status reporting: what one agent pass tells the cluster in
// RdmaNodeState.status. Pure functions of the pass's outcome (its errors,
// waits and phase timings), of what is on the node after it, of the journal
// and of the status already on the object; the Reconciler does the host
// reads and journal writes around them. Kept apart so that the conditions
// matrix and the carry-over rules are tested with plain tables.
//
// The conditions, as kstatus reads them:
//   errors      -> Ready=False, Degraded=True (reason of the first error),
//                  Progressing=True only while something also waits;
//   waiting     -> Ready=False, Progressing=True (WaitingForReboot);
//   rebooted    -> Ready=False, Progressing=True (RebootRequested): the
//                  next pass verifies the firmware;
//   none (done) -> Ready=True, Progressing=False, Degraded=False (Applied).
// lastError: new errors replace it (keeping its time when it is the same
// error again), a done pass clears it, a waiting one keeps it. lastApply: a
// new run when the pass changed something, rebooted or worked on a new
// generation; otherwise the previous one, so an idle node writes nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agent/host/firmware_tool.h"
#include "agent/host/netlink.h"
#include "agent/journal.h"
#include "api/rdma_node_state.h"

namespace agent {

// Degraded reason of errors while applying (api/condition.h has the others).
inline constexpr std::string_view kReasonApplyFailed = "ApplyFailed";
// Ready/Progressing reason right after a reboot the agent asked for.
inline constexpr std::string_view kReasonRebootRequested = "RebootRequested";

// What the apply part of one pass did: filled by the Reconciler as it goes,
// read by ReportStatus.
struct PassOutcome {
  int64_t generation = 0;
  std::string started_at;               // RFC 3339
  std::vector<api::AgentError> errors;  // in the order they happened; time unset
  std::string degraded_reason;          // the reason of the first error
  std::vector<std::string> waiting;     // why the node waits (Progressing)
  std::set<std::string> skip_pfs;       // PFs whose later phases cannot run yet
  bool reboot_required = false;         // firmware needs a reboot to take
  bool rebooted = false;                // a (simulated) reboot returned during the pass
  bool changed = false;                 // the pass changed something on the host
  std::map<std::string, api::ApplyPhase> phases;  // by name (api::kPhase*)

  // Adds `took` to phase `name`. A phase over several PFs reports the worst
  // of their results: Failed > Pending > Succeeded > Skipped.
  void Phase(const std::string& name, std::chrono::steady_clock::duration took, const std::string& result);
  // Records an error; the first one's reason becomes the Degraded reason.
  void AddError(std::string_view reason, const std::string& operation, const std::string& pci,
                const std::string& message);
  // Nothing failed, nothing waits and no reboot is to be verified: the
  // generation is applied.
  bool Done() const { return errors.empty() && waiting.empty() && !rebooted; }
};

// What is on the node after the apply part of a pass.
struct ObservedNode {
  std::vector<api::InterfaceStatus> interfaces;           // from Discovery; firmware unset
  std::map<std::string, host::FirmwareConfig> firmware;   // by PF PCI address; absent when the query failed
  std::optional<host::RdmaNetnsMode> rdma_netns_mode;     // unset when it could not be read
  std::string agent_version;                              // of the agent reporting
};

// The read-back of the GUIDs the journal says this or an earlier pass set:
// one error per PF whose VF (with its netdev on the host) reports a node
// GUID other than the one asked. PFs that failed or were skipped in this
// pass, or that the spec no longer lists, are not checked, nor is anything
// right after a reboot (the next pass applies again first).
std::vector<api::AgentError> VerifyGuids(const PassOutcome& pass, const std::vector<api::InterfaceStatus>& found,
                                         const JournalState& journal, const api::RdmaNodeStateSpec& spec);

// The firmware part of an interface's status: the part number and the
// parameters the agent manages (SRIOV_EN, NUM_OF_VFS, LINK_TYPE_P*), each
// with its Default, Current and Next Boot values as mstconfig prints them.
api::FirmwareStatus ReportFirmware(const host::FirmwareConfig& config);

// The status for this pass (see the top of this file for the rules).
// `previous` is the status on the object; `journal` the journal after the
// pass (its appliedGeneration is reported); `now` is RFC 3339.
api::RdmaNodeStateStatus ReportStatus(const PassOutcome& pass, ObservedNode node, const JournalState& journal,
                                      const std::optional<api::RdmaNodeStateStatus>& previous,
                                      const api::RdmaNodeStateSpec& spec, const std::string& now);

}  // namespace agent
