#include "api/label_selector.h"

#include <gtest/gtest.h>

namespace api {
namespace {

LabelSelector Selector(std::map<std::string, std::string> labels,
                       std::vector<LabelSelectorRequirement> expressions = {}) {
  LabelSelector s;
  s.match_labels = std::move(labels);
  s.match_expressions = std::move(expressions);
  return s;
}

TEST(LabelSelectorTest, MatchesLikeKubernetes) {
  std::map<std::string, std::string> node = {{"rdma.dev/roce", "true"}, {"zone", "a"}};
  EXPECT_TRUE(Matches(Selector({}), node));  // empty selects all
  EXPECT_TRUE(Matches(Selector({{"rdma.dev/roce", "true"}}), node));
  EXPECT_FALSE(Matches(Selector({{"rdma.dev/roce", "false"}}), node));
  EXPECT_FALSE(Matches(Selector({{"gpu", "true"}}), node));
  EXPECT_TRUE(Matches(Selector({}, {{"zone", "In", {"a", "b"}, {}}}), node));
  EXPECT_FALSE(Matches(Selector({}, {{"zone", "NotIn", {"a"}, {}}}), node));
  EXPECT_TRUE(Matches(Selector({}, {{"gpu", "NotIn", {"x"}, {}}}), node));  // absent label
  EXPECT_TRUE(Matches(Selector({}, {{"zone", "Exists", {}, {}}}), node));
  EXPECT_FALSE(Matches(Selector({}, {{"zone", "DoesNotExist", {}, {}}}), node));
  // All terms must hold.
  EXPECT_FALSE(Matches(Selector({{"zone", "a"}}, {{"gpu", "Exists", {}, {}}}), node));
  // An invalid operator selects nothing rather than everything.
  EXPECT_FALSE(Matches(Selector({}, {{"zone", "Equals", {"a"}, {}}}), node));
}

TEST(LabelSelectorTest, ChecksKeysAndValues) {
  EXPECT_EQ(CheckLabelKey("example.com/gpu"), "");
  EXPECT_EQ(CheckLabelKey("node.kubernetes.io/instance-type"), "");
  EXPECT_EQ(CheckLabelValue(""), "");
  EXPECT_EQ(CheckLabelValue("v1.2_a-b"), "");
  EXPECT_NE(CheckLabelKey(""), "");
  EXPECT_NE(CheckLabelKey("Example.com/gpu"), "");  // prefix is lower-case DNS
  EXPECT_NE(CheckLabelKey("example.com/"), "");
  EXPECT_NE(CheckLabelKey(std::string(64, 'a')), "");
  EXPECT_NE(CheckLabelValue("-a"), "");
  EXPECT_NE(CheckLabelValue(std::string(64, 'a')), "");
}

}  // namespace
}  // namespace api
