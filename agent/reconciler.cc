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

const char* SucceededIf(bool ok) { return ok ? api::kPhaseResultSucceeded : api::kPhaseResultFailed; }

}  // namespace

// PassOutcome plus what only the Reconciler needs while it applies.
struct Reconciler::Pass : PassOutcome {
  std::string boot_id;
  const std::set<std::string>* already_logged = nullptr;

  void Fail(std::string_view reason, const std::string& operation, const std::string& pci, const std::string& msg) {
    // The same error on every retry is logged once; Reconcile keeps the set.
    if (already_logged && already_logged->count(msg)) {
      spdlog::debug("pf={} op=\"{}\" error=\"{}\" repeated=true", pci, operation, msg);
    } else {
      spdlog::error("pf={} op=\"{}\" error=\"{}\"", pci, operation, msg);
    }
    AddError(reason, operation, pci, msg);
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
    p.Phase(api::kPhaseVfs, host_.clock.Now() - t0, SucceededIf(r.status.ok()));
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
      p.Phase(api::kPhaseFirmware, {}, api::kPhaseResultSkipped);
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
      p.Phase(api::kPhaseFirmware, host_.clock.Now() - t0, api::kPhaseResultFailed);
      p.Fail(kReasonApplyFailed, "configure firmware", pci, plan.error().message);
      p.skip_pfs.insert(pci);
      continue;
    }
    p.Phase(api::kPhaseFirmware, host_.clock.Now() - t0,
            plan->needs_reboot.empty() ? api::kPhaseResultSucceeded : api::kPhaseResultPending);
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
    for (const char* ph : {api::kPhaseVfs, api::kPhaseGuids, api::kPhaseLink}) {
      p.Phase(ph, {}, api::kPhaseResultPending);
    }
    return;
  }
  Discovery discovery(host_.sysfs, &host_.netlink);
  std::vector<std::string> warnings;
  auto pf = discovery.Pf(pci, &warnings, /*with_vfs=*/false);
  if (!pf) {
    p.Phase(api::kPhaseVfs, {}, api::kPhaseResultFailed);
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
      for (const char* ph : {api::kPhaseVfs, api::kPhaseGuids, api::kPhaseLink}) {
        p.Phase(ph, {}, api::kPhaseResultPending);
      }
      return;
    }
  }
  // GUIDs first (pure), so the journal records them before the host changes.
  std::vector<uint64_t> guids;
  uint64_t pf_guid = api::ParseGuid(pf->node_guid).value_or(0);
  for (int i = 0; i < num_vfs; ++i) {
    auto g = VfGuid(iface.guid_block, pf_guid, i);
    if (!g.ok()) {
      p.Phase(api::kPhaseGuids, {}, api::kPhaseResultFailed);
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
  p.Phase(api::kPhaseVfs, host_.clock.Now() - t0, SucceededIf(r.status.ok()));
  p.changed |= r.changed;
  if (!r.status.ok()) {
    p.Fail(kReasonApplyFailed, "create VFs", pci, r.status.message());
    return;
  }
  if (!guids.empty()) {
    t0 = host_.clock.Now();
    r = applier.SetGuids(pci, pf->name, pf->driver, guids);
    p.Phase(api::kPhaseGuids, host_.clock.Now() - t0, SucceededIf(r.status.ok()));
    p.changed |= r.changed;
    if (!r.status.ok()) {
      p.Fail(kReasonApplyFailed, "set VF GUIDs", pci, r.status.message());
      return;
    }
  }
  if (iface.mtu) {
    t0 = host_.clock.Now();
    r = applier.SetMtu(pci, static_cast<uint32_t>(*iface.mtu));
    p.Phase(api::kPhaseLink, host_.clock.Now() - t0, SucceededIf(r.status.ok()));
    p.changed |= r.changed;
    if (!r.status.ok()) p.Fail(kReasonApplyFailed, "set MTU", pci, r.status.message());
  }
}

void Reconciler::Namespace(Pass& p, const api::RdmaNodeStateSpec& spec) {
  if (!spec.rdma_namespace_mode) return;
  auto t0 = host_.clock.Now();
  const bool exclusive = *spec.rdma_namespace_mode == api::kRdmaNamespaceExclusive;
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
  p.Phase(api::kPhaseNamespace, host_.clock.Now() - t0, SucceededIf(st.ok()));
  if (!st.ok()) {
    p.Fail(kReasonApplyFailed, "set RDMA namespace mode", "",
           "set RDMA namespace mode " + *spec.rdma_namespace_mode + ": " + st.message());
  }
}

Discovered Reconciler::Discover() { return Discovery(host_.sysfs, &host_.netlink).Run(); }

ObservedNode Reconciler::Observe() {
  ObservedNode node;
  const auto discover_start = host_.clock.Now();
  Discovered found = Discovery(host_.sysfs, &host_.netlink).Run();
  spdlog::debug("op=discover took_ms={}",
                std::chrono::duration_cast<std::chrono::milliseconds>(host_.clock.Now() - discover_start).count());
  for (const auto& w : found.warnings) spdlog::debug("op=discover warning=\"{}\"", w);
  for (const auto& iface : found.interfaces) {
    std::string error;
    if (const host::FirmwareConfig* cfg = QueryFirmware(iface.pci_address, &error)) {
      node.firmware.emplace(iface.pci_address, *cfg);
    } else {
      spdlog::debug("pf={} op=query-firmware error=\"{}\"", iface.pci_address, error);
    }
  }
  node.interfaces = std::move(found.interfaces);
  if (auto mode = host_.netlink.GetRdmaNetnsMode(); mode.ok()) node.rdma_netns_mode = *mode;
  node.agent_version = options_.agent_version;
  return node;
}

PassResult Reconciler::Reconcile(int64_t generation, const api::RdmaNodeStateSpec& spec,
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

  const std::string now = api::FormatTimestamp(host_.clock.WallNow());
  ObservedNode node = Observe();
  for (const auto& e : VerifyGuids(p, node.interfaces, *state_, spec)) {
    p.Fail(kReasonApplyFailed, e.operation, e.interface, e.message);
  }
  const bool newly_applied = p.Done() && state_->applied_generation != generation;
  if (newly_applied) {
    state_->applied_generation = generation;
    SaveJournal(p);
  }

  PassResult out;
  out.rebooted = p.rebooted;
  out.status = ReportStatus(p, std::move(node), *state_, previous, spec, now);
  if (newly_applied) spdlog::info("op=applied generation={} vfs={}", generation, out.status.vf_count);
  logged_errors_.clear();
  for (const auto& e : p.errors) logged_errors_.insert(e.message);
  return out;
}

}  // namespace agent
