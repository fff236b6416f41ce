#include "api/condition.h"

#include <gtest/gtest.h>

namespace api {
namespace {

Condition Make(std::string status, std::string reason, std::string message, int64_t generation = 1) {
  Condition c;
  c.type = std::string(kConditionReady);
  c.status = std::move(status);
  c.reason = std::move(reason);
  c.message = std::move(message);
  c.observed_generation = generation;
  return c;
}

TEST(ConditionTest, TransitionTimeChangesOnlyWithStatus) {
  std::vector<Condition> conditions;
  EXPECT_TRUE(SetCondition(&conditions, Make("False", "Applying", "0 of 3 nodes"), "2026-01-01T00:00:00Z"));
  EXPECT_TRUE(SetCondition(&conditions, Make("False", "Applying", "2 of 3 nodes"), "2026-01-01T00:01:00Z"));
  ASSERT_EQ(conditions.size(), 1u);
  EXPECT_EQ(conditions[0].last_transition_time, "2026-01-01T00:00:00Z");
  EXPECT_EQ(conditions[0].message, "2 of 3 nodes");

  EXPECT_TRUE(SetCondition(&conditions, Make("True", "Applied", "3 of 3 nodes"), "2026-01-01T00:02:00Z"));
  EXPECT_EQ(conditions[0].last_transition_time, "2026-01-01T00:02:00Z");
  EXPECT_TRUE(IsConditionTrue(conditions, kConditionReady));

  // Nothing changed: the caller can skip the status write.
  EXPECT_FALSE(SetCondition(&conditions, Make("True", "Applied", "3 of 3 nodes"), "2026-01-01T00:03:00Z"));
  EXPECT_TRUE(SetCondition(&conditions, Make("True", "Applied", "3 of 3 nodes", 2), "2026-01-01T00:03:00Z"));
  EXPECT_EQ(conditions[0].observed_generation, 2);
  EXPECT_EQ(FindCondition(conditions, kConditionDegraded), nullptr);
}

TEST(ConditionTest, FormatsTimestampsAsKubernetesDoes) {
  EXPECT_EQ(FormatTimestamp(std::chrono::system_clock::time_point{}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(std::chrono::system_clock::time_point{std::chrono::seconds{1795633965}}),
            "2026-11-25T19:12:45Z");
}

}  // namespace
}  // namespace api
