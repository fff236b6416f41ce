#include "agent/cni/wire.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cni {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

Invocation MultusAdd() {
  Environment env = {{"CNI_COMMAND", "ADD"},
                     {"CNI_CONTAINERID", "abc123"},
                     {"CNI_NETNS", "/var/run/netns/pod-1"},
                     {"CNI_IFNAME", "net1"},
                     {"CNI_ARGS", "K8S_POD_NAMESPACE=ml;K8S_POD_NAME=trainer-0"},
                     {"CNI_PATH", "/opt/cni/bin"}};
  auto r = ParseInvocation(env, R"({"cniVersion":"1.1.0","name":"rdma-net","type":"rdma-cni",
      "deviceID":"0000:41:00.2","pciBusID":"0000:41:00.2","vlan":7,
      "prevResult":{"cniVersion":"1.1.0","interfaces":[{"name":"net1","mac":"02:00:00:00:00:01"}]}})");
  EXPECT_TRUE(r.ok()) << r.error().msg;
  return r.value();
}

TEST(Request, HasTheEnvFieldsAndTheConfigUnchanged) {
  Invocation inv = MultusAdd();
  json out = json::parse(EncodeRequest(inv));
  EXPECT_EQ(out["command"], "ADD");
  EXPECT_EQ(out["containerID"], "abc123");
  EXPECT_EQ(out["netns"], "/var/run/netns/pod-1");
  EXPECT_EQ(out["ifName"], "net1");
  EXPECT_EQ(out["args"], "K8S_POD_NAMESPACE=ml;K8S_POD_NAME=trainer-0");
  EXPECT_EQ(out["path"], "/opt/cni/bin");
  EXPECT_EQ(out["config"], inv.config);
  EXPECT_EQ(out["config"]["vlan"], 7);
  EXPECT_EQ(out.size(), 7u);
}

TEST(Request, DecodesToTheSameInvocation) {
  Invocation sent = MultusAdd();
  auto got = DecodeRequest(EncodeRequest(sent));
  ASSERT_TRUE(got.ok()) << got.error().msg;
  EXPECT_EQ(got->command, sent.command);
  EXPECT_EQ(got->container_id, sent.container_id);
  EXPECT_EQ(got->netns, sent.netns);
  EXPECT_EQ(got->ifname, sent.ifname);
  EXPECT_EQ(got->cni_args, sent.cni_args);
  EXPECT_EQ(got->path, sent.path);
  EXPECT_EQ(got->device_id, "0000:41:00.2");
  EXPECT_EQ(got->prev_result, sent.prev_result);
  EXPECT_EQ(got->config, sent.config);
}

TEST(Request, TheAgentValidatesLikeTheShim) {
  // A caller that skipped the shim: DEL without an interface name.
  auto r = DecodeRequest(R"({"command":"DEL","containerID":"abc","config":{"cniVersion":"1.0.0","name":"n","type":"t"}})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kInvalidEnvironment);
  EXPECT_THAT(r.error().msg, HasSubstr("CNI_IFNAME is not set"));
  auto no_config = DecodeRequest(R"({"command":"DEL","containerID":"abc","ifName":"net1"})");
  ASSERT_FALSE(no_config.ok());
  EXPECT_EQ(no_config.error().code, kDecodeFailure);
}

TEST(Request, MalformedRequestsAreCode6) {
  for (std::string text : {"", "[]", "{", R"({"command":5})", R"({"command":"ADD","netns":["x"]})"}) {
    auto r = DecodeRequest(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code, kDecodeFailure) << text;
  }
}

TEST(Reply, ResultRoundTrips) {
  json result = json::parse(R"({"cniVersion":"1.1.0","interfaces":[{"name":"net1","sandbox":"/var/run/netns/p"}]})");
  auto r = DecodeReply(EncodeResult(result));
  ASSERT_TRUE(r.ok()) << r.error().msg;
  EXPECT_FALSE(r->error);
  EXPECT_EQ(r->result, result);
  auto empty = DecodeReply(EncodeResult(nullptr));  // DEL's success
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->result.is_null());
}

TEST(Reply, ErrorRoundTrips) {
  CniError sent{102, "VF 0000:41:00.2 is attached to pod ml/trainer-1", "detach it first"};
  EXPECT_EQ(json::parse(EncodeError(sent)),
            json::parse(R"({"error":{"code":102,"msg":"VF 0000:41:00.2 is attached to pod ml/trainer-1",
                            "details":"detach it first"}})"));
  auto r = DecodeReply(EncodeError(sent));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->error);
  EXPECT_EQ(r->error->code, 102);
  EXPECT_EQ(r->error->msg, sent.msg);
  EXPECT_EQ(r->error->details, sent.details);
  auto no_details = DecodeReply(R"({"error":{"code":11,"msg":"busy"}})");
  ASSERT_TRUE(no_details.ok());
  EXPECT_EQ(no_details->error->details, "");
}

TEST(Reply, MalformedRepliesAreCode100) {
  for (std::string text : {"", "garbage", "[]", "{}", R"({"result":{},"error":{"code":1}})", R"({"result":[1]})",
                           R"({"error":"boom"})", R"({"error":{"msg":"no code"}})", R"({"error":{"code":0}})",
                           R"({"error":{"code":"11"}})", R"({"error":{"code":11,"msg":3}})"}) {
    auto r = DecodeReply(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code, kBadAgentReply) << text;
    EXPECT_THAT(r.error().msg, HasSubstr("rdma-agent's reply cannot be read")) << text;
  }
}

}  // namespace
}  // namespace cni
