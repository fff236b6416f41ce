// The thin-Multus CNI runner with a logging fake plugin (a shell script that
// records each call's command, interface and stdin, and fails ADD when its
// config says "fail": true, with a CNI error JSON as a real plugin would).
#include "e2e/sim/kubelet/cni.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace fs = std::filesystem;

namespace simkubelet {
namespace {

TEST(NetworkSelections, ParsesBothFormsMultusAccepts) {
  std::vector<NetworkSelection> s;
  ASSERT_EQ(ParseNetworkSelections("roce, other/roce2@eth5", "default", &s), "");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].ns, "default");
  EXPECT_EQ(s[0].name, "roce");
  EXPECT_EQ(s[0].ifname, "");
  EXPECT_EQ(s[1].ns, "other");
  EXPECT_EQ(s[1].name, "roce2");
  EXPECT_EQ(s[1].ifname, "eth5");
  ASSERT_EQ(ParseNetworkSelections(R"([{"name":"roce","interface":"rdma0","cni-args":{"a":"b"}}])", "ns1", &s), "");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].ns, "ns1");
  EXPECT_EQ(s[0].ifname, "rdma0");
  EXPECT_EQ(s[0].cni_args["a"], "b");
  EXPECT_EQ(ParseNetworkSelections(R"([{"interface":"x"}])", "ns1", &s),
            "k8s.v1.cni.cncf.io/networks: every element needs a string \"name\"");
  EXPECT_EQ(ParseNetworkSelections("[not json", "ns1", &s),
            "k8s.v1.cni.cncf.io/networks: not a JSON list of network selection elements");
}

TEST(DelegateConfig, InjectsDeviceIdIntoEveryPluginOfAConflist) {
  json list = json::parse(R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"},{"type":"b"}]})");
  json c = DelegateConfig(list, "0000:41:00.2", json());
  for (const auto& p : c["plugins"]) {
    EXPECT_EQ(p["deviceID"], "0000:41:00.2");
    EXPECT_EQ(p["pciBusID"], "0000:41:00.2");
  }
  json single = DelegateConfig(json::parse(R"({"type":"host-device"})"), "0000:41:00.3", json({{"k", "v"}}));
  EXPECT_EQ(single["pciBusID"], "0000:41:00.3");
  EXPECT_EQ(single["args"]["cni"]["k"], "v");
  EXPECT_FALSE(DelegateConfig(json::parse(R"({"type":"x"})"), "", json()).contains("deviceID"))
      << "a pod without the resource gets no deviceID";
}

class PodNetworkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sim-kubelet-cni-XXXXXX";
    dir_ = mkdtemp(tmpl);
    fs::create_directories(dir_ + "/bin");
    log_ = dir_ + "/calls.log";
    std::ofstream f(dir_ + "/bin/logplug");
    f << "#!/bin/sh\n"
         "in=$(cat)\n"
         "printf '%s %s %s %s\\n' \"$CNI_COMMAND\" \"$CNI_IFNAME\" \"$CNI_NETNS\" \"$in\" >> "
      << log_
      << "\n"
         "case \"$in\" in *'\"fail\":true'*) if [ \"$CNI_COMMAND\" = ADD ]; then\n"
         "  echo '{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":\"no VF here\",\"details\":\"pci 0000:00:00.9\"}'; "
         "exit 1; fi;; esac\n"
         "if [ \"$CNI_COMMAND\" = ADD ]; then echo '{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"'$CNI_IFNAME'\"}],"
         "\"ips\":[{\"address\":\"10.1.0.5/24\"}]}'; fi\n";
    f.close();
    chmod((dir_ + "/bin/logplug").c_str(), 0755);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::vector<std::string> Calls() {
    std::ifstream f(log_);
    std::vector<std::string> out;
    for (std::string line; std::getline(f, line);) out.push_back(line);
    return out;
  }
  json StdinOf(const std::string& call) { return json::parse(call.substr(call.find('{'))); }

  std::string dir_, log_;
  PodSandbox sb_{"sim-uid1", "/run/netns/test-ns", "default", "p1", "uid1"};
};

TEST_F(PodNetworkerTest, ChainsPrevResultCachesAndDeletesInReverse) {
  PodNetworker n(dir_ + "/bin", dir_ + "/cache");
  json list = json::parse(
      R"({"cniVersion":"1.0.0","name":"roce","plugins":[{"type":"logplug","capabilities":{"deviceID":true}},{"type":"logplug","step":2}]})");
  Attachment primary{"primary", "eth0", json::parse(R"({"cniVersion":"1.0.0","name":"pri","type":"logplug"})"), ""};
  Attachment roce{"default/roce", "net1", DelegateConfig(list, "0000:41:00.2", json()), "0000:41:00.2"};
  std::vector<json> results;
  ASSERT_EQ(n.Add(sb_, {primary, roce}, &results), "");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(FirstIp(results[0]), "10.1.0.5");
  auto calls = Calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].substr(0, 29), "ADD eth0 /run/netns/test-ns {");
  json first = StdinOf(calls[1]), second = StdinOf(calls[2]);
  EXPECT_EQ(first["name"], "roce");
  EXPECT_EQ(first["cniVersion"], "1.0.0");
  EXPECT_EQ(first["deviceID"], "0000:41:00.2");
  EXPECT_EQ(first["runtimeConfig"]["deviceID"], "0000:41:00.2") << "declared capability";
  EXPECT_FALSE(first.contains("prevResult"));
  EXPECT_FALSE(second.contains("runtimeConfig")) << "capability not declared";
  EXPECT_EQ(second["prevResult"]["interfaces"][0]["name"], "net1");
  EXPECT_EQ(second["pciBusID"], "0000:41:00.2");

  ASSERT_EQ(n.Del(sb_), "");
  calls = Calls();
  ASSERT_EQ(calls.size(), 6u);
  EXPECT_EQ(calls[3].substr(0, 8), "DEL net1");
  EXPECT_EQ(StdinOf(calls[3])["step"], 2) << "last plugin of the conflist first";
  EXPECT_EQ(StdinOf(calls[3])["prevResult"]["ips"][0]["address"], "10.1.0.5/24");
  EXPECT_EQ(StdinOf(calls[4])["deviceID"], "0000:41:00.2") << "DEL uses the ADD-time config";
  EXPECT_EQ(calls[5].substr(0, 8), "DEL eth0");
  ASSERT_EQ(n.Del(sb_), "") << "a repeated DEL with no cache is success";
  EXPECT_EQ(Calls().size(), 6u);
}

TEST_F(PodNetworkerTest, AFailedAddRollsBackWhatWasAdded) {
  PodNetworker n(dir_ + "/bin", dir_ + "/cache");
  Attachment ok{"default/a", "net1", json::parse(R"({"cniVersion":"1.0.0","name":"a","type":"logplug"})"), ""};
  Attachment bad{"default/b", "net2", json::parse(R"({"cniVersion":"1.0.0","name":"b","type":"logplug","fail":true})"),
                 ""};
  std::vector<json> results;
  EXPECT_EQ(n.Add(sb_, {ok, bad}, &results),
            "network \"default/b\" (net2): plugin type=\"logplug\" failed (ADD): CNI error 11: no VF here "
            "(pci 0000:00:00.9)");
  auto calls = Calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[2].substr(0, 8), "DEL net1");
  EXPECT_FALSE(fs::exists(dir_ + "/cache/sim-uid1"));
  Attachment missing{"default/c", "net1", json::parse(R"({"cniVersion":"1.0.0","name":"c","type":"nosuch"})"), ""};
  EXPECT_EQ(n.Add(sb_, {missing}, &results),
            "network \"default/c\" (net1): failed to find plugin \"nosuch\" in path [" + dir_ + "/bin]");
}

// --agent-socket-dir: each plugin sees its own node's dir at
// /run/rdma-agent (a private mount namespace per call), and nothing of it
// shows on the host. Needs root (mount).
TEST_F(PodNetworkerTest, EachNodesPluginsSeeItsAgentDirAtTheDefaultPath) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  std::ofstream f(dir_ + "/bin/seeplug");
  f << "#!/bin/sh\ncat >/dev/null\n"
       "echo '{\"cniVersion\":\"1.0.0\",\"dns\":{\"domain\":\"'\"$(cat /run/rdma-agent/node)\"'\"}}'\n";
  f.close();
  chmod((dir_ + "/bin/seeplug").c_str(), 0755);
  json conf = json::parse(R"({"cniVersion":"1.0.0","name":"roce","type":"seeplug"})");
  for (const std::string node : {"node-a", "node-b"}) {
    fs::create_directories(dir_ + "/" + node);
    std::ofstream(dir_ + "/" + node + "/node") << node;
    PodNetworker n(dir_ + "/bin", dir_ + "/cache-" + node, dir_ + "/" + node);
    std::vector<json> results;
    ASSERT_EQ(n.Add(sb_, {{"default/roce", "net1", conf, ""}}, &results), "");
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0]["dns"]["domain"], node);
  }
  EXPECT_FALSE(fs::exists(std::string(kAgentSocketMount) + "/node")) << "the bind mount stayed in the plugin";
}

}  // namespace
}  // namespace simkubelet
