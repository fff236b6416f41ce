#include "agent/cni/protocol.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cni {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// What Multus gives a NAD delegate at ADD (ATTACH-FACTS.md §2): both
// top-level device fields, repeated CNI_ARGS keys.
Environment AddEnv() {
  return {{"CNI_COMMAND", "ADD"},
          {"CNI_CONTAINERID", "3f1c0e9a2b"},
          {"CNI_NETNS", "/var/run/netns/cni-1234"},
          {"CNI_IFNAME", "net1"},
          {"CNI_ARGS", "IgnoreUnknown=true;K8S_POD_NAMESPACE=ml;K8S_POD_NAME=trainer-0;K8S_POD_NAMESPACE=ml"},
          {"CNI_PATH", "/opt/cni/bin:/usr/libexec/cni"}};
}

json MultusConfig() {
  return json::parse(R"({
    "cniVersion": "1.0.0",
    "name": "rdma-net",
    "type": "rdma-cni",
    "deviceID": "0000:41:00.2",
    "pciBusID": "0000:41:00.2",
    "args": {"cni": {"foo": "bar"}},
    "prevResult": {"cniVersion": "1.0.0", "interfaces": [{"name": "net1"}]},
    "ipam": {"type": "host-local"}
  })");
}

Result<Invocation> Parse(const Environment& env, const json& config) { return ParseInvocation(env, config.dump()); }

void ExpectError(const Result<Invocation>& r, int code, const std::string& text) {
  ASSERT_FALSE(r.ok()) << "expected code " << code;
  EXPECT_EQ(r.error().code, code) << r.error().msg;
  EXPECT_THAT(r.error().msg + " " + r.error().details, HasSubstr(text));
}

TEST(ParseInvocation, ReadsEveryFieldOfAMultusAdd) {
  auto r = Parse(AddEnv(), MultusConfig());
  ASSERT_TRUE(r.ok()) << r.error().msg;
  const Invocation& inv = r.value();
  EXPECT_EQ(inv.command, Command::kAdd);
  EXPECT_EQ(inv.container_id, "3f1c0e9a2b");
  EXPECT_EQ(inv.netns, "/var/run/netns/cni-1234");
  EXPECT_EQ(inv.ifname, "net1");
  EXPECT_EQ(inv.path, "/opt/cni/bin:/usr/libexec/cni");
  EXPECT_EQ(inv.args, AddEnv()["CNI_ARGS"]);
  ASSERT_EQ(inv.cni_args.size(), 4u);
  EXPECT_EQ(inv.cni_args[1], (std::pair<std::string, std::string>{"K8S_POD_NAMESPACE", "ml"}));
  EXPECT_EQ(inv.cni_args[3].first, "K8S_POD_NAMESPACE");  // repeats kept
  EXPECT_EQ(inv.cni_version, "1.0.0");
  EXPECT_EQ(inv.network_name, "rdma-net");
  EXPECT_EQ(inv.type, "rdma-cni");
  EXPECT_EQ(inv.device_id, "0000:41:00.2");
  EXPECT_EQ(inv.prev_result["interfaces"][0]["name"], "net1");
  EXPECT_EQ(inv.config_args["cni"]["foo"], "bar");
  EXPECT_EQ(inv.config, MultusConfig());  // unknown fields (ipam) kept to forward
  EXPECT_EQ(inv.agent_socket, "/run/rdma-agent/cni.sock");
  EXPECT_EQ(inv.agent_timeout, std::chrono::seconds(30));
}

TEST(ParseInvocation, DeviceIdFromEachPlace) {
  for (const char* field : {"deviceID", "pciBusID"}) {
    json config = MultusConfig();
    config.erase("deviceID");
    config.erase("pciBusID");
    config[field] = "0000:41:00.5";
    auto r = Parse(AddEnv(), config);
    ASSERT_TRUE(r.ok()) << field << ": " << r.error().msg;
    EXPECT_EQ(r->device_id, "0000:41:00.5") << field;
  }
  json config = MultusConfig();
  config.erase("deviceID");
  config.erase("pciBusID");
  config["runtimeConfig"] = {{"deviceID", "0000:41:00.6"}};
  auto r = Parse(AddEnv(), config);
  ASSERT_TRUE(r.ok()) << r.error().msg;
  EXPECT_EQ(r->device_id, "0000:41:00.6");
}

TEST(ParseInvocation, DisagreeingDeviceIdsAreRefused) {
  json config = MultusConfig();
  config["runtimeConfig"] = {{"deviceID", "0000:41:00.3"}};
  ExpectError(Parse(AddEnv(), config), kInvalidConfig, "runtimeConfig.deviceID=\"0000:41:00.3\"");
}

TEST(ParseInvocation, AddWithoutDeviceIdNamesTheResourceAnnotation) {
  json config = MultusConfig();
  config.erase("deviceID");
  config.erase("pciBusID");
  ExpectError(Parse(AddEnv(), config), kInvalidConfig, "k8s.v1.cni.cncf.io/resourceName");
  Environment check = AddEnv();
  check["CNI_COMMAND"] = "CHECK";
  ExpectError(Parse(check, config), kInvalidConfig, "no device ID");
}

TEST(ParseInvocation, DelNeedsNeitherNetnsNorDeviceId) {
  Environment env = AddEnv();
  env["CNI_COMMAND"] = "DEL";
  env.erase("CNI_NETNS");
  json config = MultusConfig();
  config.erase("deviceID");
  config.erase("pciBusID");
  auto r = Parse(env, config);
  ASSERT_TRUE(r.ok()) << r.error().msg;
  EXPECT_EQ(r->command, Command::kDel);
  EXPECT_EQ(r->netns, "");
  EXPECT_EQ(r->device_id, "");
  env["CNI_NETNS"] = "";  // set but empty, as CRI-O sends after a reboot
  EXPECT_TRUE(Parse(env, config).ok());
}

TEST(ParseInvocation, RequiredVariablesPerCommand) {
  struct Case {
    std::string command, unset;
  };
  for (const Case& c : std::vector<Case>{{"ADD", "CNI_CONTAINERID"},
                                         {"ADD", "CNI_NETNS"},
                                         {"ADD", "CNI_IFNAME"},
                                         {"CHECK", "CNI_NETNS"},
                                         {"DEL", "CNI_CONTAINERID"},
                                         {"DEL", "CNI_IFNAME"}}) {
    Environment env = AddEnv();
    env["CNI_COMMAND"] = c.command;
    env.erase(c.unset);
    json config = MultusConfig();
    config["cniVersion"] = "1.1.0";
    SCOPED_TRACE(c.command + " without " + c.unset);
    ExpectError(Parse(env, config), kInvalidEnvironment, c.unset + " is not set");
  }
  // CNI_PATH is required only by GC.
  Environment env = AddEnv();
  env.erase("CNI_PATH");
  EXPECT_TRUE(Parse(env, MultusConfig()).ok());
  env["CNI_COMMAND"] = "GC";
  json config = MultusConfig();
  config["cniVersion"] = "1.1.0";
  ExpectError(Parse(env, config), kInvalidEnvironment, "CNI_PATH is not set");
}

TEST(ParseInvocation, StatusNeedsNoVariablesButGc11) {
  json config = MultusConfig();
  config["cniVersion"] = "1.1.0";
  auto status = Parse({{"CNI_COMMAND", "STATUS"}}, config);
  ASSERT_TRUE(status.ok()) << status.error().msg;
  EXPECT_EQ(status->command, Command::kStatus);
  config["cni.dev/valid-attachments"] = json::array({{{"containerID", "abc"}, {"ifname", "net1"}}});
  config.erase("deviceID");
  config.erase("pciBusID");
  auto gc = Parse({{"CNI_COMMAND", "GC"}, {"CNI_PATH", "/opt/cni/bin"}}, config);
  ASSERT_TRUE(gc.ok()) << gc.error().msg;
  EXPECT_EQ(gc->config["cni.dev/valid-attachments"][0]["ifname"], "net1");
}

TEST(ParseInvocation, CommandsAllowedPerVersion) {
  struct Case {
    std::string command, version;
    bool allowed;
  };
  for (const Case& c : std::vector<Case>{{"ADD", "0.3.1", true},
                                         {"DEL", "0.3.1", true},
                                         {"CHECK", "0.3.1", false},
                                         {"CHECK", "0.4.0", true},
                                         {"CHECK", "1.1.0", true},
                                         {"STATUS", "1.0.0", false},
                                         {"STATUS", "1.1.0", true},
                                         {"GC", "0.4.0", false},
                                         {"GC", "1.0.0", false},
                                         {"GC", "1.1.0", true}}) {
    Environment env = AddEnv();
    env["CNI_COMMAND"] = c.command;
    json config = MultusConfig();
    config["cniVersion"] = c.version;
    auto r = Parse(env, config);
    SCOPED_TRACE(c.command + " at " + c.version);
    if (c.allowed) {
      EXPECT_TRUE(r.ok()) << r.error().msg;
    } else {
      ExpectError(r, kIncompatibleVersion, c.command + " needs cniVersion");
    }
  }
}

TEST(ParseInvocation, UnsupportedVersionsListWhatWorks) {
  for (json version : {json("0.2.0"), json("1.2.0"), json(""), json()}) {
    json config = MultusConfig();
    if (version.is_null()) {
      config.erase("cniVersion");
    } else {
      config["cniVersion"] = version;
    }
    SCOPED_TRACE(version.dump());
    ExpectError(Parse(AddEnv(), config), kIncompatibleVersion, "0.3.1, 0.4.0, 1.0.0, 1.1.0");
  }
  json config = MultusConfig();
  config["cniVersion"] = 1.0;
  ExpectError(Parse(AddEnv(), config), kInvalidConfig, "cniVersion must be a string");
}

TEST(ParseInvocation, BadEnvironment) {
  struct Case {
    std::string name, value, text;
  };
  for (const Case& c : std::vector<Case>{
           {"CNI_COMMAND", "", "CNI_COMMAND is not set"},
           {"CNI_COMMAND", "add", "unknown CNI_COMMAND \"add\""},
           {"CNI_CONTAINERID", "-abc", "not a valid container ID"},
           {"CNI_CONTAINERID", "abc/def", "not a valid container ID"},
           {"CNI_NETNS", "netns-1", "not an absolute path"},
           {"CNI_IFNAME", "averyveryverylongname", "longer than 15"},
           {"CNI_IFNAME", "..", "'.' and '..'"},
           {"CNI_IFNAME", "net 1", "whitespace"},
           {"CNI_IFNAME", "eth0:1", "':'"},
           {"CNI_ARGS", "IgnoreUnknown=true;K8S_POD_NAME", "\"K8S_POD_NAME\" is not KEY=VALUE"},
           {"CNI_ARGS", "=x", "is not KEY=VALUE"},
           {"CNI_NETNS", "/run/netns/\xff", "CNI_NETNS is not valid UTF-8"},
           {"CNI_ARGS", "K=\xc0\x80", "CNI_ARGS is not valid UTF-8"},      // overlong NUL
           {"CNI_PATH", "/opt/\xed\xa0\x80", "CNI_PATH is not valid UTF-8"},  // a surrogate
       }) {
    Environment env = AddEnv();
    env[c.name] = c.value;
    SCOPED_TRACE(c.name + "=" + c.value);
    ExpectError(Parse(env, MultusConfig()), kInvalidEnvironment, c.text);
  }
  Environment utf8 = AddEnv();
  utf8["CNI_NETNS"] = "/run/netns/p\xc3\xa9\xf0\x9f\x98\x80";  // "pé" and an emoji
  EXPECT_TRUE(Parse(utf8, MultusConfig()).ok());
  Environment env = AddEnv();
  env["CNI_ARGS"] = ";IgnoreUnknown=1;;K=a=b;";  // empty entries skipped, value keeps its '='
  auto r = Parse(env, MultusConfig());
  ASSERT_TRUE(r.ok()) << r.error().msg;
  ASSERT_EQ(r->cni_args.size(), 2u);
  EXPECT_EQ(r->cni_args[1].second, "a=b");
}

TEST(ParseInvocation, StdinThatIsNotAJsonObjectIsCode6) {
  for (std::string text : {"", "{", "not json", "[1,2]", "\"rdma\"", "null"}) {
    SCOPED_TRACE(text);
    auto r = ParseInvocation(AddEnv(), text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, kDecodeFailure);
    EXPECT_THAT(r.error().msg, HasSubstr("network config on stdin"));
  }
}

TEST(ParseInvocation, BadConfigFieldsAreCode7) {
  struct Case {
    std::string field;
    json value;
    std::string text;
  };
  for (const Case& c : std::vector<Case>{
           {"name", json(), "network name \"\""},
           {"name", "rdma net", "network name \"rdma net\""},
           {"name", 5, "name must be a string"},
           {"type", json(), "type is missing"},
           {"deviceID", 41, "deviceID must be a string"},
           {"pciBusID", json::array(), "pciBusID must be a string"},
           {"runtimeConfig", "x", "runtimeConfig must be a JSON object"},
           {"prevResult", json::array(), "prevResult must be a JSON object"},
           {"args", "K=V", "args must be a JSON object"},
           {"agentSocket", "run/agent.sock", "not an absolute path"},
           {"agentSocket", "/" + std::string(120, 'a'), "longer than 107 bytes"},
           {"agentTimeoutSeconds", 0, "agentTimeoutSeconds must be"},
           {"agentTimeoutSeconds", -3, "agentTimeoutSeconds must be"},
           {"agentTimeoutSeconds", "30", "agentTimeoutSeconds must be"},
           {"agentTimeoutSeconds", 4000, "agentTimeoutSeconds must be"},
       }) {
    json config = MultusConfig();
    if (c.value.is_null()) {
      config.erase(c.field);
    } else {
      config[c.field] = c.value;
    }
    SCOPED_TRACE(c.field + "=" + c.value.dump());
    ExpectError(Parse(AddEnv(), config), kInvalidConfig, c.text);
  }
  json config = MultusConfig();
  config["runtimeConfig"] = {{"deviceID", 7}};
  ExpectError(Parse(AddEnv(), config), kInvalidConfig, "runtimeConfig.deviceID must be a string");
}

TEST(ParseInvocation, AgentSettingsFromTheConfig) {
  json config = MultusConfig();
  config["agentSocket"] = "/tmp/agent/cni.sock";
  config["agentTimeoutSeconds"] = 2.5;
  auto r = Parse(AddEnv(), config);
  ASSERT_TRUE(r.ok()) << r.error().msg;
  EXPECT_EQ(r->agent_socket, "/tmp/agent/cni.sock");
  EXPECT_EQ(r->agent_timeout, std::chrono::milliseconds(2500));
}

TEST(Version, AnswersTheRequestedVersionAndTheSupportedList) {
  auto r = ParseInvocation({{"CNI_COMMAND", "VERSION"}}, R"({"cniVersion":"0.4.0"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->command, Command::kVersion);
  json out = json::parse(VersionJson(r->cni_version));
  EXPECT_EQ(out["cniVersion"], "0.4.0");
  EXPECT_EQ(out["supportedVersions"], json::parse(R"(["0.3.1","0.4.0","1.0.0","1.1.0"])"));
  // No stdin, garbage or a version we do not know: answer with our latest.
  for (std::string text : {"", "garbage", R"({"cniVersion":"2.0.0"})"}) {
    auto v = ParseInvocation({{"CNI_COMMAND", "VERSION"}}, text);
    ASSERT_TRUE(v.ok()) << text;
    EXPECT_EQ(json::parse(VersionJson(v->cni_version))["cniVersion"], "1.1.0") << text;
  }
}

TEST(ErrorJson, HasTheSpecsFields) {
  json out = json::parse(ErrorJson(CniError{11, "try later", "agent down"}, "1.0.0"));
  EXPECT_EQ(out, json::parse(R"({"cniVersion":"1.0.0","code":11,"msg":"try later","details":"agent down"})"));
  // Non-UTF-8 from the environment does not break the output.
  json bad = json::parse(ErrorJson(CniError{4, "CNI_IFNAME \"\xff\" bad", ""}, "1.1.0"));
  EXPECT_EQ(bad["code"], 4);
}

TEST(AnswerVersion, UsesTheConfigsVersionWhenSupported) {
  EXPECT_EQ(AnswerVersion(R"({"cniVersion":"0.3.1"})"), "0.3.1");
  EXPECT_EQ(AnswerVersion(R"({"cniVersion":"0.1.0"})"), "1.1.0");
  EXPECT_EQ(AnswerVersion("{"), "1.1.0");
}

}  // namespace
}  // namespace cni
