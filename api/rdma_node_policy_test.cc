#include "api/rdma_node_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace api {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json ValidPolicy() {
  return json::parse(R"({
    "apiVersion": "rdma.dev/v1alpha1",
    "kind": "RdmaNodePolicy",
    "metadata": {"name": "roce"},
    "spec": {
      "nodeSelector": {"matchLabels": {"rdma.dev/roce": "true"}},
      "nicSelector": {"vendor": "15b3", "deviceIDs": ["1017"], "pfNames": ["ens1f0#0-3"]},
      "numVfs": 8,
      "resourceName": "roce"
    }
  })");
}

// Everything wrong with a policy: JSON type errors, then validation errors.
FieldErrors Problems(const json& doc) {
  RdmaNodePolicy policy;
  FieldErrors errors = FromJson(doc, &policy);
  for (FieldError& e : Validate(policy)) errors.push_back(std::move(e));
  return errors;
}

TEST(RdmaNodePolicyTest, ValidPolicyHasNoErrors) {
  EXPECT_THAT(Problems(ValidPolicy()), ::testing::IsEmpty());
}

struct BadPolicyCase {
  const char* name;
  const char* spec_patch;  // JSON merge patch applied to .spec
  const char* path;        // the error must name this field...
  const char* message;     // ...and say this
};

class BadPolicyTest : public ::testing::TestWithParam<BadPolicyCase> {};

TEST_P(BadPolicyTest, ReportsTheFieldAndWhatToFix) {
  const BadPolicyCase& c = GetParam();
  json doc = ValidPolicy();
  doc["spec"].merge_patch(json::parse(c.spec_patch));
  FieldErrors errors = Problems(doc);
  bool found = false;
  for (const FieldError& e : errors) {
    if (e.path == c.path && e.message.find(c.message) != std::string::npos) found = true;
  }
  EXPECT_TRUE(found) << "want " << c.path << ": ..." << c.message << "...\ngot: " << Summarize(errors, 50);
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadPolicyTest,
    ::testing::Values(
        BadPolicyCase{"UnknownSelectorOperator",
                      R"({"nodeSelector": {"matchExpressions": [{"key": "zone", "operator": "Equals", "values": ["a"]}]}})",
                      "spec.nodeSelector.matchExpressions[0].operator", "unknown operator \"Equals\""},
        BadPolicyCase{"InWithoutValues",
                      R"({"nodeSelector": {"matchExpressions": [{"key": "zone", "operator": "In"}]}})",
                      "spec.nodeSelector.matchExpressions[0].values", "needs at least one value"},
        BadPolicyCase{"ExistsWithValues",
                      R"({"nodeSelector": {"matchExpressions": [{"key": "zone", "operator": "Exists", "values": ["a"]}]}})",
                      "spec.nodeSelector.matchExpressions[0].values", "takes no values"},
        BadPolicyCase{"BadLabelKey", R"({"nodeSelector": {"matchLabels": {"-gpu": "x"}}})",
                      "spec.nodeSelector.matchLabels.-gpu", "label key"},
        BadPolicyCase{"BadLabelValue", R"({"nodeSelector": {"matchLabels": {"gpu": "a b"}}})",
                      "spec.nodeSelector.matchLabels.gpu", "label value"},
        BadPolicyCase{"SelectorNotAnObject", R"({"nodeSelector": "gpu=true"})", "spec.nodeSelector",
                      "must be an object, got string"},
        BadPolicyCase{"MissingNodeSelector", R"({"nodeSelector": null})", "spec.nodeSelector",
                      "is required; {} selects every node"},
        BadPolicyCase{"VfRangeBeyondNumVfs", R"({"numVfs": 4, "nicSelector": {"pfNames": ["ens1f0#0-7"]}})",
                      "spec.nicSelector.pfNames[0]", "ends beyond numVfs 4"},
        BadPolicyCase{"VfRangeReversed", R"({"nicSelector": {"pfNames": ["ens1f0#5-2"]}})",
                      "spec.nicSelector.pfNames[0]", "ends before it starts"},
        BadPolicyCase{"VfRangeMalformed", R"({"nicSelector": {"pfNames": ["ens1f0#a-b"]}})",
                      "spec.nicSelector.pfNames[0]", "name#first-last"},
        BadPolicyCase{"VfRangesOverlap", R"({"nicSelector": {"pfNames": ["ens1f0#0-3", "ens1f0#3-5"]}})",
                      "spec.nicSelector.pfNames[1]", "overlaps pfNames[0]"},
        BadPolicyCase{"PfNameTooLong", R"({"nicSelector": {"pfNames": ["averyveryverylongname"]}})",
                      "spec.nicSelector.pfNames[0]", "1 to 15 characters"},
        BadPolicyCase{"EmptyNicSelector",
                      R"({"nicSelector": {"vendor": null, "deviceIDs": null, "pfNames": null}})",
                      "spec.nicSelector", "needs at least one of"},
        BadPolicyCase{"UpperCaseVendor", R"({"nicSelector": {"vendor": "15B3"}})", "spec.nicSelector.vendor",
                      "four lower-case hex digits"},
        BadPolicyCase{"DeviceIdAsNumber", R"({"nicSelector": {"deviceIDs": [1017]}})",
                      "spec.nicSelector.deviceIDs[0]", "must be a string, got integer 1017"},
        BadPolicyCase{"BadPciAddress", R"({"nicSelector": {"pciAddresses": ["41:00.0"]}})",
                      "spec.nicSelector.pciAddresses[0]", "domain:bus:device.function"},
        BadPolicyCase{"UnknownLinkType", R"({"linkType": "Infiniband"})", "spec.linkType",
                      "unknown link type \"Infiniband\"; use one of Ethernet, InfiniBand"},
        BadPolicyCase{"LinkTypeNotAString", R"({"linkType": 1})", "spec.linkType", "must be a string"},
        BadPolicyCase{"NumVfsAsString", R"({"numVfs": "8"})", "spec.numVfs",
                      "must be an integer, got string \"8\""},
        BadPolicyCase{"NumVfsMissing", R"({"numVfs": null})", "spec.numVfs", "is required"},
        BadPolicyCase{"TooManyVfs", R"({"numVfs": 300, "nicSelector": {"pfNames": null}})", "spec.numVfs",
                      "between 0 and 256"},
        BadPolicyCase{"FirmwareOffersTooFewVfs", R"({"firmware": {"totalVfs": 4}})",
                      "spec.firmware.totalVfs", "firmware would offer 4 VFs but numVfs asks for 8"},
        BadPolicyCase{"InfiniBandMtuTooBig", R"({"linkType": "InfiniBand", "mtu": 9000})", "spec.mtu",
                      "at most 4092"},
        BadPolicyCase{"ResourceNameWithPrefix", R"({"resourceName": "rdma.dev/roce"})",
                      "spec.resourceName", "not a valid resource name"},
        BadPolicyCase{"MissingResourceName", R"({"resourceName": null})", "spec.resourceName",
                      "is required"},
        BadPolicyCase{"PoolModeWithoutPool", R"({"guid": {"mode": "Pool"}})", "spec.guid.pool",
                      "is required with mode Pool"},
        BadPolicyCase{"UnknownGuidMode", R"({"guid": {"mode": "Random"}})", "spec.guid.mode",
                      "unknown GUID mode"},
        BadPolicyCase{"GuidPoolReversed",
                      R"({"guid": {"mode": "Pool", "pool": {"start": "02:00:00:00:00:00:00:09", "end": "02:00:00:00:00:00:00:01"}}})",
                      "spec.guid.pool", "is after end"},
        BadPolicyCase{"ZeroGuid",
                      R"({"guid": {"mode": "Pool", "pool": {"start": "00:00:00:00:00:00:00:00", "end": "02:00:00:00:00:00:00:01"}}})",
                      "spec.guid.pool.start", "GUID of zero"},
        BadPolicyCase{"MalformedGuid",
                      R"({"guid": {"mode": "Pool", "pool": {"start": "0200:0000:0000:0001", "end": "02:00:00:00:00:00:00:01"}}})",
                      "spec.guid.pool.start", "is not a GUID"},
        BadPolicyCase{"ZeroMaxUnavailable", R"({"disruption": {"maxUnavailable": 0}})",
                      "spec.disruption.maxUnavailable", "at least 1"},
        BadPolicyCase{"BadPercentage", R"({"disruption": {"maxUnavailable": "150%"}})",
                      "spec.disruption.maxUnavailable", "percentage from 1% to 100%"},
        BadPolicyCase{"UnknownDrainAction", R"({"disruption": {"onDrainTimeout": "Ignore"}})",
                      "spec.disruption.onDrainTimeout", "use one of Wait, Abort, Force"},
        BadPolicyCase{"PriorityTooHigh", R"({"priority": 100})", "spec.priority", "between 0 and 99"},
        BadPolicyCase{"UnknownNamespaceMode", R"({"rdmaNamespaceMode": "Private"})",
                      "spec.rdmaNamespaceMode", "unknown RDMA namespace mode"}),
    [](const ::testing::TestParamInfo<BadPolicyCase>& info) { return std::string(info.param.name); });

TEST(RdmaNodePolicyTest, NonObjectInputIsAnErrorNotACrash) {
  for (const json& doc : {json::array(), json("policy"), json(nullptr), json(42)}) {
    RdmaNodePolicy policy;
    FieldErrors errors = FromJson(doc, &policy);
    ASSERT_EQ(errors.size(), 1u) << doc;
    EXPECT_THAT(errors[0].message, HasSubstr("must be a JSON object"));
  }
  RdmaNodePolicy policy;
  EXPECT_TRUE(FromJson(json::parse(R"({"spec": [], "metadata": 3, "status": "x"})"), &policy).size() == 3);
}

// YAML input can carry strings that are not UTF-8; naming them in an error
// must not throw (found by fuzz/api_objects_fuzz).
TEST(RdmaNodePolicyTest, AStringThatIsNotUtf8IsNamedInTheError) {
  json doc = {{"spec", {{"numVfs", std::string("\xff\xfe")}}}};
  RdmaNodePolicy policy;
  FieldErrors errors = FromJson(doc, &policy);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "spec.numVfs");
  EXPECT_THAT(errors[0].message, HasSubstr("got string \"\xEF\xBF\xBD\xEF\xBF\xBD\""));
}

// The operator reads an object written by a newer CRD version, changes what
// it knows, and writes it back: nothing it does not know may disappear.
TEST(RdmaNodePolicyTest, UnknownFieldsSurviveAnUpdate) {
  json doc = ValidPolicy();
  doc["metadata"]["managedFields"] = json::array({{{"manager", "kubectl"}}});
  doc["spec"]["futureKnob"] = {{"a", 1}};
  doc["spec"]["nicSelector"]["futureFilter"] = "x";
  doc["spec"]["nodeSelector"]["futureSelector"] = true;
  doc["status"] = {{"matchedNodes", 1}, {"futureCounter", 7}};

  RdmaNodePolicy policy;
  ASSERT_THAT(FromJson(doc, &policy), ::testing::IsEmpty());
  policy.spec.num_vfs = 4;
  policy.spec.nic_selector->pf_names.clear();
  policy.status->matched_nodes = 3;
  json out = ToJson(policy);

  EXPECT_EQ(out["metadata"]["managedFields"], doc["metadata"]["managedFields"]);
  EXPECT_EQ(out["spec"]["futureKnob"], doc["spec"]["futureKnob"]);
  EXPECT_EQ(out["spec"]["nicSelector"]["futureFilter"], "x");
  EXPECT_EQ(out["spec"]["nodeSelector"]["futureSelector"], true);
  EXPECT_EQ(out["status"]["futureCounter"], 7);
  EXPECT_EQ(out["spec"]["numVfs"], 4);
  EXPECT_FALSE(out["spec"]["nicSelector"].contains("pfNames"));
  EXPECT_EQ(out["status"]["matchedNodes"], 3);
}

TEST(RdmaNodePolicyTest, ValueOfTheWrongTypeIsReportedAndWrittenBackUnchanged) {
  json doc = ValidPolicy();
  doc["spec"]["numVfs"] = "8";
  doc["spec"]["nicSelector"]["deviceIDs"] = json::array({1017});
  RdmaNodePolicy policy;
  FieldErrors errors = FromJson(doc, &policy);
  EXPECT_EQ(errors.size(), 2u) << Summarize(errors);
  EXPECT_FALSE(policy.spec.num_vfs.has_value());
  EXPECT_TRUE(policy.spec.nic_selector->device_ids.empty());
  EXPECT_EQ(ToJson(policy), doc);
}

TEST(RdmaNodePolicyTest, RequiredStringOfTheWrongTypeIsWrittenBackUnchanged) {
  json doc = ValidPolicy();
  doc["spec"]["resourceName"] = 5;
  RdmaNodePolicy policy;
  EXPECT_EQ(FromJson(doc, &policy).size(), 1u);
  EXPECT_EQ(ToJson(policy), doc);
  policy.spec.resource_name = "roce";
  EXPECT_EQ(ToJson(policy)["spec"]["resourceName"], "roce");
}

TEST(RdmaNodePolicyTest, ExplicitZeroAndEmptySelectorSurviveARoundTrip) {
  json doc = ValidPolicy();
  doc["spec"]["numVfs"] = 0;
  doc["spec"]["nicSelector"]["pfNames"] = json::array({"ens1f0"});
  doc["spec"]["nodeSelector"] = json::object();
  doc["spec"]["firmware"] = {{"allowReboot", false}};
  RdmaNodePolicy policy;
  ASSERT_THAT(FromJson(doc, &policy), ::testing::IsEmpty());
  EXPECT_EQ(ToJson(policy), doc);
  EXPECT_THAT(Validate(policy), ::testing::IsEmpty());
}

// umad is opt-in and optional: a policy that does not mention it reads as
// unset and is written back without it (so node states built from it do not
// change); true and an explicit false survive; a non-boolean is an error on
// spec.umad.
TEST(RdmaNodePolicyTest, UmadIsOptionalAndRoundTrips) {
  RdmaNodePolicy unset;
  ASSERT_THAT(FromJson(ValidPolicy(), &unset), ::testing::IsEmpty());
  EXPECT_FALSE(unset.spec.umad.has_value());
  EXPECT_FALSE(ToJson(unset)["spec"].contains("umad"));
  EXPECT_FALSE(WithDefaults(unset.spec).umad.has_value());

  for (bool value : {true, false}) {
    json doc = ValidPolicy();
    doc["spec"]["umad"] = value;
    RdmaNodePolicy policy;
    ASSERT_THAT(FromJson(doc, &policy), ::testing::IsEmpty());
    EXPECT_EQ(policy.spec.umad, value);
    EXPECT_EQ(ToJson(policy), doc);
    EXPECT_THAT(Validate(policy), ::testing::IsEmpty());
  }

  json bad = ValidPolicy();
  bad["spec"]["umad"] = "yes";
  RdmaNodePolicy policy;
  FieldErrors errors = FromJson(bad, &policy);
  ASSERT_EQ(errors.size(), 1u) << Summarize(errors);
  EXPECT_EQ(errors[0].path, "spec.umad");
  EXPECT_EQ(ToJson(policy), bad);  // kept verbatim for writing back
}

TEST(RdmaNodePolicyTest, WithDefaultsKeepsWhatTheUserSet) {
  RdmaNodePolicySpec spec;
  spec.priority = 5;
  spec.firmware.emplace().allow_reboot = true;
  spec.disruption.emplace().max_unavailable = "25%";
  RdmaNodePolicySpec d = WithDefaults(spec);
  EXPECT_EQ(d.priority, 5);
  EXPECT_EQ(d.firmware->allow_reboot, true);
  EXPECT_EQ(d.firmware->managed, true);
  EXPECT_EQ(d.disruption->max_unavailable, "25%");
  EXPECT_EQ(d.disruption->drain_timeout_seconds, 600);
  EXPECT_EQ(d.rdma_namespace_mode, "Exclusive");
}

TEST(RdmaNodePolicyTest, MaxUnavailableNodes) {
  auto nodes = [](json value, int32_t matched) {
    DisruptionSpec d;
    d.max_unavailable = std::move(value);
    return MaxUnavailableNodes(d, matched);
  };
  EXPECT_EQ(nodes(1, 10), 1);
  EXPECT_EQ(nodes(3, 10), 3);
  EXPECT_EQ(nodes(30, 10), 10);      // never more than there are
  EXPECT_EQ(nodes("10%", 25), 2);    // rounded down
  EXPECT_EQ(nodes("10%", 5), 1);     // but at least one
  EXPECT_EQ(nodes("100%", 7), 7);
  EXPECT_EQ(nodes(nullptr, 10), 1);  // unset: the default
  EXPECT_EQ(nodes("50%", 0), 1);
}

}  // namespace
}  // namespace api
