// Field selectors: parsing, allowed fields and matching.
#include "e2e/testapi/field_selector.h"

#include <gtest/gtest.h>

namespace testapi {
namespace {

using json = nlohmann::json;

const json kPod = json::parse(R"({"metadata": {"name": "p1", "namespace": "ns"},
                                  "spec": {"nodeName": "n1", "hostNetwork": true},
                                  "status": {"phase": "Running"}})");
const std::vector<std::string> kPodFields = {"spec.nodeName", "status.phase", "spec.hostNetwork"};

FieldSelector Parse(const std::string& text) {
  std::string err;
  auto s = FieldSelector::Parse(text, kPodFields, &err);
  EXPECT_TRUE(s.has_value()) << text << ": " << err;
  return s.value_or(FieldSelector());
}

TEST(FieldSelectorTest, EqualityForms) {
  EXPECT_TRUE(Parse("metadata.name=p1").Matches(kPod));
  EXPECT_TRUE(Parse("metadata.name==p1").Matches(kPod));
  EXPECT_FALSE(Parse("metadata.name=p2").Matches(kPod));
  EXPECT_TRUE(Parse("spec.nodeName!=n2").Matches(kPod));
  EXPECT_FALSE(Parse("spec.nodeName!=n1").Matches(kPod));
}

TEST(FieldSelectorTest, AllTermsMustMatch) {
  EXPECT_TRUE(Parse("metadata.namespace=ns,status.phase=Running").Matches(kPod));
  EXPECT_FALSE(Parse("metadata.namespace=ns,status.phase=Pending").Matches(kPod));
}

TEST(FieldSelectorTest, BooleansAndMissingFields) {
  EXPECT_TRUE(Parse("spec.hostNetwork=true").Matches(kPod));
  json bare = {{"metadata", {{"name", "x"}}}};
  EXPECT_TRUE(Parse("spec.nodeName=").Matches(bare));
  EXPECT_EQ(FieldValue(bare, "spec.nodeName"), "");
}

TEST(FieldSelectorTest, EmptySelectsEverything) {
  auto s = Parse("");
  EXPECT_TRUE(s.Empty());
  EXPECT_TRUE(s.Matches(kPod));
}

TEST(FieldSelectorTest, RequiredReportsPinnedValuesOnly) {
  auto s = Parse("spec.nodeName=n1,status.phase!=Failed");
  EXPECT_EQ(s.Required("spec.nodeName"), "n1");
  EXPECT_EQ(s.Required("status.phase"), std::nullopt);
}

TEST(FieldSelectorTest, UnknownFieldIsAnErrorNamingIt) {
  std::string err;
  EXPECT_FALSE(FieldSelector::Parse("spec.other=x", kPodFields, &err).has_value());
  EXPECT_NE(err.find("spec.other"), std::string::npos) << err;
}

TEST(FieldSelectorTest, TermWithoutOperatorIsAnError) {
  std::string err;
  EXPECT_FALSE(FieldSelector::Parse("metadata.name", kPodFields, &err).has_value());
  EXPECT_NE(err.find("metadata.name"), std::string::npos) << err;
}

}  // namespace
}  // namespace testapi
