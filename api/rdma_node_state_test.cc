#include "api/rdma_node_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/test_files.h"
#include "api/yaml_documents.h"

namespace api {
namespace {

using nlohmann::json;

json Fixture() {
  std::string error;
  auto docs = ParseYamlDocuments(
      testing::ReadFile(testing::SourceDir() / "api" / "testdata" / "rdmanodestate.yaml"), &error);
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_EQ(docs.size(), 1u);
  return docs.empty() ? json::object() : docs[0];
}

TEST(RdmaNodeStateTest, FullObjectRoundTripsAndValidates) {
  json doc = Fixture();
  RdmaNodeState state;
  ASSERT_THAT(FromJson(doc, &state), ::testing::IsEmpty());
  EXPECT_EQ(ToJson(state), doc) << json::diff(doc, ToJson(state)).dump();
  EXPECT_THAT(Validate(state), ::testing::IsEmpty());

  // What the agent and operator read from it.
  const InterfaceStatus* pf = FindInterface(*state.status, "0000:41:00.0");
  ASSERT_NE(pf, nullptr);
  EXPECT_EQ(pf->firmware->parameters[0].default_value, "False(0)");
  EXPECT_EQ(pf->vfs[0].node_guid, "02:3c:11:03:00:00:00:01");
  EXPECT_EQ(state.status->last_apply->phases[1].duration_milliseconds, 1130);
  EXPECT_TRUE(IsConditionTrue(state.status->conditions, kConditionReady));
  EXPECT_EQ(FindInterface(state.spec, "0000:41:00.0")->vf_groups[0].resource_name, "roce");
  EXPECT_EQ(FindInterface(state.spec, "0000:42:00.0"), nullptr);

  // The operator writes spec only when it changes: comparing specs is how
  // it knows.
  RdmaNodeState again;
  ASSERT_THAT(FromJson(doc, &again), ::testing::IsEmpty());
  EXPECT_EQ(again.spec, state.spec);
  again.spec.interfaces[0].vf_groups[0].last_vf = 0;
  EXPECT_EQ(again.spec, state.spec);
  again.spec.interfaces[0].num_vfs = 2;
  EXPECT_NE(again.spec, state.spec);
}

// A VF group's umad is what the device plugin reads; a group without it
// must not gain the field on a round trip, and changing it changes the spec
// (which is how the operator knows to write it).
TEST(RdmaNodeStateTest, VfGroupUmadRoundTripsAndIsPartOfTheSpec) {
  json doc = Fixture();
  RdmaNodeState without;
  ASSERT_THAT(FromJson(doc, &without), ::testing::IsEmpty());
  EXPECT_FALSE(without.spec.interfaces[0].vf_groups[0].umad.has_value());
  EXPECT_FALSE(ToJson(without)["spec"]["interfaces"][0]["vfGroups"][0].contains("umad"));

  doc["spec"]["interfaces"][0]["vfGroups"][0]["umad"] = true;
  RdmaNodeState with;
  ASSERT_THAT(FromJson(doc, &with), ::testing::IsEmpty());
  EXPECT_EQ(with.spec.interfaces[0].vf_groups[0].umad, true);
  EXPECT_EQ(ToJson(with), doc) << json::diff(doc, ToJson(with)).dump();
  EXPECT_THAT(Validate(with), ::testing::IsEmpty());
  EXPECT_NE(with.spec, without.spec);

  doc["spec"]["interfaces"][0]["vfGroups"][0]["umad"] = 1;
  RdmaNodeState bad;
  FieldErrors errors = FromJson(doc, &bad);
  ASSERT_EQ(errors.size(), 1u) << Summarize(errors);
  EXPECT_EQ(errors[0].path, "spec.interfaces[0].vfGroups[0].umad");
}

// The agent rewrites status from scratch on every discovery; fields a newer
// operator put into spec must survive the agent's status update.
TEST(RdmaNodeStateTest, AgentStatusRewriteKeepsUnknownSpecFields) {
  json doc = Fixture();
  doc["spec"]["interfaces"][0]["futureSetting"] = 5;
  RdmaNodeState state;
  ASSERT_THAT(FromJson(doc, &state), ::testing::IsEmpty());
  state.status.emplace();
  state.status->sync_state = kSyncInProgress;
  json out = ToJson(state);
  EXPECT_EQ(out["spec"]["interfaces"][0]["futureSetting"], 5);
  EXPECT_EQ(out["status"]["syncState"], "InProgress");
  // Always-written status fields, so printer columns show 0/false, not blank.
  EXPECT_EQ(out["status"]["vfCount"], 0);
  EXPECT_EQ(out["status"]["rebootRequired"], false);
}

struct BadSpecCase {
  const char* name;
  const char* interface_patch;  // merge patch applied to spec.interfaces[0]
  const char* path;
  const char* message;
};

class BadNodeStateSpecTest : public ::testing::TestWithParam<BadSpecCase> {};

TEST_P(BadNodeStateSpecTest, ReportsTheFieldAndWhatIsWrong) {
  const BadSpecCase& c = GetParam();
  json doc = Fixture();
  doc["spec"]["interfaces"][0].merge_patch(json::parse(c.interface_patch));
  RdmaNodeState state;
  FieldErrors errors = FromJson(doc, &state);
  for (FieldError& e : Validate(state)) errors.push_back(std::move(e));
  bool found = false;
  for (const FieldError& e : errors) {
    if (e.path == c.path && e.message.find(c.message) != std::string::npos) found = true;
  }
  EXPECT_TRUE(found) << "want " << c.path << ": ..." << c.message << "...\ngot: " << Summarize(errors, 50);
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadNodeStateSpecTest,
    ::testing::Values(
        BadSpecCase{"BadPciAddress", R"({"pciAddress": "41:00.0"})", "spec.interfaces[0].pciAddress",
                    "is not a PCI address"},
        BadSpecCase{"VfGroupBeyondNumVfs", R"({"vfGroups": [{"resourceName": "roce", "firstVf": 0, "lastVf": 3}]})",
                    "spec.interfaces[0].vfGroups[0]", "ends beyond numVfs 1"},
        BadSpecCase{"VfGroupsOverlap",
                    R"({"numVfs": 8, "firmware": {"totalVfs": 8},
                        "vfGroups": [{"resourceName": "a", "firstVf": 0, "lastVf": 4},
                                     {"resourceName": "b", "firstVf": 4, "lastVf": 7}]})",
                    "spec.interfaces[0].vfGroups[1]", "overlaps vfGroups[0]"},
        BadSpecCase{"FirmwareTooFewVfs", R"({"numVfs": 4})", "spec.interfaces[0].firmware.totalVfs",
                    "at least numVfs (4)"},
        BadSpecCase{"GuidBlockTooSmall",
                    R"({"numVfs": 4, "firmware": {"totalVfs": 4},
                        "guidBlock": {"start": "02:00:00:00:00:00:00:01", "end": "02:00:00:00:00:00:00:02"}})",
                    "spec.interfaces[0].guidBlock", "holds 2 GUIDs but numVfs is 4"},
        BadSpecCase{"ZeroGuidBlock",
                    R"({"guidBlock": {"start": "00:00:00:00:00:00:00:00", "end": "00:00:00:00:00:00:00:09"}})",
                    "spec.interfaces[0].guidBlock", "non-zero GUIDs"},
        BadSpecCase{"UnknownLinkType", R"({"linkType": "Ether"})", "spec.interfaces[0].linkType",
                    "unknown link type"},
        BadSpecCase{"NumVfsMissing", R"({"numVfs": null})", "spec.interfaces[0].numVfs", "is required"}),
    [](const ::testing::TestParamInfo<BadSpecCase>& info) { return std::string(info.param.name); });

TEST(RdmaNodeStateTest, DuplicatePfAndReversedIpBlockAreErrors) {
  json doc = Fixture();
  doc["spec"]["interfaces"].push_back(doc["spec"]["interfaces"][0]);
  doc["spec"]["ipBlocks"][0]["end"] = "192.168.100.1";
  RdmaNodeState state;
  ASSERT_THAT(FromJson(doc, &state), ::testing::IsEmpty());
  FieldErrors errors = Validate(state);
  EXPECT_THAT(errors, ::testing::Contains(FieldError{"spec.interfaces[1].pciAddress",
                                                     "0000:41:00.0 is listed twice"}));
  EXPECT_THAT(errors, ::testing::Contains(::testing::Field(&FieldError::path, "spec.ipBlocks[0]")));
}

}  // namespace
}  // namespace api
