#include "api/network_attachment_definition.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace api {
namespace {

using nlohmann::json;

json Nad(const std::string& config) {
  return {{"apiVersion", "k8s.cni.cncf.io/v1"},
          {"kind", "NetworkAttachmentDefinition"},
          {"metadata",
           {{"name", "roce-net"},
            {"namespace", "ml"},
            {"annotations", {{"k8s.v1.cni.cncf.io/resourceName", "rdma.dev/roce"}}}}},
          {"spec", {{"config", config}}}};
}

TEST(NetworkAttachmentDefinitionTest, RoundTripsAndChecksTheCniConfig) {
  json doc = Nad(R"({"cniVersion": "1.0.0", "name": "roce-net", "type": "rdma-cni"})");
  NetworkAttachmentDefinition nad;
  ASSERT_THAT(FromJson(doc, &nad), ::testing::IsEmpty());
  EXPECT_EQ(ToJson(nad), doc);
  EXPECT_THAT(Validate(nad), ::testing::IsEmpty());
  EXPECT_EQ(nad.metadata.annotations["k8s.v1.cni.cncf.io/resourceName"], "rdma.dev/roce");

  for (const char* bad : {"", "not json", "[]", R"({"type": "rdma-cni"})", R"({"cniVersion": "1.0.0"})"}) {
    ASSERT_THAT(FromJson(Nad(bad), &nad), ::testing::IsEmpty());
    FieldErrors errors = Validate(nad);
    ASSERT_FALSE(errors.empty()) << bad;
    EXPECT_EQ(errors[0].path, "spec.config");
  }
}

}  // namespace
}  // namespace api
