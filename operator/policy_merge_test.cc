#include "operator/policy_merge.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "operator/test_objects.h"

namespace rdma_operator {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Pf;
using testing::Policy;

nlohmann::json Spec(int priority, nlohmann::json nic, int num_vfs, const std::string& resource,
                    nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json s = {{"priority", priority},
                      {"nodeSelector", {{"matchLabels", {{"rdma", "yes"}}}}},
                      {"nicSelector", nic},
                      {"numVfs", num_vfs},
                      {"resourceName", resource}};
  s.update(extra);
  return s;
}

std::vector<const api::RdmaNodePolicy*> Ptrs(const std::vector<api::RdmaNodePolicy>& v) {
  std::vector<const api::RdmaNodePolicy*> out;
  for (const auto& p : v) out.push_back(&p);
  return out;
}

// "resource:first-last@policy" per VF group, for compact expectations.
std::vector<std::string> Groups(const api::InterfaceSpec& i) {
  std::vector<std::string> out;
  for (const auto& g : i.vf_groups)
    out.push_back(g.resource_name + ":" + std::to_string(g.first_vf) + "-" + std::to_string(g.last_vf) + "@" +
                  g.policy);
  return out;
}

const std::map<std::string, std::string> kLabels = {{"rdma", "yes"}};
const std::vector<api::InterfaceStatus> kPfs = {Pf("0000:41:00.0", "ens1f0"), Pf("0000:41:00.1", "ens1f1")};

TEST(MergePolicies, OnePolicyConfiguresEverySelectedPf) {
  auto policies = std::vector{Policy("roce", Spec(99, {{"vendor", "15b3"}}, 4, "roce", {{"mtu", 9000}}))};
  MergeResult r = MergePolicies("n1", kLabels, Ptrs(policies), kPfs, nullptr);
  ASSERT_EQ(r.spec.interfaces.size(), 2u);
  const auto& i = r.spec.interfaces[0];
  EXPECT_EQ(i.pci_address, "0000:41:00.0");
  EXPECT_EQ(i.name, "ens1f0");
  EXPECT_EQ(i.num_vfs, 4);
  EXPECT_EQ(i.mtu, 9000);
  EXPECT_EQ(i.firmware->total_vfs, 4);  // defaults to numVfs
  EXPECT_THAT(Groups(i), ElementsAre("roce:0-3@roce"));
  EXPECT_EQ(r.spec.rdma_namespace_mode, "Exclusive");
  EXPECT_THAT(r.applied_policies, ElementsAre("roce"));
  EXPECT_THAT(r.resources, ElementsAre("roce"));
  EXPECT_TRUE(r.conflicts.empty());
}

// numVfs lowered to 0 (the VFs go): the spec asks for no VFs and leaves
// the firmware's VF count alone rather than asking for an invalid 0.
TEST(MergePolicies, NumVfsZeroKeepsTheFirmwareAndIsAValidSpec) {
  auto policies = std::vector{Policy("roce", Spec(99, {{"vendor", "15b3"}}, 0, "roce",
                                                  {{"firmware", {{"managed", true}}}}))};
  MergeResult r = MergePolicies("n1", kLabels, Ptrs(policies), kPfs, nullptr);
  ASSERT_EQ(r.spec.interfaces.size(), 2u);
  EXPECT_EQ(r.spec.interfaces[0].num_vfs, 0);
  EXPECT_FALSE(r.spec.interfaces[0].firmware->total_vfs.has_value());
  api::RdmaNodeState state;
  state.metadata.name = "n1";
  state.spec = r.spec;
  EXPECT_TRUE(api::Validate(state).empty()) << api::Summarize(api::Validate(state));
}

// umad is per VF group, copied from the policy the group comes from; a
// policy that does not set it gives groups without the field, so the node
// states of policies written before umad existed do not change.
TEST(MergePolicies, VfGroupsCarryTheirPolicysUmadOnlyWhenItIsSet) {
  auto policies = std::vector{
      Policy("mad", Spec(10, {{"pfNames", {"ens1f0#0-1"}}}, 8, "ib_mad", {{"umad", true}})),
      Policy("plain", Spec(10, {{"pfNames", {"ens1f0#2-5"}}}, 8, "ib_plain")),
      Policy("off", Spec(10, {{"pfNames", {"ens1f0#6-7"}}}, 8, "ib_off", {{"umad", false}}))};
  MergeResult r = MergePolicies("n1", kLabels, Ptrs(policies), kPfs, nullptr);
  ASSERT_EQ(r.spec.interfaces.size(), 1u);
  const auto& groups = r.spec.interfaces[0].vf_groups;
  ASSERT_THAT(Groups(r.spec.interfaces[0]), ElementsAre("ib_mad:0-1@mad", "ib_plain:2-5@plain", "ib_off:6-7@off"));
  EXPECT_EQ(groups[0].umad, true);
  EXPECT_EQ(groups[1].umad, std::nullopt);
  EXPECT_EQ(groups[2].umad, false);
  EXPECT_TRUE(r.conflicts.empty());  // umad is not a PF-level setting

  // As written to the API server.
  api::RdmaNodeState state;
  state.metadata.name = "n1";
  state.spec = r.spec;
  const nlohmann::json written = api::ToJson(state)["spec"]["interfaces"][0]["vfGroups"];
  EXPECT_EQ(written[0]["umad"], true);
  EXPECT_FALSE(written[1].contains("umad"));
  EXPECT_EQ(written[2]["umad"], false);
}

TEST(MergePolicies, NodeNotSelectedOrNoReportedNicsGivesEmptySpec) {
  auto policies = std::vector{Policy("roce", Spec(99, nlohmann::json::object(), 4, "roce"))};
  EXPECT_TRUE(MergePolicies("n1", {{"rdma", "no"}}, Ptrs(policies), kPfs, nullptr).spec.interfaces.empty());
  MergeResult none = MergePolicies("n1", kLabels, Ptrs(policies), {}, nullptr);
  EXPECT_TRUE(none.spec.interfaces.empty());
  EXPECT_TRUE(none.applied_policies.empty());
}

TEST(MergePolicies, EqualPriorityPoliciesThatAgreeSplitAPfByVfRanges) {
  auto policies = std::vector{
      Policy("train", Spec(10, {{"pfNames", {"ens1f0#0-5"}}}, 8, "ib_training", {{"linkType", "InfiniBand"}})),
      Policy("storage", Spec(10, {{"pfNames", {"ens1f0#6-7"}}}, 8, "ib_storage", {{"linkType", "InfiniBand"}}))};
  MergeResult r = MergePolicies("n1", kLabels, Ptrs(policies), kPfs, nullptr);
  ASSERT_EQ(r.spec.interfaces.size(), 1u);
  EXPECT_THAT(Groups(r.spec.interfaces[0]), ElementsAre("ib_training:0-5@train", "ib_storage:6-7@storage"));
  EXPECT_THAT(r.applied_policies, ElementsAre("storage", "train"));
  EXPECT_TRUE(r.conflicts.empty());
}

TEST(MergePolicies, LowerPriorityNumberWinsThePfAndOverridesOverlappingGroups) {
  auto policies = std::vector{Policy("fallback", Spec(50, nlohmann::json::object(), 2, "slow")),
                              Policy("preferred", Spec(5, {{"pfNames", {"ens1f0"}}}, 8, "fast"))};
  MergeResult r = MergePolicies("n1", kLabels, Ptrs(policies), kPfs, nullptr);
  ASSERT_EQ(r.spec.interfaces.size(), 2u);
  EXPECT_EQ(r.spec.interfaces[0].num_vfs, 8);
  EXPECT_THAT(Groups(r.spec.interfaces[0]), ElementsAre("fast:0-7@preferred"));
  EXPECT_EQ(r.spec.interfaces[1].num_vfs, 2);  // only the fallback selects ens1f1
  EXPECT_THAT(Groups(r.spec.interfaces[1]), ElementsAre("slow:0-1@fallback"));
  EXPECT_TRUE(r.conflicts.empty());
}

TEST(MergePolicies, EqualPriorityDisagreementIsAConflictAndThePfKeepsItsConfiguration) {
  auto policies = std::vector{Policy("a", Spec(10, {{"pfNames", {"ens1f0"}}}, 8, "x")),
                              Policy("b", Spec(10, {{"pfNames", {"ens1f0"}}}, 4, "x", {{"mtu", 1500}}))};
  // Without a current configuration the PF stays unconfigured.
  MergeResult fresh = MergePolicies("n1", kLabels, Ptrs(policies), kPfs, nullptr);
  EXPECT_TRUE(fresh.spec.interfaces.empty());
  ASSERT_EQ(fresh.conflicts.size(), 1u);
  const Conflict& c = fresh.conflicts[0];
  EXPECT_THAT(c.policies, ElementsAre("a", "b"));
  EXPECT_EQ(c.pci_address, "0000:41:00.0");
  EXPECT_THAT(c.message, HasSubstr("numVfs 8 vs 4"));
  EXPECT_THAT(c.message, HasSubstr("mtu unset vs 1500"));
  EXPECT_THAT(c.message, HasSubstr("node n1"));
  EXPECT_TRUE(fresh.applied_policies.empty());

  // With one, it is kept exactly.
  api::RdmaNodeStateSpec current;
  api::InterfaceSpec was;
  was.pci_address = "0000:41:00.0";
  was.num_vfs = 2;
  api::VfGroup group;
  group.resource_name = "x";
  group.policy = "a";
  group.last_vf = 1;
  was.vf_groups.push_back(group);
  current.interfaces.push_back(was);
  MergeResult kept = MergePolicies("n1", kLabels, Ptrs(policies), kPfs, &current);
  ASSERT_EQ(kept.spec.interfaces.size(), 1u);
  EXPECT_EQ(kept.spec.interfaces[0], was);
  // The kept VFs are still advertised: their resource keeps its IP blocks.
  EXPECT_THAT(kept.resources, ElementsAre("x"));
}

TEST(MergePolicies, EqualPriorityOverlappingRangesForDifferentResourcesConflict) {
  auto policies = std::vector{Policy("a", Spec(10, {{"pfNames", {"ens1f0#0-5"}}}, 8, "x")),
                              Policy("b", Spec(10, {{"pfNames", {"ens1f0#4-7"}}}, 8, "y"))};
  MergeResult r = MergePolicies("n1", kLabels, Ptrs(policies), kPfs, nullptr);
  ASSERT_EQ(r.conflicts.size(), 1u);
  EXPECT_THAT(r.conflicts[0].policies, ElementsAre("a", "b"));
  EXPECT_THAT(r.conflicts[0].message, HasSubstr("claimed for resources x and y"));
  EXPECT_TRUE(r.spec.interfaces.empty());
}

TEST(MergePolicies, RangeBeyondTheWinningNumVfsIsAProblemOfItsPolicy) {
  auto policies = std::vector{Policy("small", Spec(1, {{"pfNames", {"ens1f0#0-1"}}}, 2, "x")),
                              Policy("big", Spec(20, {{"pfNames", {"ens1f0#8-15"}}}, 16, "y"))};
  MergeResult r = MergePolicies("n1", kLabels, Ptrs(policies), kPfs, nullptr);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].policy, "big");
  EXPECT_THAT(r.problems[0].message, HasSubstr("VF range 8-15"));
  EXPECT_THAT(r.problems[0].message, HasSubstr("beyond numVfs 2 set by policy small"));
  EXPECT_THAT(Groups(r.spec.interfaces.at(0)), ElementsAre("x:0-1@small"));
  EXPECT_THAT(r.applied_policies, ElementsAre("small"));
}

TEST(MergePolicies, NamespaceModeIsNodeWideAndEqualPrioritiesMustAgree) {
  auto policies =
      std::vector{Policy("a", Spec(10, {{"pfNames", {"ens1f0"}}}, 2, "x", {{"rdmaNamespaceMode", "Shared"}})),
                  Policy("b", Spec(10, {{"pfNames", {"ens1f1"}}}, 2, "y", {{"rdmaNamespaceMode", "Exclusive"}}))};
  MergeResult r = MergePolicies("n1", kLabels, Ptrs(policies), kPfs, nullptr);
  ASSERT_EQ(r.conflicts.size(), 1u);
  EXPECT_EQ(r.conflicts[0].pci_address, "");
  EXPECT_THAT(r.conflicts[0].message, HasSubstr("rdmaNamespaceMode"));
  EXPECT_FALSE(r.spec.rdma_namespace_mode.has_value());
  EXPECT_EQ(r.spec.interfaces.size(), 2u);  // the PFs themselves are fine

  policies[1] = Policy("b", Spec(11, {{"pfNames", {"ens1f1"}}}, 2, "y", {{"rdmaNamespaceMode", "Exclusive"}}));
  MergeResult ordered = MergePolicies("n1", kLabels, Ptrs(policies), kPfs, nullptr);
  EXPECT_TRUE(ordered.conflicts.empty());
  EXPECT_EQ(ordered.spec.rdma_namespace_mode, "Shared");
}

TEST(MergePolicies, PoolModeAsksForAGuidBlockPerPf) {
  auto policies = std::vector{
      Policy("ib", Spec(10, {{"pfNames", {"ens1f0"}}}, 8, "ib",
                        {{"guid",
                          {{"mode", "Pool"},
                           {"pool", {{"start", "02:00:00:00:00:01:00:00"}, {"end", "02:00:00:00:00:01:ff:ff"}}}}}}))};
  MergeResult r = MergePolicies("n1", kLabels, Ptrs(policies), kPfs, nullptr);
  EXPECT_THAT(r.guid_pools,
              ElementsAre(GuidPoolRequest{"0000:41:00.0", "02:00:00:00:00:01:00:00", "02:00:00:00:00:01:ff:ff", 8}));
}

}  // namespace
}  // namespace rdma_operator
