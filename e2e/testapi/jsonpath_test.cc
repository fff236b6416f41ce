// The JSONPath subset CRD printer columns use.
#include "e2e/testapi/jsonpath.h"

#include <gtest/gtest.h>

namespace testapi {
namespace {

using json = nlohmann::json;

const json kObj = json::parse(R"({
  "spec": {"replicas": 3, "nodes": ["a", "b", "c"]},
  "status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "Synced", "status": "False"}]}})");

std::vector<json> Eval(const std::string& path) {
  std::string err;
  auto out = EvalJsonPath(kObj, path, &err);
  EXPECT_TRUE(out.has_value()) << path << ": " << err;
  return out.value_or(std::vector<json>{});
}

TEST(JsonPathTest, Fields) {
  EXPECT_EQ(Eval(".spec.replicas"), std::vector<json>{3});
  EXPECT_TRUE(Eval(".spec.missing").empty());
  EXPECT_TRUE(Eval(".spec.replicas.deeper").empty());
}

TEST(JsonPathTest, IndexesIncludingNegativeAndOutOfRange) {
  EXPECT_EQ(Eval(".spec.nodes[0]"), std::vector<json>{"a"});
  EXPECT_EQ(Eval(".spec.nodes[-1]"), std::vector<json>{"c"});
  EXPECT_TRUE(Eval(".spec.nodes[7]").empty());
  EXPECT_EQ(Eval(".spec.nodes[*]"), (std::vector<json>{"a", "b", "c"}));
}

TEST(JsonPathTest, Filters) {
  EXPECT_EQ(Eval(R"(.status.conditions[?(@.type=="Ready")].status)"), std::vector<json>{"True"});
  EXPECT_EQ(Eval(R"(.status.conditions[?(@.type!="Ready")].type)"), std::vector<json>{"Synced"});
  EXPECT_TRUE(Eval(R"(.status.conditions[?(@.type=="None")].status)").empty());
}

TEST(JsonPathTest, UnsupportedPathsAreErrorsNamingThePath) {
  for (std::string path : {".spec.nodes[0", ".spec.nodes[x]", R"x(.status.conditions[?(@.type=="Ready)x",
                           R"(.status.conditions[?(type=="Ready")])", ".spec..replicas x"}) {
    std::string err;
    auto out = EvalJsonPath(kObj, path, &err);
    EXPECT_FALSE(out.has_value()) << path;
    EXPECT_NE(err.find(path), std::string::npos) << path << " -> " << err;
  }
}

}  // namespace
}  // namespace testapi
