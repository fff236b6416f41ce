#include "e2e/testapi/resource_requirements.h"

#include <gtest/gtest.h>

namespace testapi {
namespace {

using nlohmann::json;

json PodWith(const json& resources, const char* list = "containers") {
  json pod = {{"spec", {{list, json::array({{{"name", "c"}, {"image", "i"}}})}}}};
  pod["spec"][list][0]["resources"] = resources;
  return pod;
}

// Defaults then validates, as admission does; returns "field: message" per cause.
std::vector<std::string> Admit(json pod) {
  std::vector<std::string> out;
  if (auto err = DefaultPodResources(pod)) return {"decode: " + *err};
  for (const auto& e : ValidatePodResources(pod)) out.push_back(e.field + ": " + e.message);
  return out;
}

TEST(ResourceRequirementsTest, ExtendedResourceNamesFollowTheRealServer) {
  EXPECT_TRUE(IsExtendedResourceName("rdma.dev/roce"));
  EXPECT_TRUE(IsExtendedResourceName("example.com/dev"));
  EXPECT_FALSE(IsExtendedResourceName("cpu"));
  EXPECT_FALSE(IsExtendedResourceName("hugepages-2Mi"));
  EXPECT_FALSE(IsExtendedResourceName("kubernetes.io/something"));
  EXPECT_FALSE(IsExtendedResourceName("foo.kubernetes.io/something"));
  EXPECT_FALSE(IsExtendedResourceName("requests.example.com/dev"));
  EXPECT_FALSE(IsExtendedResourceName("example.com/-bad"));
}

TEST(ResourceRequirementsTest, LimitsDefaultRequestsForEveryResourceInBothContainerLists) {
  for (const char* list : {"containers", "initContainers"}) {
    json pod = PodWith({{"limits", {{"example.com/dev", "1"}, {"cpu", "0.5"}}}, {"requests", {{"cpu", "100m"}}}},
                       list);
    ASSERT_FALSE(DefaultPodResources(pod));
    const json& r = pod["spec"][list][0]["resources"];
    EXPECT_EQ(r["requests"], json({{"example.com/dev", "1"}, {"cpu", "100m"}})) << list;
    EXPECT_EQ(r["limits"]["cpu"], "500m") << "canonical form";
  }
}

TEST(ResourceRequirementsTest, ExtendedResourcesMustBeWholeLimitedAndEqual) {
  EXPECT_TRUE(Admit(PodWith({{"limits", {{"example.com/dev", "2"}}}})).empty());
  EXPECT_TRUE(Admit(PodWith({{"limits", {{"example.com/dev", "2000m"}}}, {"requests", {{"example.com/dev", 2}}}}))
                  .empty());
  EXPECT_EQ(Admit(PodWith({{"requests", {{"example.com/dev", "1"}}}, {"limits", {{"example.com/dev", "2"}}}})),
            std::vector<std::string>{"spec.containers[0].resources.requests: Invalid value: \"1\": must be equal to "
                                     "example.com/dev limit of 2"});
  EXPECT_EQ(Admit(PodWith({{"requests", {{"example.com/dev", "1"}}}})),
            std::vector<std::string>{
                "spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable "
                "resources"});
  EXPECT_EQ(Admit(PodWith({{"limits", {{"example.com/dev", "500m"}}}}, "initContainers")),
            (std::vector<std::string>{
                "spec.initContainers[0].resources.limits[example.com/dev]: Invalid value: \"500m\": must be an "
                "integer",
                "spec.initContainers[0].resources.requests[example.com/dev]: Invalid value: \"500m\": must be an "
                "integer"}));
}

TEST(ResourceRequirementsTest, NativeResourcesMayOvercommitButNotExceedOrGoNegative) {
  EXPECT_TRUE(Admit(PodWith({{"limits", {{"cpu", "2"}}}, {"requests", {{"cpu", "1"}}}})).empty());
  EXPECT_TRUE(Admit(PodWith({{"requests", {{"memory", "1Gi"}}}})).empty());
  EXPECT_EQ(Admit(PodWith({{"limits", {{"cpu", "1"}}}, {"requests", {{"cpu", "2"}}}})),
            std::vector<std::string>{"spec.containers[0].resources.requests: Invalid value: \"2\": must be less "
                                     "than or equal to cpu limit of 1"});
  EXPECT_EQ(Admit(PodWith({{"limits", {{"memory", "-1"}}}})),
            (std::vector<std::string>{
                "spec.containers[0].resources.limits[memory]: Invalid value: \"-1\": must be greater than or "
                "equal to 0",
                "spec.containers[0].resources.requests[memory]: Invalid value: \"-1\": must be greater than or "
                "equal to 0"}));
  EXPECT_EQ(Admit(PodWith({{"requests", {{"gpu", "1"}}}})),
            (std::vector<std::string>{
                "spec.containers[0].resources.requests[gpu]: Invalid value: \"gpu\": must be a standard resource "
                "type or fully qualified",
                "spec.containers[0].resources.requests[gpu]: Invalid value: \"gpu\": must be a standard resource "
                "for containers"}));
}

TEST(ResourceRequirementsTest, UnparseableQuantitiesFailTheDecode) {
  auto out = Admit(PodWith({{"limits", {{"cpu", "lots"}}}}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].find("quantities must match the regular expression"), std::string::npos) << out[0];
  out = Admit(PodWith({{"limits", "1"}}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].find("cannot unmarshal string"), std::string::npos) << out[0];
}

TEST(ResourceRequirementsTest, NodeCapacityIsCanonicalAndNonNegative) {
  json node = {{"status", {{"capacity", {{"rdma.dev/roce", "4"}, {"memory", "2048Mi"}}},
                           {"allocatable", {{"rdma.dev/roce", 3}}}}}};
  ASSERT_FALSE(DefaultNodeResources(node));
  EXPECT_EQ(node["status"]["capacity"]["memory"], "2Gi");
  EXPECT_EQ(node["status"]["allocatable"]["rdma.dev/roce"], "3");
  EXPECT_TRUE(ValidateNodeResources(node).empty());
  node["status"]["capacity"]["rdma.dev/roce"] = "-1";
  node["status"]["allocatable"]["rdma.dev/roce"] = "1500m";
  auto errs = ValidateNodeResources(node);
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_EQ(errs[0].field, "status.capacity.rdma.dev/roce");
  EXPECT_EQ(errs[0].message, "Invalid value: \"-1\": must be greater than or equal to 0");
  EXPECT_EQ(errs[1].field, "status.allocatable.rdma.dev/roce");
  EXPECT_EQ(errs[1].message, "Invalid value: \"1500m\": must be an integer");
}

}  // namespace
}  // namespace testapi
