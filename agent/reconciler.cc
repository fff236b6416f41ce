#include "agent/reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "agent/firmware_plan.h"
#include "agent/guid_assignment.h"
#include "agent/pf_applier.h"
#include "api/condition.h"
#include "api/guid.h"

namespace agent {
namespace {

const char* const kPhases[] = {"Firmware", "Vfs", "Guids", "Link", "Namespace"};
constexpr std::string_view kReasonApplyFailed = "ApplyFailed";
constexpr std::string_view kReasonRebootRequested = "RebootRequested";

// Failed > Pending > Succeeded > Skipped: a phase over several PFs reports
// the worst of them.
int Rank(const std::string& r) {
  if (r == "Failed") return 3;
  if (r == "Pending") return 2;
  if (r == "Succeeded") return 1;
  return 0;
}

}  // namespace

struct Reconciler::Pass {
  int64_t generation = 0;
  std::string boot_id;
  std::string started_at;
  std::vector<api::AgentError> errors;
  std::string degraded_reason;
  std::vector<std::string> waiting;     // why the node waits (Progressing)
  std::set<std::string> skip_pfs;       // PFs whose later phases cannot run yet
  bool reboot_required = false;
  bool rebooted = false;
  bool changed = false;
  std::map<std::string, api::ApplyPhase> phases;
  const std::set<std::string>* already_logged = nullptr;

  void Phase(const std::string& name, std::chrono::steady_clock::duration took, const std::string& result) {
    api::ApplyPhase& p = phases[name];
    p.name = name;
    p.duration_milliseconds += std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
    if (p.result.empty() || Rank(result) > Rank(p.result)) p.result = result;
  }
  void Fail(std::string_view reason, const std::string& operation, const std::string& pci, const std::string& msg) {
    // The same error on every retry is logged once; Reconcile keeps the set.
    if (already_logged && already_logged->count(msg)) {
      spdlog::debug("pf={} op=\"{}\" error=\"{}\" repeated=true", pci, operation, msg);
    } else {
      spdlog::error("pf={} op=\"{}\" error=\"{}\"", pci, operation, msg);
    }
    if (degraded_reason.empty()) degraded_reason = std::string(reason);
    errors.push_back(api::AgentError{"", operation, pci, msg, {}});
  }
};

Reconciler::Reconciler(HostAccess host, Journal& journal, ReconcilerOptions options)
    : host_(host), journal_(journal), options_(std::move(options)) {}

void Reconciler::LoadJournal(Pass& p) {
  if (state_) return;
  auto loaded = journal_.Load();
  if (loaded.ok()) {
    state_ = *loaded;
    return;
  }
  // A journal we cannot read is reported; starting empty is safe because
  // every step checks the host before changing it.
  p.Fail(kReasonApplyFailed, "read journal", "", loaded.error().message + "; starting from an empty journal");
  state_ = JournalState{};
}

void Reconciler::SaveJournal(Pass& p) {
  host::Status st = journal_.Save(*state_);
  if (!st.ok()) p.Fail(kReasonApplyFailed, "write journal", "", st.message());
}

const host::FirmwareConfig* Reconciler::QueryFirmware(const std::string& pci, std::string* error) {
  auto it = firmware_cache_.find(pci);
  if (it != firmware_cache_.end()) return &it->second;
  auto cfg = host_.firmware.Query(pci);
  if (!cfg.ok()) {
    *error = cfg.error().message;
    return nullptr;
  }
  return &(firmware_cache_[pci] = std::move(*cfg));
}

void Reconciler::UndoRemoved(Pass& p, const api::RdmaNodeStateSpec& spec) {
  std::vector<std::string> removed;
  for (const auto& [pci, pf] : state_->pfs) {
    if (!api::FindInterface(spec, pci)) removed.push_back(pci);
  }
  if (removed.empty()) return;
  PfApplier applier(host_.sysfs, host_.netlink, host_.binder, host_.clock, options_.vf_timeout);
  for (const auto& pci : removed) {
    auto t0 = host_.clock.Now();
    StepResult r = applier.SetNumVfs(pci, 0);
    p.Phase("Vfs", host_.clock.Now() - t0, r.status.ok() ? "Succeeded" : "Failed");
    if (!r.status.ok()) {
      p.Fail(kReasonApplyFailed, "undo removed PF", pci, r.status.message());
      continue;
    }
    spdlog::info("pf={} op=undo why=\"no longer in spec\" vfs=0", pci);
    p.changed |= r.changed;
    state_->pfs.erase(pci);
    SaveJournal(p);
  }
}

void Reconciler::Firmware(Pass& p, const api::RdmaNodeStateSpec& spec) {
  std::vector<std::pair<std::string, std::vector<FirmwareMismatch>>> mismatched;
  for (const auto& iface : spec.interfaces) {
    const std::string& pci = iface.pci_address;
    std::vector<FirmwareDesired> desired = DesiredFirmware(iface);
    if (desired.empty()) {
      p.Phase("Firmware", {}, "Skipped");
      continue;
    }
    auto t0 = host_.clock.Now();
    std::string error;
    const host::FirmwareConfig* cfg = QueryFirmware(pci, &error);
    host::Result<FirmwarePlan> plan = cfg ? PlanFirmware(pci, *cfg, desired) : host::Result<FirmwarePlan>(host::Error{error});
    if (plan.ok() && !plan->to_set.empty()) {
      host::Status st = host_.firmware.Set(pci, plan->to_set);
      firmware_cache_.erase(pci);  // Next Boot changed (or may have)
      if (!st.ok()) {
        plan = host::Error{st.message()};
      } else {
        std::string what;
        for (const auto& [k, v] : plan->to_set) what += (what.empty() ? "" : ",") + k + "=" + v;
        spdlog::info("pf={} op=firmware-set values={}", pci, what);
        p.changed = true;
      }
    }
    if (!plan.ok()) {
      p.Phase("Firmware", host_.clock.Now() - t0, "Failed");
      p.Fail(kReasonApplyFailed, "configure firmware", pci, plan.error().message);
      p.skip_pfs.insert(pci);
      continue;
    }
    p.Phase("Firmware", host_.clock.Now() - t0, plan->needs_reboot.empty() ? "Succeeded" : "Pending");
    if (!plan->needs_reboot.empty()) mismatched.emplace_back(pci, plan->needs_reboot);
  }
  if (mismatched.empty()) return;

  const auto& asked = state_->reboot;
  const bool rebooted_for_this = asked && asked->generation == p.generation && asked->boot_id != p.boot_id;
  const bool asked_this_boot = asked && asked->generation == p.generation && asked->boot_id == p.boot_id;
  std::string what;
  for (const auto& [pci, m] : mismatched) what += (what.empty() ? "" : "; ") + pci + ": " + DescribeMismatches(m);
  if (rebooted_for_this) {
    // The reboot for this generation happened and the values are still not
    // Current: report, never reboot again for the same generation.
    for (const auto& [pci, m] : mismatched) {
      p.Fail(api::kReasonSettingDidNotTake, "verify firmware after reboot", pci,
             "firmware setting did not take after the reboot on " + pci + ": " + DescribeMismatches(m) +
                 " (no second reboot for generation " + std::to_string(p.generation) + ")");
    }
    return;
  }
  p.reboot_required = true;
  for (const auto& [pci, m] : mismatched) p.skip_pfs.insert(pci);
  const bool allowed = spec.disruption && spec.disruption->reboot_allowed.value_or(false);
  if (asked_this_boot) {
    p.waiting.push_back("reboot requested for firmware change (" + what + "), waiting for it");
    return;
  }
  if (!allowed) {
    p.waiting.push_back("firmware change waits for a reboot (" + what + "); spec.disruption.rebootAllowed is not set");
    return;
  }
  // Journal first: if the reboot happens, the next agent knows it asked for it.
  state_->reboot = JournalReboot{p.generation, p.boot_id};
  SaveJournal(p);
  spdlog::warn("op=reboot generation={} why=\"firmware change: {}\"", p.generation, what);
  host::Status st = host_.rebooter.Reboot("firmware change for generation " + std::to_string(p.generation) + ": " + what);
  if (!st.ok()) {
    p.Fail(kReasonApplyFailed, "reboot", "", "reboot for firmware change failed: " + st.message());
    return;
  }
  p.rebooted = true;  // a simulated reboot returns; a real one does not
  firmware_cache_.clear();
}

void Reconciler::ApplyPf(Pass& p, const api::InterfaceSpec& iface, bool drained) {
  const std::string& pci = iface.pci_address;
  if (p.skip_pfs.count(pci)) {
    for (const char* ph : {"Vfs", "Guids", "Link"}) p.Phase(ph, {}, "Pending");
    return;
  }
  Discovery discovery(host_.sysfs, &host_.netlink);
  std::vector<std::string> warnings;
  auto pf = discovery.Pf(pci, &warnings, /*with_vfs=*/false);
  if (!pf) {
    p.Phase("Vfs", {}, "Failed");
    p.Fail(kReasonApplyFailed, "find PF", pci, "PF " + pci + " not found on this node (no Mellanox PCI function there)");
    return;
  }
  if (iface.link_type && !pf->link_type.empty() && *iface.link_type != pf->link_type &&
      DesiredFirmware(iface).empty()) {
    p.Fail(kReasonApplyFailed, "check link type", pci,
           "linkType " + *iface.link_type + " wanted but " + pci + " is " + pf->link_type +
               "; changing it needs firmware.managed");
  }
  const int num_vfs = iface.num_vfs.value_or(0);
  // Changing the VF count removes every VF, also those pods use (bound, but
  // their netdev is in the pod's namespace): only on a drained node.
  if (pf->num_vfs != num_vfs && !drained) {
    int in_use = 0;
    auto with_vfs = discovery.Pf(pci, &warnings);
    if (with_vfs) {
      for (const auto& vf : with_vfs->vfs) {
        if (!vf.driver.empty() && vf.name.empty()) ++in_use;
      }
    }
    if (in_use > 0) {
      p.waiting.push_back(pci + ": " + std::to_string(in_use) + " VF(s) in use by pods; changing numVfs from " +
                          std::to_string(pf->num_vfs) + " to " + std::to_string(num_vfs) +
                          " waits for spec.disruption.drained");
      for (const char* ph : {"Vfs", "Guids", "Link"}) p.Phase(ph, {}, "Pending");
      return;
    }
  }
  // GUIDs first (pure), so the journal records them before the host changes.
  std::vector<uint64_t> guids;
  uint64_t pf_guid = api::ParseGuid(pf->node_guid).value_or(0);
  for (int i = 0; i < num_vfs; ++i) {
    auto g = VfGuid(iface.guid_block, pf_guid, i);
    if (!g.ok()) {
      p.Phase("Guids", {}, "Failed");
      p.Fail(kReasonApplyFailed, "assign GUIDs", pci, "assign GUID to VF " + std::to_string(i) + " of " + pci + ": " + g.error().message);
      return;
    }
    guids.push_back(*g);
  }
  JournalPf entry{num_vfs, {}};
  for (uint64_t g : guids) entry.guids.push_back(api::FormatGuid(g));
  if (state_->pfs[pci] != entry) {
    state_->pfs[pci] = entry;
    SaveJournal(p);
  }

  PfApplier applier(host_.sysfs, host_.netlink, host_.binder, host_.clock, options_.vf_timeout);
  auto t0 = host_.clock.Now();
  StepResult r = applier.SetNumVfs(pci, num_vfs);
  p.Phase("Vfs", host_.clock.Now() - t0, r.status.ok() ? "Succeeded" : "Failed");
  p.changed |= r.changed;
  if (!r.status.ok()) {
    p.Fail(kReasonApplyFailed, "create VFs", pci, r.status.message());
    return;
  }
  if (!guids.empty()) {
    t0 = host_.clock.Now();
    r = applier.SetGuids(pci, pf->name, pf->driver, guids);
    p.Phase("Guids", host_.clock.Now() - t0, r.status.ok() ? "Succeeded" : "Failed");
    p.changed |= r.changed;
    if (!r.status.ok()) {
      p.Fail(kReasonApplyFailed, "set VF GUIDs", pci, r.status.message());
      return;
    }
  }
  if (iface.mtu) {
    t0 = host_.clock.Now();
    r = applier.SetMtu(pci, static_cast<uint32_t>(*iface.mtu));
    p.Phase("Link", host_.clock.Now() - t0, r.status.ok() ? "Succeeded" : "Failed");
    p.changed |= r.changed;
    if (!r.status.ok()) p.Fail(kReasonApplyFailed, "set MTU", pci, r.status.message());
  }
}

void Reconciler::Namespace(Pass& p, const api::RdmaNodeStateSpec& spec) {
  if (!spec.rdma_namespace_mode) return;
  auto t0 = host_.clock.Now();
  const bool exclusive = *spec.rdma_namespace_mode == "Exclusive";
  const host::RdmaNetnsMode want = exclusive ? host::RdmaNetnsMode::kExclusive : host::RdmaNetnsMode::kShared;
  auto have = host_.netlink.GetRdmaNetnsMode();
  host::Status st = have.status();
  if (have.ok() && *have != want) {
    st = host_.netlink.SetRdmaNetnsMode(want);
    if (st.ok()) {
      p.changed = true;
      spdlog::info("op=set-rdma-netns-mode mode={}", *spec.rdma_namespace_mode);
    }
  }
  p.Phase("Namespace", host_.clock.Now() - t0, st.ok() ? "Succeeded" : "Failed");
  if (!st.ok()) {
    p.Fail(kReasonApplyFailed, "set RDMA namespace mode", "",
           "set RDMA namespace mode " + *spec.rdma_namespace_mode + ": " + st.message());
  }
}

ReconcileResult Reconciler::Reconcile(int64_t generation, const api::RdmaNodeStateSpec& spec,
                                      const std::optional<api::RdmaNodeStateStatus>& previous,
                                      const api::FieldErrors& read_errors) {
  Pass p;
  p.already_logged = &logged_errors_;
  p.generation = generation;
  p.started_at = api::FormatTimestamp(host_.clock.WallNow());
  auto boot = host_.boot_id.Read();
  p.boot_id = boot.ok() ? *boot : "";
  if (!boot.ok()) spdlog::warn("op=read-boot-id error=\"{}\"", boot.error().message);
  if (p.boot_id != boot_id_) {
    firmware_cache_.clear();  // a new boot: Current values may have changed
    boot_id_ = p.boot_id;
  }
  LoadJournal(p);

  api::RdmaNodeState whole;
  whole.metadata.name = options_.node_name;
  whole.spec = spec;
  api::FieldErrors invalid = read_errors;
  for (auto& e : api::Validate(whole)) invalid.push_back(std::move(e));
  if (!invalid.empty()) {
    p.Fail(api::kReasonInvalidSpec, "validate spec", "", "invalid spec: " + api::Summarize(invalid));
  } else {
    UndoRemoved(p, spec);
    Firmware(p, spec);
    if (!p.rebooted) {
      const bool drained = spec.disruption && spec.disruption->drained.value_or(false);
      for (const auto& iface : spec.interfaces) ApplyPf(p, iface, drained);
      Namespace(p, spec);
    }
  }

  ReconcileResult out;
  out.rebooted = p.rebooted;
  api::RdmaNodeStateStatus& s = out.status;
  const std::string now = api::FormatTimestamp(host_.clock.WallNow());

  // What is on the node now.
  const auto discover_start = host_.clock.Now();
  Discovered found = Discovery(host_.sysfs, &host_.netlink).Run();
  spdlog::debug("op=discover took_ms={}", std::chrono::duration_cast<std::chrono::milliseconds>(host_.clock.Now() - discover_start).count());
  for (const auto& w : found.warnings) spdlog::debug("op=discover warning=\"{}\"", w);
  for (auto& iface : found.interfaces) {
    std::string error;
    if (const host::FirmwareConfig* cfg = QueryFirmware(iface.pci_address, &error)) {
      api::FirmwareStatus fw;
      fw.part_number = cfg->name;
      for (const auto& prm : cfg->params) {
        if (prm.name != "SRIOV_EN" && prm.name != "NUM_OF_VFS" && prm.name.rfind("LINK_TYPE_P", 0) != 0) continue;
        fw.parameters.push_back({prm.name, prm.default_value ? prm.default_value->raw : "",
                                 prm.current ? prm.current->raw : "", prm.next_boot.raw, {}});
      }
      iface.firmware = fw;
    } else {
      spdlog::debug("pf={} op=query-firmware error=\"{}\"", iface.pci_address, error);
    }
    s.vf_count += static_cast<int32_t>(iface.vfs.size());
  }
  // Read-back of the GUIDs set by this or an earlier pass: what the driver
  // reports must be what was asked.
  if (!p.rebooted) {
    for (const auto& iface : found.interfaces) {
      auto j = state_->pfs.find(iface.pci_address);
      const bool failed = std::any_of(p.errors.begin(), p.errors.end(),
                                      [&](const api::AgentError& e) { return e.interface == iface.pci_address; });
      if (j == state_->pfs.end() || failed || p.skip_pfs.count(iface.pci_address) ||
          !api::FindInterface(spec, iface.pci_address)) {
        continue;
      }
      for (const auto& vf : iface.vfs) {
        if (vf.index < 0 || static_cast<size_t>(vf.index) >= j->second.guids.size() || vf.name.empty()) continue;
        const std::string& want = j->second.guids[static_cast<size_t>(vf.index)];
        if (vf.node_guid != want) {
          p.Fail(kReasonApplyFailed, "verify VF GUIDs", iface.pci_address,
                 "verify GUID of VF " + std::to_string(vf.index) + " of " + iface.pci_address + ": node GUID reads " +
                     (vf.node_guid.empty() ? "nothing" : vf.node_guid) + " after rebind, expected " + want);
          break;
        }
      }
    }
  }
  s.interfaces = std::move(found.interfaces);
  if (auto mode = host_.netlink.GetRdmaNetnsMode(); mode.ok()) {
    s.rdma_namespace_mode = *mode == host::RdmaNetnsMode::kExclusive ? "Exclusive" : "Shared";
  }
  s.agent_version = options_.agent_version;
  s.observed_generation = generation;
  s.reboot_required = p.reboot_required;

  const bool done = p.errors.empty() && p.waiting.empty() && !p.rebooted;
  if (done && state_->applied_generation != generation) {
    state_->applied_generation = generation;
    SaveJournal(p);
    spdlog::info("op=applied generation={} vfs={}", generation, s.vf_count);
  }
  s.applied_generation = state_->applied_generation;
  s.sync_state = !p.errors.empty() ? api::kSyncFailed
                 : !p.waiting.empty() ? api::kSyncPending
                 : p.rebooted         ? api::kSyncInProgress
                                      : api::kSyncSucceeded;

  // Last error: new errors replace it (keeping its time if it is the same
  // error again), success clears it, waiting keeps it.
  if (!p.errors.empty()) {
    api::AgentError e = p.errors.front();
    if (e.message.empty()) e.message = e.operation;
    const bool same = previous && previous->last_error && previous->last_error->message == e.message &&
                      previous->last_error->interface == e.interface;
    e.time = same ? previous->last_error->time : now;
    s.last_error = e;
  } else if (!done && previous) {
    s.last_error = previous->last_error;
  }

  // Last apply run: a new one when this pass changed something or worked
  // on a new generation; otherwise unchanged, so an idle node writes nothing.
  const bool new_run = p.changed || p.rebooted || !previous || !previous->last_apply ||
                       previous->last_apply->generation != generation;
  if (new_run) {
    api::ApplyRun run;
    run.generation = generation;
    run.started_at = p.started_at;
    run.finished_at = now;
    for (const char* name : kPhases) {
      auto it = p.phases.find(name);
      if (it != p.phases.end()) run.phases.push_back(it->second);
    }
    s.last_apply = run;
  } else {
    s.last_apply = previous->last_apply;
  }

  // Conditions, as kstatus reads them.
  if (previous) s.conditions = previous->conditions;
  std::string summary = std::to_string(spec.interfaces.size()) + " PF(s) configured, " + std::to_string(s.vf_count) + " VF(s)";
  auto set = [&](std::string_view type, bool on, std::string_view reason, const std::string& message) {
    api::Condition c;
    c.type = std::string(type);
    c.status = std::string(on ? api::kConditionTrue : api::kConditionFalse);
    c.observed_generation = generation;
    c.reason = std::string(reason);
    c.message = message;
    api::SetCondition(&s.conditions, c, now);
  };
  std::string waiting;
  for (const auto& w : p.waiting) waiting += (waiting.empty() ? "" : "; ") + w;
  std::string error_text;
  for (const auto& e : p.errors) error_text += (error_text.empty() ? "" : "; ") + e.message;
  if (!p.errors.empty()) {
    set(api::kConditionReady, false, p.degraded_reason, error_text);
    set(api::kConditionProgressing, !p.waiting.empty(), p.waiting.empty() ? p.degraded_reason : api::kReasonWaitingForReboot,
        p.waiting.empty() ? "stopped: see Degraded" : waiting);
    set(api::kConditionDegraded, true, p.degraded_reason, error_text);
  } else if (!p.waiting.empty()) {
    set(api::kConditionReady, false, api::kReasonWaitingForReboot, waiting);
    set(api::kConditionProgressing, true, api::kReasonWaitingForReboot, waiting);
    set(api::kConditionDegraded, false, api::kReasonApplying, "no errors");
  } else if (p.rebooted) {
    set(api::kConditionReady, false, kReasonRebootRequested, "rebooted for a firmware change; verifying");
    set(api::kConditionProgressing, true, kReasonRebootRequested, "rebooted for a firmware change; verifying");
    set(api::kConditionDegraded, false, api::kReasonApplying, "no errors");
  } else {
    set(api::kConditionReady, true, api::kReasonApplied, summary);
    set(api::kConditionProgressing, false, api::kReasonApplied, summary);
    set(api::kConditionDegraded, false, api::kReasonApplied, "no errors");
  }
  logged_errors_.clear();
  for (const auto& e : p.errors) logged_errors_.insert(e.message);
  return out;
}

}  // namespace agent
