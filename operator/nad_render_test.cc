#include "operator/nad_render.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "operator/test_objects.h"

namespace rdma_operator {
namespace {

using testing::Network;

TEST(RenderNads, OnePerTargetNamespaceWithTypeAnnotationAndOwnerLabels) {
  auto net = Network("default", "roce-net",
                     {{"resourceName", "roce"},
                      {"targetNamespaces", {"ml", "default"}},
                      {"vlan", 100},
                      {"mtu", 1500},
                      {"trust", false},
                      {"linkState", "Auto"},
                      {"ipam",
                       {{"subnet", "192.168.100.0/24"},
                        {"routes", {{{"destination", "192.168.200.0/24"}, {"gateway", "192.168.100.1"}}}}}}});
  auto nads = RenderNads(net);
  ASSERT_EQ(nads.size(), 2u);
  EXPECT_EQ(nads[0].metadata.namespace_, "default");
  EXPECT_EQ(nads[1].metadata.namespace_, "ml");
  for (const auto& nad : nads) {
    EXPECT_EQ(nad.metadata.name, "roce-net");
    EXPECT_EQ(nad.metadata.annotations.at(kResourceNameAnnotation), "rdma.dev/roce");
    EXPECT_TRUE(IsRenderedFor(nad, net));
    EXPECT_TRUE(api::Validate(nad).empty()) << api::Summarize(api::Validate(nad));
    auto config = nlohmann::json::parse(nad.spec.config);
    EXPECT_EQ(config["type"], "rdma-cni");
    EXPECT_EQ(config["name"], "roce-net");
    EXPECT_EQ(config["resourceName"], "rdma.dev/roce");
    EXPECT_EQ(config["vlan"], 100);
    EXPECT_EQ(config["trust"], "off");
    EXPECT_EQ(config["link_state"], "auto");
    EXPECT_EQ(config["ipam"]["subnet"], "192.168.100.0/24");
    EXPECT_EQ(config["ipam"]["routes"][0]["gw"], "192.168.100.1");
  }
  // Owner references cannot cross namespaces: only the network's own has one.
  ASSERT_EQ(nads[0].metadata.owner_references.size(), 1u);
  EXPECT_EQ(nads[0].metadata.owner_references[0].uid, "uid-roce-net");
  EXPECT_TRUE(nads[1].metadata.owner_references.empty());
}

TEST(RenderNads, WithoutTargetNamespacesTheNetworksOwn) {
  auto nads = RenderNads(Network("team-a", "n", {{"resourceName", "r"}}));
  ASSERT_EQ(nads.size(), 1u);
  EXPECT_EQ(nads[0].metadata.namespace_, "team-a");
  EXPECT_FALSE(nlohmann::json::parse(nads[0].spec.config).contains("ipam"));
}

TEST(IsRenderedFor, ANadOfTheSameNameFromSomeoneElseIsNotOurs) {
  auto net = Network("default", "roce-net", {{"resourceName", "roce"}});
  api::NetworkAttachmentDefinition foreign;
  foreign.metadata.name = "roce-net";
  foreign.metadata.namespace_ = "default";
  EXPECT_FALSE(IsRenderedFor(foreign, net));
  auto other = RenderNads(Network("other", "roce-net", {{"resourceName", "roce"}, {"targetNamespaces", {"default"}}}));
  EXPECT_FALSE(IsRenderedFor(other[0], net));  // same name, another network's
}

TEST(NadUpToDate, ComparesConfigAndOurMetadataOnly) {
  auto net = Network("default", "n", {{"resourceName", "r"}});
  auto desired = RenderNads(net)[0];
  auto existing = desired;
  existing.metadata.labels["team"] = "x";  // someone else's label is fine
  EXPECT_TRUE(NadUpToDate(existing, desired));
  existing.spec.config = "{}";
  EXPECT_FALSE(NadUpToDate(existing, desired));
}

}  // namespace
}  // namespace rdma_operator
