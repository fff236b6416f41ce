#include "operator/status_rollup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "operator/drain_plan.h"
#include "operator/policy_merge.h"
#include "operator/test_objects.h"

namespace rdma_operator {
namespace {

using ::testing::HasSubstr;
using testing::Pf;
using testing::Policy;

// "Type=Status/Reason" of each condition, for compact expectations.
std::vector<std::string> Summary(const std::vector<api::Condition>& cs) {
  std::vector<std::string> out;
  for (const auto& c : cs) out.push_back(c.type + "=" + c.status + "/" + c.reason);
  return out;
}

std::string Message(const std::vector<api::Condition>& cs, const std::string& type) {
  const api::Condition* c = api::FindCondition(cs, type);
  return c ? c->message : "";
}

api::RdmaNodeState State(const std::string& node, int64_t generation, const std::string& sync, int64_t applied) {
  api::RdmaNodeState s;
  s.metadata.name = node;
  s.metadata.generation = generation;
  s.status.emplace();
  s.status->interfaces = {Pf("0000:41:00.0", "ens1f0")};
  s.status->sync_state = sync;
  s.status->applied_generation = applied;
  return s;
}

// The spec the operator writes for `policy` on a node that reports the PF
// State() reports.
api::RdmaNodeStateSpec Written(const api::RdmaNodePolicy& policy, const std::string& node) {
  return MergePolicies(node, {{"rdma", "yes"}}, {&policy}, {Pf("0000:41:00.0", "ens1f0")}, nullptr).spec;
}

nlohmann::json Spec(int priority, int num_vfs) {
  return {{"priority", priority},
          {"nodeSelector", {{"matchLabels", {{"rdma", "yes"}}}}},
          {"nicSelector", {{"vendor", "15b3"}}},
          {"numVfs", num_vfs},
          {"resourceName", "r"}};
}

TEST(RollUpPolicy, CountsMatchedAndReadyNodesAndSaysWhoIsStillApplying) {
  auto policy = Policy("p", Spec(10, 4));
  auto applied = State("n1", 3, api::kSyncSucceeded, 3);
  auto stale = State("n2", 4, api::kSyncSucceeded, 3);  // spec changed since
  auto failed = State("n3", 2, api::kSyncFailed, 1);
  for (auto* s : {&applied, &stale, &failed}) s->spec = Written(policy, s->metadata.name);
  // In sync, but with the spec from before the policy: the operator has not
  // written this node yet, so it is not ready for the policy.
  auto unwritten = State("n4", 2, api::kSyncSucceeded, 2);
  struct Case {
    const char* name;
    std::vector<NodeView> nodes;
    int32_t matched, ready;
    std::vector<std::string> conditions;
  };
  const std::map<std::string, std::string> yes = {{"rdma", "yes"}};
  const Case cases[] = {
      {"no nodes", {}, 0, 0, {"Ready=True/Applied", "Progressing=False/Applied", "Degraded=False/Applied", "Reconciling=False/Applied", "Stalled=False/Applied"}},
      {"all applied",
       {{"n1", yes, &applied}},
       1,
       1,
       {"Ready=True/Applied", "Progressing=False/Applied", "Degraded=False/Applied", "Reconciling=False/Applied", "Stalled=False/Applied"}},
      {"one behind",
       {{"n1", yes, &applied}, {"n2", yes, &stale}},
       2,
       1,
       {"Ready=False/Applying", "Progressing=True/Applying", "Degraded=False/Applied", "Reconciling=True/Applying", "Stalled=False/Applied"}},
      {"not selected or no NICs reported do not count",
       {{"n1", {}, &applied}, {"n9", yes, nullptr}},
       0,
       0,
       {"Ready=True/Applied", "Progressing=False/Applied", "Degraded=False/Applied", "Reconciling=False/Applied", "Stalled=False/Applied"}},
      {"a node in sync with a spec without the policy is still applying",
       {{"n1", yes, &applied}, {"n4", yes, &unwritten}},
       2,
       1,
       {"Ready=False/Applying", "Progressing=True/Applying", "Degraded=False/Applied", "Reconciling=True/Applying", "Stalled=False/Applied"}},
      {"a failed node degrades",
       {{"n1", yes, &applied}, {"n3", yes, &failed}},
       2,
       1,
       {"Ready=False/ApplyFailed", "Progressing=False/Applied", "Degraded=True/ApplyFailed", "Reconciling=False/Applied", "Stalled=False/Applied"}},
  };
  for (const Case& c : cases) {
    PolicyRollup r = RollUpPolicy(policy, {}, {&policy}, c.nodes);
    EXPECT_EQ(r.matched_nodes, c.matched) << c.name;
    EXPECT_EQ(r.ready_nodes, c.ready) << c.name;
    EXPECT_EQ(Summary(r.conditions), c.conditions) << c.name;
  }
  PolicyRollup behind = RollUpPolicy(policy, {}, {&policy}, {{"n1", yes, &applied}, {"n2", yes, &stale}});
  EXPECT_THAT(Message(behind.conditions, "Progressing"), HasSubstr("1 of 2 matched nodes applied; waiting for n2"));
  PolicyRollup bad = RollUpPolicy(policy, {}, {&policy}, {{"n3", yes, &failed}});
  // A policy edit (numVfs 4 -> 6) that the operator has not written yet.
  auto edited = Policy("p", Spec(10, 6));
  PolicyRollup after_edit = RollUpPolicy(edited, {}, {&edited}, {{"n1", yes, &applied}});
  EXPECT_EQ(after_edit.ready_nodes, 0);
  // So is turning umad on: the VF groups the device plugin reads change.
  nlohmann::json with_umad = Spec(10, 4);
  with_umad["umad"] = true;
  auto umad_edit = Policy("p", with_umad);
  EXPECT_EQ(RollUpPolicy(umad_edit, {}, {&umad_edit}, {{"n1", yes, &applied}}).ready_nodes, 0);
  EXPECT_THAT(Message(bad.conditions, "Degraded"), HasSubstr("n3"));
}

TEST(RollUpPolicy, RolloutCountsEachNodeOnceAndStalledNamesTheBlockingPods) {
  auto policy = Policy("p", Spec(10, 4));
  const std::map<std::string, std::string> yes = {{"rdma", "yes"}};
  auto with_record = [&](const std::string& node, const char* sync, std::optional<RolloutRecord> record) {
    api::RdmaNodeState s = State(node, 2, sync, 1);
    s.spec = Written(policy, node);
    s.status->observed_generation = 2;
    if (record) {
      record->spec_hash = SpecHash(s.spec);
      s.metadata.annotations[kRolloutAnnotation] = RolloutRecordText(*record);
    }
    return s;
  };
  auto record = [](const char* step, const char* result = "") {
    RolloutRecord r;
    r.step = step;
    r.kind = kKindReboot;
    r.result = result;
    return r;
  };
  RolloutRecord stalled = record(kStepDraining);
  stalled.stalled = true;
  stalled.blocking_pods = {"ml/trainer-0"};
  stalled.message = "drain timed out after 60s (onDrainTimeout Wait): still trying; blocked by 1 pod(s)";
  auto n1 = with_record("n1", api::kSyncPending, stalled);
  auto n2 = with_record("n2", api::kSyncPending, record(kStepGranted));
  auto n3 = with_record("n3", api::kSyncPending, std::nullopt);  // waits, not started
  auto n4 = with_record("n4", api::kSyncSucceeded, record(kStepIdle, kResultDone));
  n4.status->applied_generation = 2;
  RolloutRecord aborted = record(kStepIdle, kResultAborted);
  aborted.message = "drain timed out after 60s (onDrainTimeout Abort); 1 pod(s) still on the node";
  auto n5 = with_record("n5", api::kSyncPending, aborted);  // still waits, but not retried for this spec
  PolicyRollup r = RollUpPolicy(policy, {}, {&policy},
                                {{"n1", yes, &n1}, {"n2", yes, &n2}, {"n3", yes, &n3}, {"n4", yes, &n4}, {"n5", yes, &n5}});
  EXPECT_EQ(r.rollout.draining, 1);
  EXPECT_EQ(r.rollout.rebooting, 1);
  EXPECT_EQ(r.rollout.pending, 1);
  EXPECT_EQ(r.rollout.done, 1);
  EXPECT_EQ(r.rollout.failed, 1);
  ASSERT_EQ(r.rollout.blocked.size(), 1u);
  EXPECT_EQ(r.rollout.blocked[0].node, "n1");
  EXPECT_THAT(r.rollout.blocked[0].pods, ::testing::ElementsAre("ml/trainer-0"));
  const api::Condition* reconciling = api::FindCondition(r.conditions, "Reconciling");
  ASSERT_NE(reconciling, nullptr);
  EXPECT_EQ(reconciling->status, "True");
  EXPECT_THAT(reconciling->message, HasSubstr("1 draining, 1 rebooting, 1 pending, 1 done, 1 failed"));
  EXPECT_THAT(reconciling->message, HasSubstr("draining: n1; rebooting: n2"));
  const api::Condition* st = api::FindCondition(r.conditions, "Stalled");
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->status, "True");
  EXPECT_EQ(st->reason, "DrainTimedOut");
  EXPECT_THAT(st->message, HasSubstr("n1 is blocked by ml/trainer-0"));
  EXPECT_THAT(Message(r.conditions, "Degraded"), HasSubstr("n5: drain timed out after 60s (onDrainTimeout Abort)"));

  // Without the stalled node, the aborted one is what Stalled says.
  PolicyRollup rest = RollUpPolicy(policy, {}, {&policy}, {{"n4", yes, &n4}, {"n5", yes, &n5}});
  EXPECT_EQ(api::FindCondition(rest.conditions, "Stalled")->reason, "RolloutFailed");
  EXPECT_EQ(api::FindCondition(rest.conditions, "Reconciling")->status, "True");  // n5 still waits to apply
}

TEST(RollUpPolicy, InvalidSpecIsDegradedWithTheFieldsToFix) {
  auto policy = Policy("p", Spec(10, 4));
  PolicyRollup r = RollUpPolicy(policy, {{"spec.numVfs", "must be at most 256"}}, {}, {});
  EXPECT_EQ(Summary(r.conditions), (std::vector<std::string>{"Ready=False/InvalidSpec", "Progressing=False/InvalidSpec",
                                                             "Degraded=True/InvalidSpec", "Reconciling=False/InvalidSpec",
                                                             "Stalled=True/InvalidSpec"}));
  EXPECT_THAT(Message(r.conditions, "Degraded"), HasSubstr("spec.numVfs: must be at most 256"));
}

TEST(RollUpPolicy, ConflictIsReportedOnEveryPolicyInvolved) {
  auto a = Policy("a", Spec(10, 4));
  auto b = Policy("b", Spec(10, 8));
  auto other = Policy("other", Spec(20, 2));
  auto state = State("n1", 1, api::kSyncPending, 0);
  const std::vector<NodeView> nodes = {{"n1", {{"rdma", "yes"}}, &state}};
  for (const auto* p : {&a, &b}) {
    PolicyRollup r = RollUpPolicy(*p, {}, {&a, &b, &other}, nodes);
    EXPECT_EQ(api::FindCondition(r.conditions, "Degraded")->reason, "Conflict") << p->metadata.name;
    EXPECT_THAT(Message(r.conditions, "Degraded"), HasSubstr("policies a and b (priority 10) disagree"));
    EXPECT_EQ(r.matched_nodes, 0);  // the PF is not configured by either
  }
  PolicyRollup bystander = RollUpPolicy(other, {}, {&a, &b, &other}, nodes);
  EXPECT_EQ(api::FindCondition(bystander.conditions, "Degraded")->status, "False");
}

TEST(NetworkConditions, ReadyUnlessSomethingNeedsTheUser) {
  struct Case {
    const char* name;
    NetworkFacts facts;
    std::vector<std::string> conditions;
    std::string degraded_message;
  };
  NetworkFacts crd;
  crd.nad_crd_missing = true;
  NetworkFacts foreign;
  foreign.foreign_nads = {"ml/roce-net"};
  NetworkFacts exhausted;
  exhausted.exhaustion = "subnet 10.0.0.0/30 has 2 usable addresses";
  NetworkFacts invalid;
  invalid.errors = {{"spec.ipam.ranges[1]", "overlaps ranges[0]"}};
  const Case cases[] = {
      {"all good", {}, {"Ready=True/Rendered", "Progressing=False/Rendered", "Degraded=False/Rendered"}, ""},
      {"NAD CRD missing",
       crd,
       {"Ready=False/NadCrdMissing", "Progressing=False/NadCrdMissing", "Degraded=True/NadCrdMissing"},
       "is not installed"},
      {"foreign NAD",
       foreign,
       {"Ready=False/Conflict", "Progressing=False/Conflict", "Degraded=True/Conflict"},
       "ml/roce-net exists and was not created for this network"},
      {"rendered but exhausted",
       exhausted,
       {"Ready=False/AddressesExhausted", "Progressing=False/Rendered", "Degraded=True/AddressesExhausted"},
       "has 2 usable addresses"},
      {"invalid",
       invalid,
       {"Ready=False/InvalidSpec", "Progressing=False/InvalidSpec", "Degraded=True/InvalidSpec"},
       "spec.ipam.ranges[1]: overlaps ranges[0]"},
  };
  for (const Case& c : cases) {
    auto conds = NetworkConditions(c.facts, 7);
    EXPECT_EQ(Summary(conds), c.conditions) << c.name;
    EXPECT_THAT(Message(conds, "Degraded"), HasSubstr(c.degraded_message)) << c.name;
    for (const auto& cond : conds) EXPECT_EQ(cond.observed_generation, 7) << c.name;
  }
}

}  // namespace
}  // namespace rdma_operator
