// Tests of the per-node rollout state machine and the drain's pod choice.
#include "operator/drain_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kube/timestamps.h"

namespace rdma_operator {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using json = nlohmann::json;
using Kind = RolloutAction::Kind;
using namespace std::chrono_literals;

const auto kT0 = *kube::ParseTime("2026-12-03T10:00:00Z");

// A node state at `generation` whose agent reports `sync` for it.
api::RdmaNodeState State(int64_t generation, const std::string& sync, bool reboot = false, int32_t spec_vfs = 8,
                         int32_t have_vfs = 8) {
  api::RdmaNodeState s;
  s.metadata.name = "node-a";
  s.metadata.generation = generation;
  api::InterfaceSpec i;
  i.pci_address = "0000:41:00.0";
  i.num_vfs = spec_vfs;
  i.vf_groups.push_back({"roce", "p", 0, spec_vfs - 1, std::nullopt, {}});
  s.spec.interfaces.push_back(i);
  api::InterfaceStatus is;
  is.pci_address = "0000:41:00.0";
  is.num_vfs = have_vfs;
  s.status.emplace();
  s.status->interfaces.push_back(is);
  s.status->observed_generation = generation;
  s.status->applied_generation = sync == api::kSyncSucceeded ? generation : generation - 1;
  s.status->sync_state = sync;
  s.status->reboot_required = reboot;
  return s;
}

DrainPod Pod(std::string name, std::vector<std::string> resources = {}) {
  DrainPod p;
  p.ns = "ml";
  p.name = std::move(name);
  p.resources = std::move(resources);
  return p;
}

TEST(NeedOfTest, RebootDrainOrNothingFromTheAgentsReport) {
  EXPECT_EQ(NeedOf(State(3, api::kSyncPending, true)).kind, kKindReboot);
  DisruptionNeed drain = NeedOf(State(3, api::kSyncPending, false, 4, 8));
  EXPECT_EQ(drain.kind, kKindDrain);
  EXPECT_THAT(drain.resources, ElementsAre("rdma.dev/roce"));
  // numVfs 0: no VF group says what the VFs were; every rdma.dev pod goes.
  api::RdmaNodeState to_zero = State(3, api::kSyncPending, false, 0, 8);
  to_zero.spec.interfaces[0].vf_groups.clear();
  EXPECT_THAT(NeedOf(to_zero).resources, ElementsAre(kAnyRdmaResource));
  EXPECT_EQ(NeedOf(State(3, api::kSyncSucceeded)).kind, "");
  EXPECT_EQ(NeedOf(State(3, api::kSyncFailed, true)).kind, "");
  // A report on an older generation says nothing about the current spec.
  api::RdmaNodeState stale = State(3, api::kSyncPending, true);
  stale.metadata.generation = 4;
  EXPECT_EQ(NeedOf(stale).kind, "");
}

TEST(DrainPodTest, ReadsWhatTheDrainDecidesOn) {
  json pod = json::parse(R"({
    "metadata": {"namespace": "ml", "name": "trainer-0", "deletionTimestamp": "2026-12-03T10:00:00Z",
                 "ownerReferences": [{"kind": "DaemonSet", "name": "x", "controller": true}],
                 "annotations": {"kubernetes.io/config.mirror": "abc"}},
    "spec": {"containers": [{"resources": {"limits": {"rdma.dev/roce": "1", "cpu": "2"}}}],
             "initContainers": [{"resources": {"requests": {"nvidia.com/gpu": "1"}}}],
             "tolerations": [{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}]},
    "status": {"phase": "Succeeded"}})");
  DrainPod p = DrainPodFromJson(pod);
  EXPECT_EQ(p.ns + "/" + p.name, "ml/trainer-0");
  EXPECT_TRUE(p.terminating && p.finished && p.mirror && p.daemon_set && p.tolerates_cordon);
  EXPECT_THAT(p.resources, ElementsAre("nvidia.com/gpu", "rdma.dev/roce"));

  DrainPod plain = DrainPodFromJson(json::parse(R"({"metadata": {"name": "a"},
      "spec": {"tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists"},
                               {"operator": "Exists", "effect": "NoExecute"}]}})"));
  EXPECT_FALSE(plain.terminating || plain.finished || plain.mirror || plain.daemon_set || plain.tolerates_cordon);
  EXPECT_TRUE(DrainPodFromJson(json::parse(R"({"spec": {"tolerations": [{"operator": "Exists"}]}})")).tolerates_cordon);
  EXPECT_FALSE(DrainPodFromJson(json("not a pod")).terminating);
}

TEST(ScopeDrainTest, SkipsWhatADrainMustNotTouch) {
  std::vector<DrainPod> pods = {Pod("web"), Pod("ds"), Pod("mirror"), Pod("done"), Pod("tolerant"), Pod("going")};
  pods[1].daemon_set = true;
  pods[2].mirror = true;
  pods[3].finished = true;
  pods[4].tolerates_cordon = true;
  pods[5].terminating = true;
  DrainScope s = ScopeDrain(pods, kKindReboot, {});
  ASSERT_EQ(s.evict.size(), 1u);
  EXPECT_EQ(s.evict[0]->name, "web");
  ASSERT_EQ(s.waiting.size(), 1u);
  EXPECT_EQ(s.waiting[0]->name, "going");
  EXPECT_THAT(s.Blocking(), ElementsAre("ml/going", "ml/web"));
}

TEST(ScopeDrainTest, AVfCountChangeDrainsOnlyPodsHoldingTheResource) {
  std::vector<DrainPod> pods = {Pod("web"), Pod("trainer", {"rdma.dev/roce"}), Pod("other", {"rdma.dev/ib"})};
  EXPECT_THAT(ScopeDrain(pods, kKindDrain, {"rdma.dev/roce"}).Blocking(), ElementsAre("ml/trainer"));
  EXPECT_THAT(ScopeDrain(pods, kKindReboot, {}).Blocking(), ElementsAre("ml/other", "ml/trainer", "ml/web"));
  EXPECT_THAT(ScopeDrain(pods, kKindDrain, {kAnyRdmaResource}).Blocking(), ElementsAre("ml/other", "ml/trainer"));
}

TEST(RolloutRecordTest, RoundTripsThroughTheAnnotation) {
  RolloutRecord r = StartRecord({kKindDrain, {"rdma.dev/roce"}}, true, "abc", kT0);
  r.blocking_pods = {"ml/a"};
  r.stalled = true;
  EXPECT_EQ(ParseRolloutRecord(RolloutRecordText(r)), r);
  EXPECT_EQ(r.drain_started_at, "2026-12-03T10:00:00Z");
  EXPECT_FALSE(ParseRolloutRecord(""));
  EXPECT_FALSE(ParseRolloutRecord("not json"));
  EXPECT_FALSE(ParseRolloutRecord(R"({"kind": "Drain"})"));
}

TEST(SpecHashTest, ChangesWithTheInterfacesOnly) {
  api::RdmaNodeState a = State(1, api::kSyncPending), b = a;
  b.spec.disruption = api::DisruptionGrant{true, true, {}};
  EXPECT_EQ(SpecHash(a.spec), SpecHash(b.spec));
  b.spec.interfaces[0].num_vfs = 4;
  EXPECT_NE(SpecHash(a.spec), SpecHash(b.spec));
  EXPECT_EQ(SpecHash(a.spec).size(), 16u);
  // A node whose agent found no NIC has an empty spec (no "spec" in its JSON).
  EXPECT_EQ(SpecHash(api::RdmaNodeStateSpec()), SpecHash(api::RdmaNodeStateSpec()));
  EXPECT_NE(SpecHash(api::RdmaNodeStateSpec()), SpecHash(a.spec));
}

TEST(MayStartTest, AFailedOrAbortedRolloutIsNotRepeatedForTheSameSpec) {
  DisruptionNeed reboot{kKindReboot, {}};
  EXPECT_TRUE(MayStart(reboot, std::nullopt, "h1"));
  EXPECT_FALSE(MayStart({}, std::nullopt, "h1"));
  RolloutRecord r = StartRecord(reboot, false, "h1", kT0);
  EXPECT_FALSE(MayStart(reboot, r, "h1"));  // already in the rollout
  r.step = kStepIdle;
  for (const char* result : {kResultAborted, kResultFailed}) {
    r.result = result;
    EXPECT_FALSE(MayStart(reboot, r, "h1")) << result;
    EXPECT_TRUE(MayStart(reboot, r, "h2")) << result;  // a new spec tries again
  }
  r.result = kResultDone;
  EXPECT_TRUE(MayStart(reboot, r, "h1"));
}

// A node in step Draining of a reboot, started at kT0.
NodeFacts Draining(const api::RdmaNodeState& state, const DrainScope& scope, bool was_unschedulable = false) {
  NodeFacts f;
  f.record = StartRecord({kKindReboot, {}}, was_unschedulable, SpecHash(state.spec), kT0);
  f.unschedulable = true;
  f.state = &state;
  f.scope = &scope;
  f.now = kT0 + 10s;
  return f;
}

TEST(NextActionTest, CordonsFirstThenEvictsThenGrants) {
  api::RdmaNodeState st = State(3, api::kSyncPending, true);
  std::vector<DrainPod> pods = {Pod("web")};
  DrainScope scope = ScopeDrain(pods, kKindReboot, {});
  NodeFacts f = Draining(st, scope);
  f.unschedulable = false;
  EXPECT_EQ(NextAction(f).kind, Kind::kCordon);

  f.unschedulable = true;
  RolloutAction evict = NextAction(f);
  EXPECT_EQ(evict.kind, Kind::kEvict);
  ASSERT_EQ(evict.pods.size(), 1u);
  EXPECT_EQ(evict.pods[0]->name, "web");
  EXPECT_THAT(evict.record.blocking_pods, ElementsAre("ml/web"));
  EXPECT_EQ(evict.record.step, kStepDraining);
  EXPECT_FALSE(evict.record.stalled);

  DrainScope empty;
  f.scope = &empty;
  RolloutAction grant = NextAction(f);
  EXPECT_EQ(grant.kind, Kind::kGrant);
  EXPECT_EQ(grant.record.step, kStepGranted);
  EXPECT_THAT(grant.record.blocking_pods, IsEmpty());
  EXPECT_EQ(grant.grant.reboot_allowed, true);
  EXPECT_EQ(grant.grant.drained, true);
}

TEST(NextActionTest, ADrainOnlyGrantDoesNotAllowAReboot) {
  api::RdmaNodeState st = State(3, api::kSyncPending, false, 4, 8);
  DrainScope empty;
  NodeFacts f = Draining(st, empty);
  f.record = StartRecord(NeedOf(st), false, "h", kT0);
  RolloutAction a = NextAction(f);
  EXPECT_EQ(a.kind, Kind::kGrant);
  EXPECT_EQ(a.grant.drained, true);
  EXPECT_FALSE(a.grant.reboot_allowed.value_or(false));
}

TEST(NextActionTest, ADrainThatBecomesARebootDrainsEverything) {
  api::RdmaNodeState st = State(3, api::kSyncPending, true);
  DrainScope empty;
  NodeFacts f = Draining(st, empty);
  f.record = StartRecord({kKindDrain, {"rdma.dev/roce"}}, false, "h", kT0);
  RolloutAction a = NextAction(f);
  EXPECT_EQ(a.kind, Kind::kRecord);
  EXPECT_EQ(a.record.kind, kKindReboot);
  EXPECT_THAT(a.record.resources, IsEmpty());

  // Also once the drain-only grant is out: back to a full drain.
  f.record = a.record;
  f.record->kind = kKindDrain;
  f.record->step = kStepGranted;
  RolloutAction back = NextAction(f);
  EXPECT_EQ(back.kind, Kind::kRecord);
  EXPECT_EQ(back.record.step, kStepDraining);
  EXPECT_EQ(back.record.kind, kKindReboot);
}

// The record keeps whole seconds: a drain started at 10:00:00.8 with a 1 s
// timeout has not timed out at 10:00:01.5 (0.7 s later), and has at 10:00:02.
TEST(NextActionTest, TheDrainTimeoutNeverFiresBeforeItsSeconds) {
  api::RdmaNodeState st = State(3, api::kSyncPending, true);
  std::vector<DrainPod> pods = {Pod("web")};
  DrainScope scope = ScopeDrain(pods, kKindReboot, {});
  NodeFacts f = Draining(st, scope);
  f.record = StartRecord({kKindReboot, {}}, false, SpecHash(st.spec), kT0 + 800ms);
  EXPECT_EQ(f.record->drain_started_at, "2026-12-03T10:00:01Z");
  f.drain_timeout_seconds = 1;
  f.on_drain_timeout = "Abort";
  f.now = kT0 + 1500ms;
  EXPECT_EQ(NextAction(f).kind, Kind::kEvict);
  f.now = kT0 + 2s;
  EXPECT_EQ(NextAction(f).kind, Kind::kFinish);
}

TEST(NextActionTest, DrainTimeoutZeroSkipsTheDrain) {
  api::RdmaNodeState st = State(3, api::kSyncPending, true);
  std::vector<DrainPod> pods = {Pod("web")};
  DrainScope scope = ScopeDrain(pods, kKindReboot, {});
  NodeFacts f = Draining(st, scope);
  f.drain_timeout_seconds = 0;
  EXPECT_EQ(NextAction(f).kind, Kind::kGrant);
}

TEST(NextActionTest, TimeoutChoices) {
  api::RdmaNodeState st = State(3, api::kSyncPending, true);
  std::vector<DrainPod> pods = {Pod("web"), Pod("going")};
  pods[1].terminating = true;
  DrainScope scope = ScopeDrain(pods, kKindReboot, {});
  NodeFacts f = Draining(st, scope);
  f.drain_timeout_seconds = 60;
  f.now = kT0 + 59s;
  for (const char* choice : {"Wait", "Abort", "Force"}) {
    f.on_drain_timeout = choice;
    RolloutAction before = NextAction(f);
    EXPECT_EQ(before.kind, Kind::kEvict) << choice;
    EXPECT_FALSE(before.record.stalled) << choice;
  }
  f.now = kT0 + 60s;

  f.on_drain_timeout = "Wait";
  RolloutAction wait = NextAction(f);
  EXPECT_EQ(wait.kind, Kind::kEvict);  // keeps trying
  EXPECT_TRUE(wait.record.stalled);
  EXPECT_THAT(wait.record.blocking_pods, ElementsAre("ml/going", "ml/web"));
  EXPECT_THAT(wait.record.message, HasSubstr("onDrainTimeout Wait"));

  f.on_drain_timeout = "Abort";
  RolloutAction abort = NextAction(f);
  EXPECT_EQ(abort.kind, Kind::kFinish);
  EXPECT_EQ(abort.record.step, kStepUncordoning);
  EXPECT_EQ(abort.record.result, kResultAborted);
  EXPECT_THAT(abort.record.blocking_pods, ElementsAre("ml/going", "ml/web"));  // kept: why it was aborted

  f.on_drain_timeout = "Force";
  RolloutAction force = NextAction(f);
  EXPECT_EQ(force.kind, Kind::kForceDelete);
  ASSERT_EQ(force.pods.size(), 1u);  // the terminating one is already going
  EXPECT_EQ(force.pods[0]->name, "web");
}

TEST(NextActionTest, GrantedWaitsForTheAgentThenFinishesOrFails) {
  NodeFacts f;
  f.record = StartRecord({kKindReboot, {}}, false, "h", kT0);
  f.record->step = kStepGranted;
  f.unschedulable = true;
  f.now = kT0;
  // Our grant write made generation 4; the agent still reports 3.
  api::RdmaNodeState st = State(3, api::kSyncPending, true);
  st.metadata.generation = 4;
  f.state = &st;
  EXPECT_EQ(NextAction(f).kind, Kind::kNone);

  api::RdmaNodeState rebooting = State(4, api::kSyncInProgress);
  f.state = &rebooting;
  EXPECT_EQ(NextAction(f).kind, Kind::kNone);

  api::RdmaNodeState applied = State(4, api::kSyncSucceeded);
  f.state = &applied;
  RolloutAction done = NextAction(f);
  EXPECT_EQ(done.kind, Kind::kFinish);
  EXPECT_EQ(done.record.result, kResultDone);
  EXPECT_EQ(done.record.step, kStepUncordoning);

  api::RdmaNodeState failed = State(4, api::kSyncFailed);
  failed.status->last_error = api::AgentError{"", "verify", "", "firmware setting did not take after the reboot", {}};
  f.state = &failed;
  RolloutAction fail = NextAction(f);
  EXPECT_EQ(fail.kind, Kind::kFinish);
  EXPECT_EQ(fail.record.result, kResultFailed);
  EXPECT_THAT(fail.record.message, HasSubstr("did not take"));
}

TEST(NextActionTest, UncordonRestoresExactlyThePreviousValue) {
  NodeFacts f;
  f.record = StartRecord({kKindReboot, {}}, false, "h", kT0);
  f.record->step = kStepUncordoning;
  f.record->result = kResultDone;
  f.unschedulable = true;
  RolloutAction a = NextAction(f);
  EXPECT_EQ(a.kind, Kind::kUncordon);
  EXPECT_EQ(a.record.step, kStepIdle);
  EXPECT_EQ(a.record.result, kResultDone);

  // An admin's cordon from before the rollout is never undone.
  f.record->was_unschedulable = true;
  EXPECT_EQ(NextAction(f).kind, Kind::kSettle);
  // Already uncordoned (a restart after the Node write): only the record.
  f.record->was_unschedulable = false;
  f.unschedulable = false;
  EXPECT_EQ(NextAction(f).kind, Kind::kSettle);
}

TEST(NextActionTest, ResumesFromTheRecordAlone) {
  // What a restarted operator sees: only the annotation, the Node and the
  // node state. Each recorded step leads to the same next action as before.
  api::RdmaNodeState st = State(3, api::kSyncPending, true);
  std::vector<DrainPod> pods = {Pod("web")};
  DrainScope scope = ScopeDrain(pods, kKindReboot, {});
  NodeFacts f = Draining(st, scope);
  RolloutAction before = NextAction(f);
  f.record = ParseRolloutRecord(RolloutRecordText(*f.record));
  RolloutAction after = NextAction(f);
  EXPECT_EQ(before.kind, after.kind);
  EXPECT_EQ(before.record, after.record);
  // The drain timeout counts from the recorded start, not from the restart.
  f.drain_timeout_seconds = 5;
  f.on_drain_timeout = "Abort";
  EXPECT_EQ(NextAction(f).kind, Kind::kFinish);
  // Not in the rollout: nothing.
  f.record->step = kStepIdle;
  EXPECT_EQ(NextAction(f).kind, Kind::kNone);
}

TEST(NextActionTest, AppliedWhileDrainingNeedsNoGrant) {
  api::RdmaNodeState st = State(3, api::kSyncSucceeded);
  std::vector<DrainPod> pods = {Pod("web")};
  DrainScope scope = ScopeDrain(pods, kKindReboot, {});
  RolloutAction a = NextAction(Draining(st, scope));
  EXPECT_EQ(a.kind, Kind::kFinish);
  EXPECT_EQ(a.record.result, kResultDone);
}

}  // namespace
}  // namespace rdma_operator
