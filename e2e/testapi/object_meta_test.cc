#include "e2e/testapi/object_meta.h"

#include <gtest/gtest.h>

namespace testapi {
namespace {

using nlohmann::json;

const std::string kSubdomainMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const std::string kLabelMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const std::string kQualifiedNameMsg =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

std::vector<std::string> Texts(const std::vector<FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.ToString());
  return out;
}

std::vector<std::string> Check(const json& metadata, NameRule rule = NameRule::kDnsSubdomain) {
  return Texts(ValidateObjectMeta(metadata, rule));
}

TEST(ObjectMetaNames, PerRule) {
  struct Case {
    std::string name;
    NameRule rule;
    std::vector<std::string> errors;
  };
  const Case cases[] = {
      {"w-create", NameRule::kDnsSubdomain, {}},
      {"a.b-c.d", NameRule::kDnsSubdomain, {}},
      {"Bad_Name", NameRule::kDnsSubdomain, {"metadata.name: Invalid value: \"Bad_Name\": " + kSubdomainMsg}},
      {"-a", NameRule::kDnsSubdomain, {"metadata.name: Invalid value: \"-a\": " + kSubdomainMsg}},
      {"a..b", NameRule::kDnsSubdomain, {"metadata.name: Invalid value: \"a..b\": " + kSubdomainMsg}},
      {std::string(254, 'a'),
       NameRule::kDnsSubdomain,
       {"metadata.name: Invalid value: \"" + std::string(254, 'a') + "\": must be no more than 253 characters"}},
      {"conformance-abc123", NameRule::kDnsLabel, {}},
      {"a.b", NameRule::kDnsLabel, {"metadata.name: Invalid value: \"a.b\": must not contain dots"}},
      {"UPPER", NameRule::kDnsLabel, {"metadata.name: Invalid value: \"UPPER\": " + kLabelMsg}},
      {std::string(64, 'a'),
       NameRule::kDnsLabel,
       {"metadata.name: Invalid value: \"" + std::string(64, 'a') + "\": must be no more than 63 characters"}},
      {"system:admin", NameRule::kPathSegment, {}},
      {"..", NameRule::kPathSegment, {"metadata.name: Invalid value: \"..\": may not be '..'"}},
      {"a/b%c",
       NameRule::kPathSegment,
       {"metadata.name: Invalid value: \"a/b%c\": may not contain '/'",
        "metadata.name: Invalid value: \"a/b%c\": may not contain '%'"}},
  };
  for (const auto& tc : cases) {
    EXPECT_EQ(Check({{"name", tc.name}}, tc.rule), tc.errors) << tc.name;
  }
}

TEST(ObjectMetaNames, GenerateName) {
  EXPECT_EQ(Check({{"generateName", "gen-"}}), std::vector<std::string>{});
  EXPECT_EQ(Check({{"generateName", "ns-"}}, NameRule::kDnsLabel), std::vector<std::string>{});
  EXPECT_EQ(Check({{"generateName", "Gen-"}}),
            std::vector<std::string>{"metadata.generateName: Invalid value: \"Gen-\": " + kSubdomainMsg});
  EXPECT_EQ(Check(json::object()),
            std::vector<std::string>{"metadata.name: Required value: name or generateName is required"});
  EXPECT_EQ(Check({{"name", ""}, {"generateName", ""}}),
            std::vector<std::string>{"metadata.name: Required value: name or generateName is required"});
  EXPECT_EQ(Check(nullptr),
            std::vector<std::string>{"metadata.name: Required value: name or generateName is required"});
  // Both given: both checked.
  EXPECT_EQ(Check({{"name", "ok"}, {"generateName", "-"}}),
            std::vector<std::string>{"metadata.generateName: Invalid value: \"-\": " + kSubdomainMsg});
  EXPECT_TRUE(NameErrors("x-", NameRule::kDnsSubdomain, true).empty());
  EXPECT_FALSE(NameErrors("x-", NameRule::kDnsSubdomain, false).empty());
}

TEST(ObjectMetaNamespace, Rules) {
  EXPECT_TRUE(Texts(ValidateObjectMeta({{"name", "a"}, {"namespace", "Bad"}}, NameRule::kDnsSubdomain)).empty());
  EXPECT_EQ(Texts(ValidateObjectMeta({{"name", "a"}}, NameRule::kDnsSubdomain, NamespaceRule::kRequired)),
            std::vector<std::string>{"metadata.namespace: Required value"});
  EXPECT_EQ(Texts(ValidateObjectMeta({{"name", "a"}, {"namespace", "Bad"}}, NameRule::kDnsSubdomain,
                                     NamespaceRule::kRequired)),
            std::vector<std::string>{"metadata.namespace: Invalid value: \"Bad\": " + kLabelMsg});
  EXPECT_EQ(Texts(ValidateObjectMeta({{"name", "a"}, {"namespace", "ns"}}, NameRule::kDnsSubdomain,
                                     NamespaceRule::kForbidden)),
            std::vector<std::string>{"metadata.namespace: Forbidden: not allowed on this type"});
}

TEST(ObjectMetaLabelsAndAnnotations, SyntaxAndSize) {
  EXPECT_TRUE(Check({{"name", "a"}, {"labels", {{"app", "x"}, {"rdma.dev/pf", "ens1f0"}, {"empty", ""}}}}).empty());
  EXPECT_EQ(Check({{"name", "a"}, {"labels", {{"bad key", "x"}}}}),
            std::vector<std::string>{"metadata.labels: Invalid value: \"bad key\": " + kQualifiedNameMsg});
  EXPECT_EQ(Check({{"name", "a"}, {"labels", {{"k", "bad value"}}}}),
            std::vector<std::string>{
                "metadata.labels: Invalid value: \"bad value\": a valid label must be an empty string or consist of "
                "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character "
                "(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
                "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"});
  // Annotation keys are case-insensitive qualified names; values are free.
  EXPECT_TRUE(Check({{"name", "a"}, {"annotations", {{"Example.COM/Note", "any value at all\n"}}}}).empty());
  EXPECT_EQ(Check({{"name", "a"}, {"annotations", {{"bad key", "x"}}}}),
            std::vector<std::string>{"metadata.annotations: Invalid value: \"bad key\": " + kQualifiedNameMsg});
  json big = {{"name", "a"}, {"annotations", {{"a", std::string(256 * 1024, 'x')}}}};
  EXPECT_EQ(Check(big), std::vector<std::string>{"metadata.annotations: Too long: may not be more than 262144 bytes"});
  big["annotations"]["a"] = std::string(256 * 1024 - 1, 'x');  // key + value exactly at the limit
  EXPECT_TRUE(Check(big).empty());
}

TEST(ObjectMetaFinalizersAndOwners, Rules) {
  EXPECT_TRUE(Check({{"name", "a"}, {"finalizers", {"rdma.dev/cleanup", "kubernetes", "foregroundDeletion"}}}).empty());
  EXPECT_EQ(Check({{"name", "a"}, {"finalizers", {"bad finalizer"}}}),
            std::vector<std::string>{"metadata.finalizers: Invalid value: \"bad finalizer\": " + kQualifiedNameMsg});
  EXPECT_EQ(
      Check({{"name", "a"}, {"finalizers", {"orphan", "foregroundDeletion"}}}),
      std::vector<std::string>{"metadata.finalizers: Invalid value: []string{\"orphan\", \"foregroundDeletion\"}: "
                               "finalizer orphan and foregroundDeletion cannot be both set"});
  EXPECT_TRUE(Check({{"name", "a"},
                     {"ownerReferences",
                      {{{"apiVersion", "rdma.dev/v1alpha1"},
                        {"kind", "RdmaNetwork"},
                        {"name", "n"},
                        {"uid", "u1"},
                        {"controller", true}}}}})
                  .empty());
  EXPECT_EQ(Check({{"name", "a"}, {"ownerReferences", {{{"apiVersion", "rdma.dev/"}, {"kind", "K"}, {"name", "n"}}}}}),
            (std::vector<std::string>{
                "metadata.ownerReferences.apiVersion: Invalid value: \"rdma.dev/\": version must not be empty",
                "metadata.ownerReferences.uid: Invalid value: \"\": uid must not be empty"}));
  json two_controllers = {{"name", "a"},
                          {"ownerReferences",
                           {{{"apiVersion", "v1"}, {"kind", "A"}, {"name", "x"}, {"uid", "1"}, {"controller", true}},
                            {{"apiVersion", "v1"}, {"kind", "B"}, {"name", "y"}, {"uid", "2"}, {"controller", true}}}}};
  auto errors = ValidateObjectMeta(two_controllers, NameRule::kDnsSubdomain);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "metadata.ownerReferences");
  EXPECT_NE(errors[0].message.find("Only one reference can have Controller set to true. Found \"true\" in references "
                                   "for A/x and B/y"),
            std::string::npos);
  EXPECT_EQ(Check({{"name", "a"}, {"generation", -1}}),
            std::vector<std::string>{"metadata.generation: Invalid value: -1: must be greater than or equal to 0"});
}

TEST(ObjectMetaMalformed, WrongTypesAreTypeInvalidCauses) {
  struct Case {
    json metadata;
    std::vector<std::string> errors;
  };
  const Case cases[] = {
      {"w",
       {"metadata: Invalid value: \"string\": must be of type object",
        "metadata.name: Required value: name or generateName is required"}},
      {{{"name", 5}},
       {"metadata.name: Invalid value: \"integer\": must be of type string",
        "metadata.name: Required value: name or generateName is required"}},
      {{{"name", "a"}, {"labels", {{"a", 1}}}},
       {"metadata.labels.a: Invalid value: \"integer\": must be of type string"}},
      {{{"name", "a"}, {"labels", {"a"}}}, {"metadata.labels: Invalid value: \"array\": must be of type object"}},
      {{{"name", "a"}, {"annotations", "x"}},
       {"metadata.annotations: Invalid value: \"string\": must be of type object"}},
      {{{"name", "a"}, {"finalizers", "x"}}, {"metadata.finalizers: Invalid value: \"string\": must be of type array"}},
      {{{"name", "a"}, {"finalizers", {1}}},
       {"metadata.finalizers[0]: Invalid value: \"integer\": must be of type string"}},
      {{{"name", "a"}, {"ownerReferences", {5}}},
       {"metadata.ownerReferences[0]: Invalid value: \"integer\": must be of type object"}},
      {{{"name", "a"}, {"generation", "1"}},
       {"metadata.generation: Invalid value: \"string\": must be of type integer"}},
      {{{"name", "a"}, {"labels", nullptr}, {"annotations", nullptr}, {"finalizers", nullptr}}, {}},
  };
  for (const auto& tc : cases) {
    auto errors = ValidateObjectMeta(tc.metadata, NameRule::kDnsSubdomain);
    EXPECT_EQ(Texts(errors), tc.errors) << tc.metadata.dump();
    for (const auto& e : errors) {
      if (e.message.find("must be of type") != std::string::npos) {
        EXPECT_EQ(e.reason, "FieldValueTypeInvalid");
      }
    }
  }
}

TEST(EmbeddedObjectMeta, NameOptionalRestChecked) {
  EXPECT_TRUE(ValidateEmbeddedObjectMeta(json::object(), "spec.template.metadata").empty());
  EXPECT_TRUE(ValidateEmbeddedObjectMeta({{"name", "Any Name"}}, "spec.template.metadata").empty());
  EXPECT_EQ(
      Texts(ValidateEmbeddedObjectMeta({{"labels", {{"bad key", "v"}}}}, "spec.template.metadata")),
      std::vector<std::string>{"spec.template.metadata.labels: Invalid value: \"bad key\": " + kQualifiedNameMsg});
  EXPECT_EQ(Texts(ValidateEmbeddedObjectMeta(3, "spec.template.metadata")),
            std::vector<std::string>{"spec.template.metadata: Invalid value: \"integer\": must be of type object"});
}

}  // namespace
}  // namespace testapi
