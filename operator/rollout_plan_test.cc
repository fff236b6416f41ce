// Table tests of the rollout's budget arithmetic and node selection.
#include "operator/rollout_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rdma_operator {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using json = nlohmann::json;

TEST(RolloutBudgetTest, ResolvesIntegersAndPercentages) {
  struct Case { json max_unavailable; int32_t matched; int32_t want; };
  const Case cases[] = {
      {nullptr, 5, 1},   // default
      {2, 5, 2},
      {0, 5, 1},         // at least 1
      {9, 5, 5},         // at most every matched node
      {"10%", 5, 1},     // rounds up: 0.5 -> 1, not "never"
      {"50%", 5, 3},     // 2.5 -> 3
      {"40%", 5, 2},     // exact
      {"100%", 3, 3},
      {"250%", 3, 3},
      {"33%", 0, 1},     // no matched nodes
      {"abc", 5, 1},     // unparseable -> 1
      {"%", 5, 1},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(RolloutBudget(c.max_unavailable, c.matched), c.want)
        << c.max_unavailable.dump() << " of " << c.matched;
  }
}

RolloutNode Node(std::string name, bool needs, std::vector<std::string> policies = {"p"}) {
  RolloutNode n;
  n.name = std::move(name);
  n.needs_disruption = needs;
  n.policies = std::move(policies);
  return n;
}

TEST(PickNodesToDisruptTest, BudgetOfOneTakesTheFirstByName) {
  std::vector<RolloutNode> nodes = {Node("node-c", true), Node("node-a", true), Node("node-b", true)};
  EXPECT_THAT(PickNodesToDisrupt(nodes, {{"p", 1}}), ElementsAre("node-a"));
}

TEST(PickNodesToDisruptTest, NodeInRolloutHoldsTheBudget) {
  std::vector<RolloutNode> nodes = {Node("node-a", true), Node("node-b", true), Node("node-c", true)};
  nodes[0].in_rollout = true;
  EXPECT_THAT(PickNodesToDisrupt(nodes, {{"p", 1}}), IsEmpty());
  EXPECT_THAT(PickNodesToDisrupt(nodes, {{"p", 2}}), ElementsAre("node-b"));
}

TEST(PickNodesToDisruptTest, UnavailableNodeCountsAgainstTheBudgetAndIsNotStarted) {
  std::vector<RolloutNode> nodes = {Node("node-a", true), Node("node-b", true), Node("node-c", false)};
  nodes[2].unavailable = true;  // NotReady or cordoned by an admin
  EXPECT_THAT(PickNodesToDisrupt(nodes, {{"p", 1}}), IsEmpty());
  nodes[0].unavailable = true;  // needs disruption but is NotReady
  EXPECT_THAT(PickNodesToDisrupt(nodes, {{"p", 3}}), ElementsAre("node-b"));
}

TEST(PickNodesToDisruptTest, AdminCordonedNodeIsCountedOnceAndMayBeStarted) {
  std::vector<RolloutNode> nodes = {Node("node-a", true), Node("node-b", true), Node("node-c", true)};
  nodes[2].cordoned = true;  // an admin's cordon: already out of scheduling
  // Budget 1 is used by node-c's cordon: only node-c itself may go.
  EXPECT_THAT(PickNodesToDisrupt(nodes, {{"p", 1}}), ElementsAre("node-c"));
  EXPECT_THAT(PickNodesToDisrupt(nodes, {{"p", 2}}), ElementsAre("node-a", "node-c"));
  nodes[2].needs_disruption = false;
  EXPECT_THAT(PickNodesToDisrupt(nodes, {{"p", 1}}), IsEmpty());
}

TEST(PickNodesToDisruptTest, EveryNodeUnavailablePicksNothing) {
  std::vector<RolloutNode> nodes = {Node("node-a", true), Node("node-b", true)};
  nodes[0].unavailable = nodes[1].unavailable = true;
  EXPECT_THAT(PickNodesToDisrupt(nodes, {{"p", "100%"}}), IsEmpty());
}

TEST(PickNodesToDisruptTest, PercentOfFiveNodesStillMakesProgress) {
  std::vector<RolloutNode> nodes;
  for (char c = 'a'; c <= 'e'; ++c) nodes.push_back(Node(std::string("node-") + c, true));
  EXPECT_THAT(PickNodesToDisrupt(nodes, {{"p", "10%"}}), ElementsAre("node-a"));
}

TEST(PickNodesToDisruptTest, NodeInTwoPoliciesIsHeldToTheStricter) {
  // wide allows 3 of its 3 nodes, narrow 1 of its 2; node-a is in the
  // rollout under narrow, so node-b (also narrow) must wait, node-c may go.
  std::vector<RolloutNode> nodes = {Node("node-a", false, {"wide", "narrow"}),
                                    Node("node-b", true, {"wide", "narrow"}),
                                    Node("node-c", true, {"wide"})};
  nodes[0].in_rollout = true;
  EXPECT_THAT(PickNodesToDisrupt(nodes, {{"wide", 3}, {"narrow", 1}}), ElementsAre("node-c"));
}

TEST(PickNodesToDisruptTest, NodesNotNeedingDisruptionAreNotPicked) {
  std::vector<RolloutNode> nodes = {Node("node-a", false), Node("node-b", false)};
  EXPECT_THAT(PickNodesToDisrupt(nodes, {{"p", 2}}), IsEmpty());
}

TEST(StrictestDrainTest, ShortestTimeoutAndAbortOverForceOverWait) {
  auto spec = [](std::optional<int32_t> timeout, std::optional<std::string> on) {
    api::DisruptionSpec d;
    d.drain_timeout_seconds = timeout;
    d.on_drain_timeout = std::move(on);
    return d;
  };
  const api::DisruptionSpec wait300 = spec(300, "Wait"), force900 = spec(900, "Force"), abort = spec(std::nullopt, "Abort"),
                            unset = spec(std::nullopt, std::nullopt);
  EXPECT_EQ(StrictestDrain({}), (DrainSettings{600, "Wait"}));  // CRD defaults
  EXPECT_EQ(StrictestDrain({nullptr}), (DrainSettings{600, "Wait"}));  // policy without disruption
  EXPECT_EQ(StrictestDrain({&unset}), (DrainSettings{600, "Wait"}));
  EXPECT_EQ(StrictestDrain({&wait300, &force900}), (DrainSettings{300, "Force"}));
  EXPECT_EQ(StrictestDrain({&force900, &abort}), (DrainSettings{600, "Abort"}));
  EXPECT_EQ(StrictestDrain({&abort, &wait300, &force900}), (DrainSettings{300, "Abort"}));
}

}  // namespace
}  // namespace rdma_operator
