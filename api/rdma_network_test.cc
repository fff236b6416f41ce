#include "api/rdma_network.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace api {
namespace {

using nlohmann::json;

json ValidNetwork() {
  return json::parse(R"({
    "apiVersion": "rdma.dev/v1alpha1",
    "kind": "RdmaNetwork",
    "metadata": {"name": "roce-net", "namespace": "ml"},
    "spec": {
      "resourceName": "roce",
      "ipam": {
        "subnet": "192.168.100.0/24",
        "ranges": [{"start": "192.168.100.16", "end": "192.168.100.127"}],
        "gateway": "192.168.100.1"
      }
    }
  })");
}

FieldErrors Problems(const json& doc) {
  RdmaNetwork network;
  FieldErrors errors = FromJson(doc, &network);
  for (FieldError& e : Validate(network)) errors.push_back(std::move(e));
  return errors;
}

TEST(RdmaNetworkTest, ValidNetworksHaveNoErrors) {
  EXPECT_THAT(Problems(ValidNetwork()), ::testing::IsEmpty());
  json v6 = ValidNetwork();
  v6["spec"]["ipam"] = json::parse(R"({
    "subnet": "fd00:100::/64",
    "ranges": [{"start": "fd00:100::10", "end": "fd00:100::ffff"}],
    "excludes": ["fd00:100::20", "fd00:100::100/120"],
    "routes": [{"destination": "fd00:200::/64", "gateway": "fd00:100::1"}]
  })");
  EXPECT_THAT(Problems(v6), ::testing::IsEmpty());
}

struct BadNetworkCase {
  const char* name;
  const char* spec_patch;
  const char* path;
  const char* message;
};

class BadNetworkTest : public ::testing::TestWithParam<BadNetworkCase> {};

TEST_P(BadNetworkTest, ReportsTheFieldAndWhatToFix) {
  const BadNetworkCase& c = GetParam();
  json doc = ValidNetwork();
  doc["spec"].merge_patch(json::parse(c.spec_patch));
  FieldErrors errors = Problems(doc);
  bool found = false;
  for (const FieldError& e : errors) {
    if (e.path == c.path && e.message.find(c.message) != std::string::npos) found = true;
  }
  EXPECT_TRUE(found) << "want " << c.path << ": ..." << c.message << "...\ngot: " << Summarize(errors, 50);
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadNetworkTest,
    ::testing::Values(
        BadNetworkCase{"SubnetNotACidr", R"({"ipam": {"subnet": "192.168.100.0/33"}})", "spec.ipam.subnet",
                       "is not a CIDR"},
        BadNetworkCase{"RangeOutsideSubnet",
                       R"({"ipam": {"ranges": [{"start": "192.168.100.200", "end": "192.168.101.10"}]}})",
                       "spec.ipam.ranges[0].end", "outside the subnet 192.168.100.0/24"},
        BadNetworkCase{"RangeOfOtherFamily", R"({"ipam": {"ranges": [{"start": "fd00::1", "end": "fd00::9"}]}})",
                       "spec.ipam.ranges[0].start", "outside the subnet"},
        BadNetworkCase{"RangeReversed",
                       R"({"ipam": {"ranges": [{"start": "192.168.100.50", "end": "192.168.100.20"}]}})",
                       "spec.ipam.ranges[0]", "end 192.168.100.20 is before start 192.168.100.50"},
        BadNetworkCase{"RangesOverlap",
                       R"({"ipam": {"ranges": [{"start": "192.168.100.10", "end": "192.168.100.50"},
                                               {"start": "192.168.100.60", "end": "192.168.100.70"},
                                               {"start": "192.168.100.50", "end": "192.168.100.55"}]}})",
                       "spec.ipam.ranges[2]", "overlaps ranges[0] (192.168.100.10-192.168.100.50)"},
        BadNetworkCase{"RangeStartNotAnAddress", R"({"ipam": {"ranges": [{"start": "first", "end": "192.168.100.9"}]}})",
                       "spec.ipam.ranges[0].start", "is not an IPv4 or IPv6 address"},
        BadNetworkCase{"GatewayOutsideSubnet", R"({"ipam": {"gateway": "10.0.0.1"}})", "spec.ipam.gateway",
                       "outside the subnet"},
        BadNetworkCase{"ExcludeNotAnAddress", R"({"ipam": {"excludes": ["192.168.100.300"]}})",
                       "spec.ipam.excludes[0]", "neither an IP address nor a CIDR"},
        BadNetworkCase{"ExcludeOfOtherFamily", R"({"ipam": {"excludes": ["fd00::1"]}})", "spec.ipam.excludes[0]",
                       "IPv6 exclude in an IPv4 subnet"},
        BadNetworkCase{"RouteNotACidr", R"({"ipam": {"routes": [{"destination": "10.0.0.1"}]}})",
                       "spec.ipam.routes[0].destination", "is not a CIDR"},
        BadNetworkCase{"BlockSizeZero", R"({"ipam": {"nodeBlockSize": 0}})", "spec.ipam.nodeBlockSize",
                       "between 1 and 65536"},
        BadNetworkCase{"IpamWithoutSubnet", R"({"ipam": {"subnet": null}})", "spec.ipam.subnet", "is not a CIDR"},
        BadNetworkCase{"VlanTooBig", R"({"vlan": 4095})", "spec.vlan", "between 0 and 4094"},
        BadNetworkCase{"UnknownLinkState", R"({"linkState": "up"})", "spec.linkState",
                       "unknown link state \"up\"; use one of Auto, Enable, Disable"},
        BadNetworkCase{"MinRateAboveMax", R"({"minTxRateMbps": 2000, "maxTxRateMbps": 1000})",
                       "spec.minTxRateMbps", "exceeds maxTxRateMbps"},
        BadNetworkCase{"BadTargetNamespace", R"({"targetNamespaces": ["ML_Jobs"]})", "spec.targetNamespaces[0]",
                       "not a namespace name"},
        BadNetworkCase{"TrustAsString", R"({"trust": "on"})", "spec.trust", "must be true or false"},
        BadNetworkCase{"MissingResourceName", R"({"resourceName": null})", "spec.resourceName", "is required"}),
    [](const ::testing::TestParamInfo<BadNetworkCase>& info) { return std::string(info.param.name); });

TEST(RdmaNetworkTest, TargetNamespacesDefaultToTheNetworksOwn) {
  RdmaNetwork network;
  ASSERT_THAT(FromJson(ValidNetwork(), &network), ::testing::IsEmpty());
  EXPECT_EQ(TargetNamespaces(network), std::vector<std::string>{"ml"});
  network.spec.target_namespaces = {"a", "b"};
  EXPECT_EQ(TargetNamespaces(network), (std::vector<std::string>{"a", "b"}));
}

// UsableRanges of a network whose spec.ipam is ipam_json, as "a-b" strings.
std::vector<std::string> Usable(const char* ipam_json) {
  json doc = ValidNetwork();
  doc["spec"]["ipam"] = json::parse(ipam_json);
  RdmaNetwork network;
  EXPECT_THAT(FromJson(doc, &network), ::testing::IsEmpty());
  EXPECT_THAT(Validate(network), ::testing::IsEmpty());
  auto ranges = UsableRanges(*network.spec.ipam);
  EXPECT_TRUE(ranges.has_value());
  std::vector<std::string> out;
  for (const IpRange& r : ranges.value_or(std::vector<IpRange>{})) {
    out.push_back(r.start.ToString() + "-" + r.end.ToString());
  }
  return out;
}

TEST(RdmaNetworkTest, UsableRangesLeaveOutNetworkBroadcastGatewayAndExcludes) {
  EXPECT_EQ(Usable(R"({"subnet": "10.0.0.0/29"})"), std::vector<std::string>{"10.0.0.1-10.0.0.6"});
  EXPECT_EQ(Usable(R"({"subnet": "10.0.0.0/29", "gateway": "10.0.0.1", "excludes": ["10.0.0.4"]})"),
            (std::vector<std::string>{"10.0.0.2-10.0.0.3", "10.0.0.5-10.0.0.6"}));
  EXPECT_EQ(Usable(R"({"subnet": "10.0.0.0/24",
                       "ranges": [{"start": "10.0.0.100", "end": "10.0.0.120"},
                                  {"start": "10.0.0.10", "end": "10.0.0.20"}],
                       "excludes": ["10.0.0.16/30"]})"),
            (std::vector<std::string>{"10.0.0.10-10.0.0.15", "10.0.0.20-10.0.0.20",
                                      "10.0.0.100-10.0.0.120"}));
  // /31: both addresses are hosts (point-to-point, RFC 3021).
  EXPECT_EQ(Usable(R"({"subnet": "10.0.0.0/31"})"), std::vector<std::string>{"10.0.0.0-10.0.0.1"});
  // IPv6 has no broadcast address; only the subnet-router address goes.
  EXPECT_EQ(Usable(R"({"subnet": "fd00::/120", "excludes": ["fd00::ff"]})"),
            std::vector<std::string>{"fd00::1-fd00::fe"});
}

TEST(RdmaNetworkTest, StatusRoundTrips) {
  json doc = ValidNetwork();
  doc["status"] = json::parse(R"({
    "observedGeneration": 2,
    "networkAttachmentDefinitions": [{"namespace": "ml", "name": "roce-net"}],
    "addresses": {"blockSize": 16, "capacityBlocks": 7, "allocatedBlocks": 2},
    "conditions": [{"type": "Ready", "status": "True", "observedGeneration": 2,
                    "lastTransitionTime": "2026-11-25T19:00:00Z", "reason": "Rendered", "message": ""}]
  })");
  RdmaNetwork network;
  ASSERT_THAT(FromJson(doc, &network), ::testing::IsEmpty());
  EXPECT_EQ(ToJson(network), doc);
  EXPECT_EQ(network.status->addresses->allocated_blocks, 2);
}

}  // namespace
}  // namespace api
