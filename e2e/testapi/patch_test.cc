// Strategic merge patch and server-side apply as kubectl's patches see them.
#include "e2e/testapi/patch.h"

#include <gtest/gtest.h>

namespace testapi {
namespace {

using json = nlohmann::json;

json Pod() {
  return json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "p", "labels": {"app": "a", "tier": "t"}, "finalizers": ["f1"]},
    "spec": {
      "containers": [
        {"name": "main", "image": "img:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
        {"name": "side", "image": "side:1"}
      ],
      "tolerations": [{"key": "k1"}, {"key": "k2"}]
    }})");
}

json Smp(const json& original, const std::string& patch) {
  std::string err;
  auto out = StrategicMergePatch(original, json::parse(patch), &err);
  EXPECT_TRUE(out.has_value()) << err;
  return out.value_or(json());
}

TEST(StrategicMergePatchTest, ContainersMergeByName) {
  auto out = Smp(Pod(), R"({"spec": {"containers": [{"name": "main", "image": "img:2"}]}})");
  const auto& cs = out["spec"]["containers"];
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0]["name"], "main");
  EXPECT_EQ(cs[0]["image"], "img:2");
  EXPECT_EQ(cs[0]["env"].size(), 2u);  // untouched fields of the merged element stay
  EXPECT_EQ(cs[1]["image"], "side:1");
}

TEST(StrategicMergePatchTest, NewElementIsAppended) {
  auto out = Smp(Pod(), R"({"spec": {"containers": [{"name": "extra", "image": "e:1"}]}})");
  ASSERT_EQ(out["spec"]["containers"].size(), 3u);
  EXPECT_EQ(out["spec"]["containers"][2]["name"], "extra");
}

TEST(StrategicMergePatchTest, PatchDeleteRemovesTheElement) {
  auto out = Smp(Pod(), R"({"spec": {"containers": [{"name": "side", "$patch": "delete"}]}})");
  ASSERT_EQ(out["spec"]["containers"].size(), 1u);
  EXPECT_EQ(out["spec"]["containers"][0]["name"], "main");
}

TEST(StrategicMergePatchTest, NestedListsMergeByTheirOwnKey) {
  auto out = Smp(Pod(), R"({"spec": {"containers": [{"name": "main", "env": [{"name": "B", "value": "9"}]}]}})");
  const auto& env = out["spec"]["containers"][0]["env"];
  ASSERT_EQ(env.size(), 2u);
  EXPECT_EQ(env[0], json({{"name", "A"}, {"value", "1"}}));
  EXPECT_EQ(env[1], json({{"name", "B"}, {"value", "9"}}));
}

TEST(StrategicMergePatchTest, ListWithoutMergeKeyIsReplaced) {
  auto out = Smp(Pod(), R"({"spec": {"tolerations": [{"key": "k3"}]}})");
  EXPECT_EQ(out["spec"]["tolerations"], json::parse(R"([{"key": "k3"}])"));
}

TEST(StrategicMergePatchTest, PatchReplaceOnAListReplacesIt) {
  auto out = Smp(Pod(), R"({"spec": {"containers": [{"$patch": "replace"}, {"name": "only", "image": "o"}]}})");
  EXPECT_EQ(out["spec"]["containers"], json::parse(R"([{"name": "only", "image": "o"}])"));
}

TEST(StrategicMergePatchTest, NullRemovesAMapKey) {
  auto out = Smp(Pod(), R"({"metadata": {"labels": {"tier": null, "new": "n"}}})");
  EXPECT_EQ(out["metadata"]["labels"], json({{"app", "a"}, {"new", "n"}}));
}

TEST(StrategicMergePatchTest, PatchDeleteOnAMapRemovesIt) {
  auto out = Smp(Pod(), R"({"metadata": {"labels": {"$patch": "delete"}}})");
  EXPECT_FALSE(out["metadata"].contains("labels"));
}

TEST(StrategicMergePatchTest, RetainKeysDropsOtherKeys) {
  auto out = Smp(Pod(), R"({"metadata": {"labels": {"$retainKeys": ["app"], "app": "b"}}})");
  EXPECT_EQ(out["metadata"]["labels"], json({{"app", "b"}}));
}

TEST(StrategicMergePatchTest, FinalizersMergeAsASetAndDeleteFromPrimitiveList) {
  auto out = Smp(Pod(), R"({"metadata": {"finalizers": ["f1", "f2"]}})");
  EXPECT_EQ(out["metadata"]["finalizers"], json({"f1", "f2"}));
  out = Smp(out, R"({"metadata": {"$deleteFromPrimitiveList/finalizers": ["f1"]}})");
  EXPECT_EQ(out["metadata"]["finalizers"], json({"f2"}));
}

TEST(StrategicMergePatchTest, SetElementOrderIsIgnoredNotStored) {
  auto out = Smp(Pod(), R"({"spec": {"$setElementOrder/containers": [{"name": "side"}, {"name": "main"}]}})");
  EXPECT_FALSE(out["spec"].contains("$setElementOrder/containers"));
  EXPECT_EQ(out["spec"]["containers"].size(), 2u);
}

TEST(StrategicMergePatchTest, MalformedPatchesAreErrorsNotCrashes) {
  std::string err;
  EXPECT_FALSE(StrategicMergePatch(Pod(), json::array(), &err).has_value());
  EXPECT_FALSE(err.empty());
  err.clear();
  EXPECT_FALSE(StrategicMergePatch(Pod(), json::parse(R"({"spec": {"containers": [{"image": "x"}]}})"), &err));
  EXPECT_NE(err.find("name"), std::string::npos) << err;
  err.clear();
  EXPECT_FALSE(StrategicMergePatch(Pod(), json::parse(R"({"spec": {"containers": ["x"]}})"), &err));
  EXPECT_NE(err.find("containers"), std::string::npos) << err;
}

TEST(ApplyPatchTest, MapsMergeAndListsAreReplaced) {
  json live = Pod();
  json applied = json::parse(R"({"metadata": {"labels": {"app": "z"}},
                                 "spec": {"containers": [{"name": "main", "image": "img:3"}]}})");
  auto out = ApplyPatch(live, applied);
  EXPECT_EQ(out["metadata"]["labels"], json({{"app", "z"}, {"tier", "t"}}));
  EXPECT_EQ(out["spec"]["containers"], applied["spec"]["containers"]);
  EXPECT_EQ(out["spec"]["tolerations"], live["spec"]["tolerations"]);
}

}  // namespace
}  // namespace testapi
