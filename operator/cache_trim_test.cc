#include "operator/cache_trim.h"

#include <gtest/gtest.h>

#include "api/rdma_node_state.h"
#include "api/test_files.h"
#include "api/yaml_documents.h"

namespace rdma_operator {
namespace {

using json = nlohmann::json;

json LoadOne(const std::string& relative) {
  std::string error;
  auto docs = api::ParseYamlDocuments(api::testing::ReadFile(api::testing::SourceDir() / relative), &error);
  EXPECT_EQ(error, "");
  EXPECT_EQ(docs.size(), 1u);
  return docs.empty() ? json::object() : docs[0];
}

// The trimmed node state must still tell the operator everything it decides
// on — the spec it compares and rewrites, the metadata an update sends back,
// the reported PFs it selects from and whether the node is in sync — while
// the per-VF and firmware report is gone.
TEST(CacheTrim, NodeStateKeepsWhatTheOperatorReadsAndWrites) {
  json full = LoadOne("api/testdata/rdmanodestate.yaml");
  full["metadata"]["managedFields"] = json::array({{{"manager", "rdma-agent"}, {"operation", "Update"}}});
  full["metadata"]["annotations"]["rdma.dev/conflicts"] = "a and b disagree";
  json trimmed = full;
  TrimNodeState(trimmed);

  api::RdmaNodeState before, after;
  ASSERT_TRUE(api::FromJson(full, &before).empty());
  ASSERT_TRUE(api::FromJson(trimmed, &after).empty());
  ASSERT_TRUE(before.status && after.status);
  ASSERT_FALSE(before.status->interfaces.empty());
  ASSERT_FALSE(before.status->interfaces[0].vfs.empty());  // the test data has something to trim
  ASSERT_FALSE(before.status->conditions.empty());

  EXPECT_EQ(trimmed["spec"], full["spec"]);
  EXPECT_EQ(trimmed["metadata"]["annotations"], full["metadata"]["annotations"]);
  EXPECT_FALSE(trimmed["metadata"].contains("managedFields"));
  EXPECT_EQ(after.status->sync_state, before.status->sync_state);
  EXPECT_EQ(after.status->applied_generation, before.status->applied_generation);
  EXPECT_FALSE(after.status->last_apply);
  EXPECT_TRUE(after.status->conditions.empty());
  ASSERT_EQ(after.status->interfaces.size(), before.status->interfaces.size());
  for (size_t i = 0; i < before.status->interfaces.size(); ++i) {
    const auto& b = before.status->interfaces[i];
    const auto& a = after.status->interfaces[i];
    EXPECT_EQ(a.pci_address, b.pci_address);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.vendor, b.vendor);
    EXPECT_EQ(a.device_id, b.device_id);
    EXPECT_EQ(a.link_type, b.link_type);
    EXPECT_EQ(a.total_vfs, b.total_vfs);
    EXPECT_EQ(a.num_vfs, b.num_vfs);  // the rollout compares it with the spec
    EXPECT_TRUE(a.vfs.empty());
    EXPECT_FALSE(a.firmware);
    EXPECT_EQ(a.node_guid, "");
  }
}

TEST(CacheTrim, NodeKeepsNameUidLabelsAndReadinessButNotTheRestOfStatus) {
  json node = {{"apiVersion", "v1"},
               {"kind", "Node"},
               {"metadata",
                {{"name", "worker-1"},
                 {"uid", "u-1"},
                 {"resourceVersion", "7"},
                 {"labels", {{"rdma.dev/capable", "true"}}},
                 {"annotations", {{"volumes.kubernetes.io/controller-managed-attach-detach", "true"}}}}},
               {"spec", {{"unschedulable", true}}},
               {"status",
                {{"images", json::array({{{"names", {"registry/huge:1"}}, {"sizeBytes", 1}}})},
                 {"conditions",
                  {{{"type", "MemoryPressure"}, {"status", "False"}},
                   {{"type", "Ready"},
                    {"status", "False"},
                    {"lastHeartbeatTime", "2026-12-04T10:00:00Z"},
                    {"reason", "KubeletNotReady"}}}}}}};
  json heartbeat = node;
  heartbeat["status"]["conditions"][1]["lastHeartbeatTime"] = "2026-12-04T10:00:40Z";
  TrimNode(node);
  TrimNode(heartbeat);
  EXPECT_EQ(node["metadata"]["name"], "worker-1");
  EXPECT_EQ(node["metadata"]["uid"], "u-1");
  EXPECT_EQ(node["metadata"]["resourceVersion"], "7");
  EXPECT_EQ(node["metadata"]["labels"]["rdma.dev/capable"], "true");
  EXPECT_EQ(node["spec"]["unschedulable"], true);
  EXPECT_FALSE(node["metadata"].contains("annotations"));
  EXPECT_EQ(node["status"], json::parse(R"({"conditions":[{"type":"Ready","status":"False"}]})"));
  EXPECT_EQ(heartbeat, node);  // a heartbeat changes nothing the operator keeps
}

TEST(CacheTrim, CrdKeepsNamesAndConditionsButNotSchemasOrAnnotations) {
  json crd = LoadOne("crds/third-party/k8s.cni.cncf.io_network-attachment-definitions.yaml");
  crd["status"] = {{"conditions", {{{"type", "Established"}, {"status", "True"}}}}, {"storedVersions", {"v1"}}};
  crd["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = crd.dump();
  crd["metadata"]["uid"] = "u-1";
  crd["metadata"]["resourceVersion"] = "9";
  const json names = crd["spec"]["names"];
  ASSERT_TRUE(crd["spec"].contains("versions"));
  TrimCrd(crd);
  EXPECT_EQ(crd["metadata"]["name"], "network-attachment-definitions.k8s.cni.cncf.io");
  EXPECT_EQ(crd["metadata"]["uid"], "u-1");
  EXPECT_EQ(crd["metadata"]["resourceVersion"], "9");
  EXPECT_FALSE(crd["metadata"].contains("annotations"));
  EXPECT_EQ(crd["spec"]["group"], "k8s.cni.cncf.io");
  EXPECT_EQ(crd["spec"]["names"], names);
  EXPECT_FALSE(crd["spec"].contains("versions"));
  EXPECT_EQ(crd["status"]["conditions"][0]["type"], "Established");
  EXPECT_FALSE(crd["status"].contains("storedVersions"));
}

TEST(CacheTrim, OddShapesAreLeftAloneNotCrashedOn) {
  json odd = {{"metadata", "not an object"}, {"status", {{"interfaces", "not a list"}}}};
  const json copy = odd;
  TrimNodeState(odd);
  TrimNode(odd);
  TrimCrd(odd);
  EXPECT_EQ(odd["metadata"], copy["metadata"]);
  json no_meta = json::object();
  TrimManagedFields(no_meta);
  EXPECT_EQ(no_meta, json::object());
}

}  // namespace
}  // namespace rdma_operator
