#include "agent/status_report.h"

#include <algorithm>
#include <utility>

#include "api/condition.h"

namespace agent {
namespace {

// Failed > Pending > Succeeded > Skipped.
int Rank(const std::string& result) {
  if (result == api::kPhaseResultFailed) return 3;
  if (result == api::kPhaseResultPending) return 2;
  if (result == api::kPhaseResultSucceeded) return 1;
  return 0;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

void PassOutcome::Phase(const std::string& name, std::chrono::steady_clock::duration took,
                        const std::string& result) {
  api::ApplyPhase& p = phases[name];
  p.name = name;
  p.duration_milliseconds += std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
  if (p.result.empty() || Rank(result) > Rank(p.result)) p.result = result;
}

void PassOutcome::AddError(std::string_view reason, const std::string& operation, const std::string& pci,
                           const std::string& message) {
  if (degraded_reason.empty()) degraded_reason = std::string(reason);
  errors.push_back(api::AgentError{"", operation, pci, message, {}});
}

std::vector<api::AgentError> VerifyGuids(const PassOutcome& pass, const std::vector<api::InterfaceStatus>& found,
                                         const JournalState& journal, const api::RdmaNodeStateSpec& spec) {
  std::vector<api::AgentError> out;
  if (pass.rebooted) return out;
  for (const auto& iface : found) {
    auto j = journal.pfs.find(iface.pci_address);
    const bool failed = std::any_of(pass.errors.begin(), pass.errors.end(),
                                    [&](const api::AgentError& e) { return e.interface == iface.pci_address; });
    if (j == journal.pfs.end() || failed || pass.skip_pfs.count(iface.pci_address) ||
        !api::FindInterface(spec, iface.pci_address)) {
      continue;
    }
    for (const auto& vf : iface.vfs) {
      // A VF without a netdev here is in a pod's namespace: not ours to check.
      if (vf.index < 0 || static_cast<size_t>(vf.index) >= j->second.guids.size() || vf.name.empty()) continue;
      const std::string& want = j->second.guids[static_cast<size_t>(vf.index)];
      if (vf.node_guid != want) {
        out.push_back(api::AgentError{
            "", "verify VF GUIDs", iface.pci_address,
            "verify GUID of VF " + std::to_string(vf.index) + " of " + iface.pci_address + ": node GUID reads " +
                (vf.node_guid.empty() ? "nothing" : vf.node_guid) + " after rebind, expected " + want,
            {}});
        break;
      }
    }
  }
  return out;
}

api::FirmwareStatus ReportFirmware(const host::FirmwareConfig& config) {
  api::FirmwareStatus fw;
  fw.part_number = config.name;
  for (const auto& prm : config.params) {
    if (prm.name != "SRIOV_EN" && prm.name != "NUM_OF_VFS" && prm.name.rfind("LINK_TYPE_P", 0) != 0) continue;
    fw.parameters.push_back({prm.name, prm.default_value ? prm.default_value->raw : "",
                             prm.current ? prm.current->raw : "", prm.next_boot.raw, {}});
  }
  return fw;
}

api::RdmaNodeStateStatus ReportStatus(const PassOutcome& pass, ObservedNode node, const JournalState& journal,
                                      const std::optional<api::RdmaNodeStateStatus>& previous,
                                      const api::RdmaNodeStateSpec& spec, const std::string& now) {
  api::RdmaNodeStateStatus s;
  const int64_t generation = pass.generation;

  // What is on the node now.
  for (auto& iface : node.interfaces) {
    if (auto fw = node.firmware.find(iface.pci_address); fw != node.firmware.end()) {
      iface.firmware = ReportFirmware(fw->second);
    }
    s.vf_count += static_cast<int32_t>(iface.vfs.size());
  }
  s.interfaces = std::move(node.interfaces);
  if (node.rdma_netns_mode) {
    s.rdma_namespace_mode = *node.rdma_netns_mode == host::RdmaNetnsMode::kExclusive ? api::kRdmaNamespaceExclusive
                                                                                 : api::kRdmaNamespaceShared;
  }
  s.agent_version = node.agent_version;
  s.observed_generation = generation;
  s.reboot_required = pass.reboot_required;
  s.applied_generation = journal.applied_generation;
  s.sync_state = !pass.errors.empty()  ? api::kSyncFailed
                 : !pass.waiting.empty() ? api::kSyncPending
                 : pass.rebooted         ? api::kSyncInProgress
                                         : api::kSyncSucceeded;

  // Last error: new errors replace it (keeping its time if it is the same
  // error again), success clears it, waiting keeps it.
  if (!pass.errors.empty()) {
    api::AgentError e = pass.errors.front();
    if (e.message.empty()) e.message = e.operation;
    const bool same = previous && previous->last_error && previous->last_error->message == e.message &&
                      previous->last_error->interface == e.interface;
    e.time = same ? previous->last_error->time : now;
    s.last_error = e;
  } else if (!pass.Done() && previous) {
    s.last_error = previous->last_error;
  }

  // Last apply run: a new one when this pass changed something or worked
  // on a new generation; otherwise unchanged, so an idle node writes nothing.
  const bool new_run = pass.changed || pass.rebooted || !previous || !previous->last_apply ||
                       previous->last_apply->generation != generation;
  if (new_run) {
    api::ApplyRun run;
    run.generation = generation;
    run.started_at = pass.started_at;
    run.finished_at = now;
    for (const char* name : api::kPhaseOrder) {
      auto it = pass.phases.find(name);
      if (it != pass.phases.end()) run.phases.push_back(it->second);
    }
    s.last_apply = run;
  } else {
    s.last_apply = previous->last_apply;
  }

  // Conditions, as kstatus reads them; they keep their transition times.
  if (previous) s.conditions = previous->conditions;
  const std::string summary = std::to_string(spec.interfaces.size()) + " PF(s) configured, " +
                              std::to_string(s.vf_count) + " VF(s)";
  auto set = [&](std::string_view type, bool on, std::string_view reason, const std::string& message) {
    api::Condition c;
    c.type = std::string(type);
    c.status = std::string(on ? api::kConditionTrue : api::kConditionFalse);
    c.observed_generation = generation;
    c.reason = std::string(reason);
    c.message = message;
    api::SetCondition(&s.conditions, c, now);
  };
  const std::string waiting = Join(pass.waiting);
  std::vector<std::string> messages;
  for (const auto& e : pass.errors) messages.push_back(e.message);
  const std::string error_text = Join(messages);
  if (!pass.errors.empty()) {
    set(api::kConditionReady, false, pass.degraded_reason, error_text);
    set(api::kConditionProgressing, !pass.waiting.empty(),
        pass.waiting.empty() ? pass.degraded_reason : std::string(api::kReasonWaitingForReboot),
        pass.waiting.empty() ? "stopped: see Degraded" : waiting);
    set(api::kConditionDegraded, true, pass.degraded_reason, error_text);
  } else if (!pass.waiting.empty()) {
    set(api::kConditionReady, false, api::kReasonWaitingForReboot, waiting);
    set(api::kConditionProgressing, true, api::kReasonWaitingForReboot, waiting);
    set(api::kConditionDegraded, false, api::kReasonApplying, "no errors");
  } else if (pass.rebooted) {
    set(api::kConditionReady, false, kReasonRebootRequested, "rebooted for a firmware change; verifying");
    set(api::kConditionProgressing, true, kReasonRebootRequested, "rebooted for a firmware change; verifying");
    set(api::kConditionDegraded, false, api::kReasonApplying, "no errors");
  } else {
    set(api::kConditionReady, true, api::kReasonApplied, summary);
    set(api::kConditionProgressing, false, api::kReasonApplied, summary);
    set(api::kConditionDegraded, false, api::kReasonApplied, "no errors");
  }
  return s;
}

}  // namespace agent
