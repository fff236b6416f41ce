// ReportStatus and VerifyGuids as plain tables: what a user reads in
// RdmaNodeState.status after a pass with these errors, waits and reboots,
// given the status already on the object. No host, no simulator.
#include "agent/status_report.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/condition.h"

namespace api {
// Readable failure messages for the lastError table.
void PrintTo(const AgentError& e, std::ostream* os) {
  *os << "{time=" << e.time << " operation=" << e.operation << " interface=" << e.interface
      << " message=" << e.message << "}";
}
}  // namespace api

namespace agent {
namespace {

const char kPf[] = "0000:41:00.0";
const char kOtherPf[] = "0000:42:00.0";
const char kStarted[] = "2026-11-25T10:00:00Z";
const char kEarlier[] = "2026-11-25T09:00:00Z";
const char kNow[] = "2026-11-25T10:00:05Z";
const char kError[] = "set sriov_numvfs=4 on 0000:41:00.0: device busy";
const char kWait[] = "firmware change waits for a reboot (0000:41:00.0: NUM_OF_VFS 8 -> 4)";

api::VfStatus Vf(int index, const std::string& name, const std::string& node_guid) {
  api::VfStatus vf;
  vf.index = index;
  vf.name = name;
  vf.node_guid = node_guid;
  return vf;
}

api::InterfaceStatus Interface(const std::string& pci, std::vector<api::VfStatus> vfs) {
  api::InterfaceStatus i;
  i.pci_address = pci;
  i.vfs = std::move(vfs);
  return i;
}

api::RdmaNodeStateSpec Spec(std::vector<std::string> pfs = {kPf}) {
  api::RdmaNodeStateSpec spec;
  for (const auto& pci : pfs) {
    api::InterfaceSpec i;
    i.pci_address = pci;
    i.num_vfs = 2;
    spec.interfaces.push_back(i);
  }
  return spec;
}

ObservedNode Node() {
  ObservedNode node;
  node.interfaces.push_back(Interface(kPf, {Vf(0, "enp65s0f0v0", ""), Vf(1, "enp65s0f0v1", "")}));
  node.agent_version = "0.1.0";
  return node;
}

PassOutcome Outcome(bool error, bool waiting, bool rebooted, int64_t generation = 3) {
  PassOutcome p;
  p.generation = generation;
  p.started_at = kStarted;
  if (error) p.AddError(kReasonApplyFailed, "create VFs", kPf, kError);
  if (waiting) p.waiting.push_back(kWait);
  p.rebooted = rebooted;
  return p;
}

api::RdmaNodeStateStatus Report(const PassOutcome& pass, const std::optional<api::RdmaNodeStateStatus>& previous = {},
                                ObservedNode node = Node(), JournalState journal = {}) {
  return ReportStatus(pass, std::move(node), journal, previous, Spec(), kNow);
}

const api::Condition& Cond(const api::RdmaNodeStateStatus& s, std::string_view type) {
  const api::Condition* c = api::FindCondition(s.conditions, type);
  if (!c) throw std::runtime_error("no condition " + std::string(type));
  return *c;
}

std::string Status(bool on) { return std::string(on ? api::kConditionTrue : api::kConditionFalse); }

// ---- the conditions matrix: errors x waiting x rebooted (none of them: done) ----

struct ConditionsCase {
  const char* name;
  bool error, waiting, rebooted;
  const char* sync_state;
  bool ready;
  std::string_view ready_reason;
  std::string ready_message;
  bool progressing;
  std::string_view progressing_reason;
  std::string progressing_message;
  bool degraded;
  std::string_view degraded_reason;
  std::string degraded_message;
};

TEST(ReportStatusTest, ConditionsFollowErrorsThenWaitsThenTheRebootThenDone) {
  const std::string rebooting = "rebooted for a firmware change; verifying";
  const std::string applied = "1 PF(s) configured, 2 VF(s)";
  const ConditionsCase cases[] = {
      {"error", true, false, false, api::kSyncFailed, false, kReasonApplyFailed, kError, false, kReasonApplyFailed,
       "stopped: see Degraded", true, kReasonApplyFailed, kError},
      {"error while waiting", true, true, false, api::kSyncFailed, false, kReasonApplyFailed, kError, true,
       api::kReasonWaitingForReboot, kWait, true, kReasonApplyFailed, kError},
      {"error after a reboot", true, false, true, api::kSyncFailed, false, kReasonApplyFailed, kError, false,
       kReasonApplyFailed, "stopped: see Degraded", true, kReasonApplyFailed, kError},
      {"error while waiting after a reboot", true, true, true, api::kSyncFailed, false, kReasonApplyFailed, kError,
       true, api::kReasonWaitingForReboot, kWait, true, kReasonApplyFailed, kError},
      {"waiting", false, true, false, api::kSyncPending, false, api::kReasonWaitingForReboot, kWait, true,
       api::kReasonWaitingForReboot, kWait, false, api::kReasonApplying, "no errors"},
      {"waiting after a reboot", false, true, true, api::kSyncPending, false, api::kReasonWaitingForReboot, kWait,
       true, api::kReasonWaitingForReboot, kWait, false, api::kReasonApplying, "no errors"},
      {"rebooted", false, false, true, api::kSyncInProgress, false, kReasonRebootRequested, rebooting, true,
       kReasonRebootRequested, rebooting, false, api::kReasonApplying, "no errors"},
      {"done", false, false, false, api::kSyncSucceeded, true, api::kReasonApplied, applied, false,
       api::kReasonApplied, applied, false, api::kReasonApplied, "no errors"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    api::RdmaNodeStateStatus s = Report(Outcome(c.error, c.waiting, c.rebooted));
    EXPECT_EQ(s.sync_state, c.sync_state);
    const api::Condition& ready = Cond(s, api::kConditionReady);
    EXPECT_EQ(ready.status, Status(c.ready));
    EXPECT_EQ(ready.reason, c.ready_reason);
    EXPECT_EQ(ready.message, c.ready_message);
    const api::Condition& progressing = Cond(s, api::kConditionProgressing);
    EXPECT_EQ(progressing.status, Status(c.progressing));
    EXPECT_EQ(progressing.reason, c.progressing_reason);
    EXPECT_EQ(progressing.message, c.progressing_message);
    const api::Condition& degraded = Cond(s, api::kConditionDegraded);
    EXPECT_EQ(degraded.status, Status(c.degraded));
    EXPECT_EQ(degraded.reason, c.degraded_reason);
    EXPECT_EQ(degraded.message, c.degraded_message);
    for (const auto& cond : s.conditions) {
      EXPECT_EQ(cond.observed_generation, 3) << cond.type;
      EXPECT_EQ(cond.last_transition_time, kNow) << cond.type;
    }
  }
}

TEST(ReportStatusTest, SeveralErrorsAndWaitsAreJoinedAndTheFirstErrorNamesTheReason) {
  PassOutcome p = Outcome(false, false, false);
  p.AddError(api::kReasonSettingDidNotTake, "verify firmware after reboot", kPf, "NUM_OF_VFS did not take");
  p.AddError(kReasonApplyFailed, "set MTU", kOtherPf, "MTU 9000 refused");
  p.waiting = {"first wait", "second wait"};
  api::RdmaNodeStateStatus s = Report(p);
  EXPECT_EQ(Cond(s, api::kConditionDegraded).reason, api::kReasonSettingDidNotTake);
  EXPECT_EQ(Cond(s, api::kConditionDegraded).message, "NUM_OF_VFS did not take; MTU 9000 refused");
  EXPECT_EQ(Cond(s, api::kConditionReady).reason, api::kReasonSettingDidNotTake);
  EXPECT_EQ(Cond(s, api::kConditionProgressing).message, "first wait; second wait");
  ASSERT_TRUE(s.last_error);
  EXPECT_EQ(s.last_error->operation, "verify firmware after reboot");
  EXPECT_EQ(s.last_error->interface, kPf);
}

TEST(ReportStatusTest, ConditionsKeepTheirTransitionTimeWhileTheirStatusHolds) {
  api::RdmaNodeStateStatus previous = Report(Outcome(false, false, false));
  for (auto& c : previous.conditions) c.last_transition_time = kEarlier;

  api::RdmaNodeStateStatus again = ReportStatus(Outcome(false, false, false, 4), Node(), {}, previous, Spec(), kNow);
  for (const auto& c : again.conditions) {
    EXPECT_EQ(c.last_transition_time, kEarlier) << c.type;
    EXPECT_EQ(c.observed_generation, 4) << c.type;
  }

  api::RdmaNodeStateStatus failed = Report(Outcome(true, false, false), previous);
  EXPECT_EQ(Cond(failed, api::kConditionReady).last_transition_time, kNow);
  EXPECT_EQ(Cond(failed, api::kConditionDegraded).last_transition_time, kNow);
  EXPECT_EQ(Cond(failed, api::kConditionProgressing).last_transition_time, kEarlier);  // False before and after
}

// ---- lastError ----

struct LastErrorCase {
  const char* name;
  std::optional<api::AgentError> previous;  // on the object before the pass
  bool has_previous_status;
  std::vector<api::AgentError> errors;  // of this pass
  bool waiting, rebooted;
  std::optional<api::AgentError> want;
};

TEST(ReportStatusTest, LastErrorIsReplacedByNewErrorsKeptWhileWaitingAndClearedWhenDone) {
  const api::AgentError busy{"", "create VFs", kPf, kError, {}};
  const api::AgentError busy_before{kEarlier, "create VFs", kPf, kError, {}};
  const api::AgentError busy_now{kNow, "create VFs", kPf, kError, {}};
  const api::AgentError busy_elsewhere_before{kEarlier, "create VFs", kOtherPf, kError, {}};
  const api::AgentError mtu_before{kEarlier, "set MTU", kPf, "MTU 9000 refused", {}};
  const api::AgentError no_message{"", "read journal", "", "", {}};
  const api::AgentError no_message_now{kNow, "read journal", "", "read journal", {}};
  const LastErrorCase cases[] = {
      {"first error", std::nullopt, false, {busy}, false, false, busy_now},
      {"same error again keeps its time", busy_before, true, {busy}, false, false, busy_before},
      {"same message on another PF is a new error", busy_elsewhere_before, true, {busy}, false, false, busy_now},
      {"another error replaces it", mtu_before, true, {busy}, false, false, busy_now},
      {"an error without message reads as its operation", std::nullopt, false, {no_message}, false, false,
       no_message_now},
      {"waiting keeps it", busy_before, true, {}, true, false, busy_before},
      {"a reboot keeps it", busy_before, true, {}, false, true, busy_before},
      {"done clears it", busy_before, true, {}, false, false, std::nullopt},
      {"waiting with none before has none", std::nullopt, false, {}, true, false, std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    PassOutcome p = Outcome(false, c.waiting, c.rebooted);
    for (const auto& e : c.errors) p.AddError(kReasonApplyFailed, e.operation, e.interface, e.message);
    std::optional<api::RdmaNodeStateStatus> previous;
    if (c.has_previous_status) {
      previous.emplace();
      previous->last_error = c.previous;
    }
    EXPECT_EQ(Report(p, previous).last_error, c.want);
  }
}

// ---- lastApply ----

struct LastApplyCase {
  const char* name;
  bool has_previous_status;
  std::optional<int64_t> previous_generation;  // of the previous lastApply; none: no lastApply
  bool changed, rebooted;
  bool want_new_run;
};

TEST(ReportStatusTest, LastApplyIsANewRunOnlyWhenThePassChangedRebootedOrMetANewGeneration) {
  const LastApplyCase cases[] = {
      {"first status", false, std::nullopt, false, false, true},
      {"status without lastApply", true, std::nullopt, false, false, true},
      {"idle pass on the same generation", true, 3, false, false, false},
      {"same generation, something changed", true, 3, true, false, true},
      {"same generation, rebooted", true, 3, false, true, true},
      {"new generation", true, 2, false, false, true},
  };
  api::ApplyRun earlier;
  earlier.started_at = kEarlier;
  earlier.finished_at = kEarlier;
  earlier.phases = {api::ApplyPhase{api::kPhaseVfs, 7, api::kPhaseResultSucceeded, {}}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    PassOutcome p = Outcome(false, false, c.rebooted);
    p.changed = c.changed;
    p.Phase(api::kPhaseVfs, std::chrono::milliseconds(12), api::kPhaseResultSucceeded);
    std::optional<api::RdmaNodeStateStatus> previous;
    if (c.has_previous_status) {
      previous.emplace();
      if (c.previous_generation) {
        previous->last_apply = earlier;
        previous->last_apply->generation = *c.previous_generation;
      }
    }
    api::RdmaNodeStateStatus s = Report(p, previous);
    ASSERT_TRUE(s.last_apply);
    if (c.want_new_run) {
      api::ApplyRun want;
      want.generation = 3;
      want.started_at = kStarted;
      want.finished_at = kNow;
      want.phases = {api::ApplyPhase{api::kPhaseVfs, 12, api::kPhaseResultSucceeded, {}}};
      EXPECT_EQ(*s.last_apply, want);
    } else {
      EXPECT_EQ(s.last_apply, previous->last_apply);
    }
  }
}

TEST(ReportStatusTest, LastApplyListsPhasesInTheOrderTheyRun) {
  PassOutcome p = Outcome(false, false, false);
  for (const char* name : {api::kPhaseNamespace, api::kPhaseLink, api::kPhaseGuids, api::kPhaseVfs,
                           api::kPhaseFirmware}) {
    p.Phase(name, {}, api::kPhaseResultSucceeded);
  }
  api::RdmaNodeStateStatus s = Report(p);
  ASSERT_TRUE(s.last_apply);
  std::vector<std::string> names;
  for (const auto& ph : s.last_apply->phases) names.push_back(ph.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Firmware", "Vfs", "Guids", "Link", "Namespace"}));
}

TEST(PassOutcomeTest, APhaseOverSeveralPfsReportsTheWorstResultAndTheTotalTime) {
  struct Case {
    std::vector<const char*> results;
    const char* want;
  };
  const Case cases[] = {
      {{api::kPhaseResultSkipped}, api::kPhaseResultSkipped},
      {{api::kPhaseResultSkipped, api::kPhaseResultSucceeded}, api::kPhaseResultSucceeded},
      {{api::kPhaseResultSucceeded, api::kPhaseResultSkipped}, api::kPhaseResultSucceeded},
      {{api::kPhaseResultSucceeded, api::kPhaseResultPending}, api::kPhaseResultPending},
      {{api::kPhaseResultFailed, api::kPhaseResultPending, api::kPhaseResultSucceeded}, api::kPhaseResultFailed},
      {{api::kPhaseResultPending, api::kPhaseResultFailed}, api::kPhaseResultFailed},
  };
  for (const auto& c : cases) {
    PassOutcome p;
    for (const char* r : c.results) p.Phase(api::kPhaseFirmware, std::chrono::milliseconds(5), r);
    const api::ApplyPhase& ph = p.phases.at(api::kPhaseFirmware);
    EXPECT_EQ(ph.result, c.want) << c.results.size() << " results, first " << c.results.front();
    EXPECT_EQ(ph.duration_milliseconds, 5 * static_cast<int64_t>(c.results.size()));
  }
}

// ---- what is on the node ----

TEST(ReportStatusTest, ReportsTheNodeAsObservedWithTheJournalsAppliedGeneration) {
  ObservedNode node = Node();
  node.interfaces.push_back(Interface(kOtherPf, {Vf(0, "x0", "")}));
  host::FirmwareConfig fw;
  fw.name = "MCX515A-CCA_Ax_Bx";
  fw.params = {
      {"SRIOV_EN", host::FirmwareValue::Parse("False(0)"), host::FirmwareValue::Parse("True(1)"),
       host::FirmwareValue::Parse("True(1)"), false},
      {"NUM_OF_VFS", host::FirmwareValue::Parse("0"), host::FirmwareValue::Parse("8"),
       host::FirmwareValue::Parse("4"), true},
      {"LINK_TYPE_P1", std::nullopt, std::nullopt, host::FirmwareValue::Parse("ETH(2)"), false},
      {"PF_LOG_BAR_SIZE", host::FirmwareValue::Parse("5"), host::FirmwareValue::Parse("5"),
       host::FirmwareValue::Parse("5"), false},
  };
  node.firmware[kPf] = fw;  // the other PF's query failed
  node.rdma_netns_mode = host::RdmaNetnsMode::kShared;
  JournalState journal;
  journal.applied_generation = 2;
  PassOutcome p = Outcome(false, true, false, 3);
  p.reboot_required = true;

  api::RdmaNodeStateStatus s = Report(p, std::nullopt, node, journal);
  EXPECT_EQ(s.observed_generation, 3);
  EXPECT_EQ(s.applied_generation, 2);
  EXPECT_TRUE(s.reboot_required);
  EXPECT_EQ(s.vf_count, 3);
  EXPECT_EQ(s.rdma_namespace_mode, "Shared");
  EXPECT_EQ(s.agent_version, "0.1.0");
  ASSERT_EQ(s.interfaces.size(), 2u);
  ASSERT_TRUE(s.interfaces[0].firmware);
  EXPECT_EQ(s.interfaces[0].firmware->part_number, "MCX515A-CCA_Ax_Bx");
  const std::vector<api::FirmwareParameter> want = {
      {"SRIOV_EN", "False(0)", "True(1)", "True(1)", {}},
      {"NUM_OF_VFS", "0", "8", "4", {}},
      {"LINK_TYPE_P1", "", "", "ETH(2)", {}},
  };
  EXPECT_EQ(s.interfaces[0].firmware->parameters, want);
  EXPECT_FALSE(s.interfaces[1].firmware);
}

TEST(ReportStatusTest, RdmaNamespaceModeIsEmptyWhenItCouldNotBeRead) {
  ObservedNode node = Node();
  EXPECT_EQ(Report(Outcome(false, false, false), std::nullopt, node).rdma_namespace_mode, "");
  node.rdma_netns_mode = host::RdmaNetnsMode::kExclusive;
  EXPECT_EQ(Report(Outcome(false, false, false), std::nullopt, node).rdma_namespace_mode, "Exclusive");
}

// ---- GUID read-back ----

struct VerifyCase {
  const char* name;
  std::vector<api::VfStatus> vfs;  // of kPf, as discovered
  bool in_journal;
  bool in_spec;
  bool failed_in_pass;
  bool skipped_in_pass;
  bool rebooted;
  std::string want_message;  // "" = no error
};

TEST(VerifyGuidsTest, ReportsTheFirstVfPerPfWhoseGuidIsNotTheOneAsked) {
  const std::string g0 = "02:00:00:00:00:00:00:01", g1 = "02:00:00:00:00:00:00:02";
  const std::string wrong = "b8:ce:f6:03:00:00:00:09";
  const std::string none;
  // name, VFs found; in journal, in spec, failed, skipped, rebooted; error
  const VerifyCase cases[] = {
      {"all as asked", {Vf(0, "v0", g0), Vf(1, "v1", g1)}, true, true, false, false, false, none},
      {"one VF differs", {Vf(0, "v0", g0), Vf(1, "v1", wrong)}, true, true, false, false, false,
       "verify GUID of VF 1 of 0000:41:00.0: node GUID reads " + wrong + " after rebind, expected " + g1},
      {"two differ: the first is reported", {Vf(0, "v0", wrong), Vf(1, "v1", wrong)}, true, true, false, false, false,
       "verify GUID of VF 0 of 0000:41:00.0: node GUID reads " + wrong + " after rebind, expected " + g0},
      {"no GUID at all", {Vf(0, "v0", "")}, true, true, false, false, false,
       "verify GUID of VF 0 of 0000:41:00.0: node GUID reads nothing after rebind, expected " + g0},
      {"a VF in a pod's namespace is not checked", {Vf(0, "", wrong), Vf(1, "v1", g1)}, true, true, false, false,
       false, none},
      {"a VF the journal has no GUID for is not checked", {Vf(0, "v0", g0), Vf(1, "v1", g1), Vf(2, "v2", wrong)},
       true, true, false, false, false, none},
      {"not in the journal", {Vf(1, "v1", wrong)}, false, true, false, false, false, none},
      {"no longer in the spec", {Vf(1, "v1", wrong)}, true, false, false, false, false, none},
      {"failed in this pass", {Vf(1, "v1", wrong)}, true, true, true, false, false, none},
      {"skipped in this pass", {Vf(1, "v1", wrong)}, true, true, false, true, false, none},
      {"right after a reboot", {Vf(1, "v1", wrong)}, true, true, false, false, true, none},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    PassOutcome p = Outcome(false, false, c.rebooted);
    if (c.failed_in_pass) p.AddError(kReasonApplyFailed, "set VF GUIDs", kPf, "boom");
    if (c.skipped_in_pass) p.skip_pfs.insert(kPf);
    // An error on another PF does not stop the check of this one.
    p.AddError(kReasonApplyFailed, "set MTU", kOtherPf, "MTU refused");
    JournalState journal;
    if (c.in_journal) journal.pfs[kPf] = JournalPf{2, {g0, g1}};
    std::vector<api::InterfaceStatus> found = {Interface(kPf, c.vfs)};
    auto errors = VerifyGuids(p, found, journal, c.in_spec ? Spec() : Spec({kOtherPf}));
    if (c.want_message.empty()) {
      EXPECT_TRUE(errors.empty()) << errors.front().message;
    } else {
      ASSERT_EQ(errors.size(), 1u);
      EXPECT_EQ(errors[0].operation, "verify VF GUIDs");
      EXPECT_EQ(errors[0].interface, kPf);
      EXPECT_EQ(errors[0].message, c.want_message);
    }
  }
}

TEST(VerifyGuidsTest, ChecksEveryPf) {
  const std::string g0 = "02:00:00:00:00:00:00:01";
  JournalState journal;
  journal.pfs[kPf] = JournalPf{1, {g0}};
  journal.pfs[kOtherPf] = JournalPf{1, {g0}};
  std::vector<api::InterfaceStatus> found = {Interface(kPf, {Vf(0, "a0", "")}), Interface(kOtherPf, {Vf(0, "b0", "")})};
  auto errors = VerifyGuids(Outcome(false, false, false), found, journal, Spec({kPf, kOtherPf}));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].interface, kPf);
  EXPECT_EQ(errors[1].interface, kOtherPf);
}

}  // namespace
}  // namespace agent
