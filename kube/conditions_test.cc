#include "kube/conditions.h"

#include <gtest/gtest.h>

namespace kube {
namespace {

using namespace std::chrono_literals;

TEST(ConditionsTest, TransitionTimeMovesOnlyWhenStatusChanges) {
  nlohmann::json obj = {{"metadata", {{"name", "x"}, {"generation", 3}}}};
  auto t0 = *ParseTime("2024-01-01T00:00:00Z");
  EXPECT_TRUE(SetCondition(obj, {"Ready", "False", "Applying", "applying 2 VFs", 3}, t0));
  EXPECT_EQ((*FindCondition(obj, "Ready"))["lastTransitionTime"], "2024-01-01T00:00:00Z");
  // Same status, new message: changed, but the transition time stays.
  EXPECT_TRUE(SetCondition(obj, {"Ready", "False", "Applying", "applying 1 VF", 3}, t0 + 10s));
  EXPECT_EQ((*FindCondition(obj, "Ready"))["lastTransitionTime"], "2024-01-01T00:00:00Z");
  // Identical: nothing to write.
  EXPECT_FALSE(SetCondition(obj, {"Ready", "False", "Applying", "applying 1 VF", 3}, t0 + 20s));
  // Status flips: new transition time.
  EXPECT_TRUE(SetCondition(obj, {"Ready", "True", "Applied", "", 3}, t0 + 30s));
  EXPECT_EQ((*FindCondition(obj, "Ready"))["lastTransitionTime"], "2024-01-01T00:00:30Z");
  EXPECT_TRUE(IsConditionTrue(obj, "Ready"));
  EXPECT_FALSE(IsConditionTrue(obj, "Degraded"));
  EXPECT_EQ(obj["status"]["conditions"].size(), 1u);
  EXPECT_EQ((*FindCondition(obj, "Ready"))["observedGeneration"], 3);
  EXPECT_TRUE(RemoveCondition(obj, "Ready"));
  EXPECT_FALSE(FindCondition(obj, "Ready").has_value());
}

TEST(ConditionsTest, ObservedGenerationFollowsMetadata) {
  nlohmann::json obj = {{"metadata", {{"generation", 7}}}};
  EXPECT_TRUE(SetObservedGeneration(obj));
  EXPECT_EQ(obj["status"]["observedGeneration"], 7);
  EXPECT_FALSE(SetObservedGeneration(obj));
}

}  // namespace
}  // namespace kube
