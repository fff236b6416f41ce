#include "agent/attach/netconf.h"

#include <gtest/gtest.h>

#include "agent/attach/engine.h"  // BuildResult

namespace attach {
namespace {

using nlohmann::json;

cni::Invocation Call(json config, std::vector<std::pair<std::string, std::string>> args = {}) {
  cni::Invocation inv;
  inv.command = cni::Command::kAdd;
  inv.cni_version = "1.0.0";
  inv.config = std::move(config);
  inv.cni_args = std::move(args);
  return inv;
}

// The config the operator renders for docs/examples/roce-network.yaml.
json Rendered() {
  return json::parse(R"({"cniVersion":"1.0.0","name":"roce-net","type":"rdma-cni","resourceName":"rdma.dev/roce",
    "network":{"namespace":"default","name":"roce-net"},"mtu":1500,"trust":"off","spoofchk":"on","vlan":100,
    "vlanQoS":3,"link_state":"enable","min_tx_rate":10,"max_tx_rate":1000,
    "ipam":{"type":"rdma-node-block","subnet":"192.168.100.0/24","gateway":"192.168.100.1",
            "routes":[{"dst":"192.168.200.0/24","gw":"192.168.100.1"},{"dst":"10.9.0.0/16"}]}})");
}

TEST(NetConf, ReadsEveryFieldTheOperatorRenders) {
  auto c = ParseNetConf(Call(Rendered()));
  ASSERT_TRUE(c.ok()) << c.error().msg;
  EXPECT_EQ(c->NetworkKey(), "default/roce-net");
  EXPECT_EQ(c->mtu, 1500u);
  EXPECT_EQ(c->trust, false);
  EXPECT_EQ(c->spoofchk, true);
  EXPECT_EQ(c->vlan, 100u);
  EXPECT_EQ(c->vlan_qos, 3u);
  EXPECT_EQ(c->link_state, host::VfLinkState::kEnable);
  EXPECT_EQ(c->min_tx_rate, 10u);
  EXPECT_EQ(c->max_tx_rate, 1000u);
  ASSERT_TRUE(c->ipam);
  EXPECT_EQ(c->ipam->subnet.ToString(), "192.168.100.0/24");
  EXPECT_EQ(c->ipam->gateway->ToString(), "192.168.100.1");
  ASSERT_EQ(c->ipam->routes.size(), 2u);
  EXPECT_EQ(c->ipam->routes[0].destination.address, "192.168.200.0");
  EXPECT_EQ(c->ipam->routes[0].destination.prefix_length, 24);
  EXPECT_EQ(c->ipam->routes[0].gateway, "192.168.100.1");
  EXPECT_EQ(c->ipam->routes[1].gateway, "");
}

TEST(NetConf, MacComesFromConfigThenRuntimeConfigThenCniArgs) {
  json c = {{"network", {{"namespace", "n"}, {"name", "x"}}}, {"mac", "02:00:00:00:00:01"}};
  EXPECT_EQ(*ParseNetConf(Call(c))->mac, "02:00:00:00:00:01");
  c["runtimeConfig"] = {{"mac", "02:00:00:00:00:02"}};
  EXPECT_EQ(*ParseNetConf(Call(c))->mac, "02:00:00:00:00:02");
  EXPECT_EQ(*ParseNetConf(Call(c, {{"MAC", "02:00:00:00:00:03"}}))->mac, "02:00:00:00:00:03");
}

TEST(NetConf, BadValuesAreCode7NamingTheField) {
  struct Case {
    const char* field;
    json value;
    const char* says;
  };
  const std::vector<Case> cases = {
      {"vlan", 4095, "\"vlan\" is 4095, must be 0-4094"},
      {"vlan", "100", "\"vlan\" must be an integer"},
      {"vlanQoS", 8, "\"vlanQoS\" is 8"},
      {"mtu", 60, "\"mtu\" is 60, must be 68-65535"},
      {"trust", true, "\"trust\" must be \"on\" or \"off\""},
      {"spoofchk", "yes", "\"spoofchk\" must be \"on\" or \"off\""},
      {"link_state", "up", "\"link_state\" must be \"auto\", \"enable\" or \"disable\""},
      {"mac", "02:00:00:00:00", "\"mac\" is \"02:00:00:00:00\""},
      {"network", "default/roce-net", "\"network\" must be"},
  };
  for (const Case& k : cases) {
    json c = Rendered();
    c[k.field] = k.value;
    auto got = ParseNetConf(Call(c));
    ASSERT_FALSE(got.ok()) << k.field;
    EXPECT_EQ(got.error().code, cni::kInvalidConfig) << k.field;
    EXPECT_NE(got.error().msg.find(k.says), std::string::npos) << got.error().msg;
  }
  json c = Rendered();
  c["min_tx_rate"] = 2000;
  EXPECT_NE(ParseNetConf(Call(c)).error().msg.find("above max_tx_rate"), std::string::npos);
  c = Rendered();
  c.erase("vlan");
  EXPECT_NE(ParseNetConf(Call(c)).error().msg.find("\"vlanQoS\" needs \"vlan\""), std::string::npos);
  c = Rendered();
  c["ipam"]["type"] = "host-local";
  EXPECT_NE(ParseNetConf(Call(c)).error().msg.find("\"ipam.type\" must be \"rdma-node-block\""), std::string::npos);
  c = Rendered();
  c["ipam"]["gateway"] = "10.0.0.1";
  EXPECT_NE(ParseNetConf(Call(c)).error().msg.find("\"ipam.gateway\" must be an address in ipam.subnet"),
            std::string::npos);
  c = Rendered();
  c["ipam"]["routes"][1]["dst"] = "nowhere";
  EXPECT_NE(ParseNetConf(Call(c)).error().msg.find("\"ipam.routes[1].dst\" must be a CIDR"), std::string::npos);
  c = Rendered();
  c.erase("network");
  EXPECT_NE(ParseNetConf(Call(c)).error().msg.find("\"network\" is needed with ipam"), std::string::npos);
}

TEST(BuildResult, PerVersionAndAppendedToPrevResult) {
  NetConf conf = *ParseNetConf(Call(Rendered()));
  json r = BuildResult("1.0.0", json(), "net1", "02:00:00:00:00:09", "/run/netns/p", "0000:41:00.2",
                       "192.168.100.17/24", conf);
  EXPECT_EQ(r["cniVersion"], "1.0.0");
  EXPECT_EQ(r["interfaces"][0], json({{"name", "net1"}, {"mac", "02:00:00:00:00:09"}, {"sandbox", "/run/netns/p"},
                                      {"pciID", "0000:41:00.2"}}));
  EXPECT_EQ(r["ips"][0], json({{"address", "192.168.100.17/24"}, {"gateway", "192.168.100.1"}, {"interface", 0}}));
  EXPECT_EQ(r["routes"][1], json({{"dst", "10.9.0.0/16"}}));
  json old = BuildResult("0.3.1", json(), "net1", "m", "/n", "p", "192.168.100.17/24", conf);
  EXPECT_EQ(old["ips"][0]["version"], "4");
  EXPECT_FALSE(old["interfaces"][0].contains("pciID"));
  json prev = {{"cniVersion", "1.0.0"}, {"interfaces", {{{"name", "eth0"}}}}, {"ips", json::array()}};
  json chained = BuildResult("1.0.0", prev, "net1", "m", "/n", "p", "192.168.100.17/24", conf);
  ASSERT_EQ(chained["interfaces"].size(), 2u);
  EXPECT_EQ(chained["ips"][0]["interface"], 1);
}

}  // namespace
}  // namespace attach
