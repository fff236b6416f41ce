#include "e2e/testapi/schema.h"

#include <gtest/gtest.h>

namespace testapi {
namespace {

using nlohmann::json;

const char* kPrefix = "spec.versions[0].schema.openAPIV3Schema";

// The Widget schema of ../shared/conformance/kubeapi_conformance.py.
json WidgetSchema() {
  return json::parse(R"({
    "type": "object",
    "properties": {
      "spec": {"type": "object", "required": ["size"], "properties": {
        "size": {"type": "integer", "minimum": 1, "maximum": 10},
        "color": {"type": "string", "enum": ["red", "blue"], "default": "red"},
        "name": {"type": "string", "maxLength": 8, "pattern": "^[a-z]+$"},
        "tags": {"type": "array", "maxItems": 3, "items": {"type": "string"}},
        "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
      }},
      "status": {"type": "object", "properties": {
        "observedGeneration": {"type": "integer"},
        "conditions": {"type": "array", "items": {
          "type": "object", "required": ["type", "status"],
          "properties": {
            "type": {"type": "string"}, "status": {"type": "string"},
            "reason": {"type": "string"}, "message": {"type": "string"},
            "observedGeneration": {"type": "integer"},
            "lastTransitionTime": {"type": "string", "format": "date-time"}}}}
      }}
    }})");
}

json Widget(json spec) {
  return {{"apiVersion", "conformance.rdma-test.io/v1"},
          {"kind", "Widget"},
          {"metadata", {{"name", "w"}, {"namespace", "ns"}}},
          {"spec", std::move(spec)}};
}

StructuralSchema MustCompile(const json& schema) {
  std::vector<FieldError> errors;
  auto compiled = StructuralSchema::Compile(schema, kPrefix, &errors);
  EXPECT_TRUE(compiled.has_value());
  for (const auto& e : errors) ADD_FAILURE() << e.ToString();
  if (!compiled) return *StructuralSchema::Compile(json{{"type", "object"}}, kPrefix, nullptr);
  return std::move(*compiled);
}

std::vector<std::string> Texts(const std::vector<FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.ToString());
  return out;
}

// Validates `value` as the only property "v" of a schema, and returns the
// cause texts: the quickest way to table-test one keyword.
std::vector<std::string> ValidateField(const json& field_schema, const json& value) {
  auto schema = MustCompile({{"type", "object"}, {"properties", {{"v", field_schema}}}});
  return Texts(schema.Validate({{"v", value}}));
}

std::vector<std::string> CompileErrors(const json& schema) {
  std::vector<FieldError> errors;
  auto compiled = StructuralSchema::Compile(schema, kPrefix, &errors);
  EXPECT_FALSE(compiled.has_value()) << schema.dump();
  return Texts(errors);
}

// --- the conformance suite's validation group ------------------------------

TEST(WidgetSchema, OutOfRangeSizeAndUnknownColorAreBothReported) {
  auto schema = MustCompile(WidgetSchema());
  auto errors = schema.Validate(Widget({{"size", 30}, {"color", "green"}}));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], (FieldError{"FieldValueNotSupported", "spec.color",
                                   "Unsupported value: \"green\": supported values: \"red\", \"blue\""}));
  EXPECT_EQ(errors[1], (FieldError{"FieldValueInvalid", "spec.size",
                                   "Invalid value: 30: spec.size in body should be less than or equal to 10"}));
  EXPECT_EQ(InvalidMessage("Widget.conformance.rdma-test.io", "w-bad", errors),
            "Widget.conformance.rdma-test.io \"w-bad\" is invalid: [spec.color: Unsupported value: \"green\": "
            "supported values: \"red\", \"blue\", spec.size: Invalid value: 30: spec.size in body should be less than "
            "or equal to 10]");
}

TEST(WidgetSchema, EachViolationHasTheRealCause) {
  auto schema = MustCompile(WidgetSchema());
  struct Case {
    json spec;
    std::vector<FieldError> errors;
  };
  const Case cases[] = {
      {{{"color", "red"}}, {{"FieldValueRequired", "spec.size", "Required value"}}},
      {{{"size", 3}, {"name", "UPPER"}},
       {{"FieldValueInvalid", "spec.name", "Invalid value: \"UPPER\": spec.name in body should match '^[a-z]+$'"}}},
      {{{"size", 3}, {"name", "waytoolongname"}},
       {{"FieldValueTooLong", "spec.name", "Too long: may not be more than 8 bytes"}}},
      {{{"size", 3}, {"tags", {"a", "b", "c", "d"}}},
       {{"FieldValueTooMany", "spec.tags", "Too many: 4: must have at most 3 items"}}},
      {{{"size", "three"}},
       {{"FieldValueTypeInvalid", "spec.size",
         "Invalid value: \"string\": spec.size in body must be of type integer: \"string\""}}},
      {{{"size", 0}},
       {{"FieldValueInvalid", "spec.size",
         "Invalid value: 0: spec.size in body should be greater than or equal to 1"}}},
      {{{"size", 3}, {"tags", {"a", 5}}},
       {{"FieldValueTypeInvalid", "spec.tags[1]",
         "Invalid value: \"integer\": spec.tags[1] in body must be of type string: \"integer\""}}},
      {{{"size", 3.0}}, {}},  // 3.0 is an integer in JSON terms
      {{{"size", 3.5}},
       {{"FieldValueTypeInvalid", "spec.size",
         "Invalid value: \"number\": spec.size in body must be of type integer: \"number\""}}},
      {{{"size", 3}, {"name", "ok"}, {"tags", json::array()}, {"extra", {{"any", {1, 2}}}}}, {}},
  };
  for (const auto& tc : cases) {
    EXPECT_EQ(schema.Validate(Widget(tc.spec)), tc.errors) << tc.spec.dump();
  }
  EXPECT_EQ(Texts(schema.Validate(Widget(nullptr))),
            std::vector<std::string>{"spec: Invalid value: \"null\": spec in body must be of type object: \"null\""});
  EXPECT_EQ(
      Texts(schema.Validate(Widget("x"))),
      std::vector<std::string>{"spec: Invalid value: \"string\": spec in body must be of type object: \"string\""});
}

TEST(WidgetSchema, RootApiVersionKindAndMetadataAreLeftToTheCaller) {
  auto schema = MustCompile(WidgetSchema());
  json w = Widget({{"size", 3}});
  w["metadata"] = "not an object";
  w["apiVersion"] = 5;
  EXPECT_TRUE(schema.Validate(w).empty());
  json pruned = w;
  EXPECT_TRUE(schema.Prune(pruned).empty());
  EXPECT_EQ(pruned, w);
}

TEST(WidgetSchema, StatusConditionsAreChecked) {
  auto schema = MustCompile(WidgetSchema());
  json w = Widget({{"size", 3}});
  w["status"] = {{"conditions",
                  {{{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", "2024-05-01T10:00:00Z"}},
                   {{"status", "True"}, {"lastTransitionTime", "yesterday"}}}}};
  EXPECT_EQ(Texts(schema.Validate(w)),
            (std::vector<std::string>{"status.conditions[1].lastTransitionTime: Invalid value: \"yesterday\": "
                                      "status.conditions[1].lastTransitionTime in body must be of type date-time: "
                                      "\"yesterday\"",
                                      "status.conditions[1].type: Required value"}));
}

TEST(WidgetSchema, PruneDropsUnknownFieldsOutsidePreservedSubtrees) {
  auto schema = MustCompile(WidgetSchema());
  json w = Widget({{"size", 3}, {"bogus", 1}, {"extra", {{"anything", {{"goes", true}}}}}});
  w["status"] = {{"conditions", {{{"type", "Ready"}, {"status", "True"}, {"junk", 1}}}}, {"zz", 2}};
  w["topLevel"] = "x";
  EXPECT_EQ(schema.Prune(w),
            (std::vector<std::string>{"spec.bogus", "status.conditions[0].junk", "status.zz", "topLevel"}));
  EXPECT_EQ(w["spec"], json({{"size", 3}, {"extra", {{"anything", {{"goes", true}}}}}}));
  EXPECT_EQ(w["status"], json({{"conditions", {{{"type", "Ready"}, {"status", "True"}}}}}));
  EXPECT_FALSE(w.contains("topLevel"));
  EXPECT_EQ(w["metadata"]["name"], "w");
}

TEST(WidgetSchema, DefaultsApplyWhereTheParentExists) {
  auto schema = MustCompile(WidgetSchema());
  json w = Widget({{"size", 3}});
  schema.ApplyDefaults(w);
  EXPECT_EQ(w["spec"]["color"], "red");
  json no_spec = Widget({{"size", 3}});
  no_spec.erase("spec");
  schema.ApplyDefaults(no_spec);
  EXPECT_FALSE(no_spec.contains("spec"));
  json explicit_color = Widget({{"size", 3}, {"color", "blue"}});
  schema.ApplyDefaults(explicit_color);
  EXPECT_EQ(explicit_color["spec"]["color"], "blue");
  json null_color = Widget({{"size", 3}, {"color", nullptr}});
  schema.ApplyDefaults(null_color);  // non-nullable null: defaulted
  EXPECT_EQ(null_color["spec"]["color"], "red");
}

// --- keyword tables --------------------------------------------------------

TEST(Validate, Types) {
  struct Case {
    json schema, value;
    std::vector<std::string> errors;
  };
  const Case cases[] = {
      {{{"type", "string"}}, "", {}},
      {{{"type", "string"}}, 0, {"v: Invalid value: \"integer\": v in body must be of type string: \"integer\""}},
      {{{"type", "boolean"}}, "true", {"v: Invalid value: \"string\": v in body must be of type boolean: \"string\""}},
      {{{"type", "number"}}, 5, {}},
      {{{"type", "number"}}, 5.5, {}},
      {{{"type", "integer"}}, 5.0, {}},
      {{{"type", "array"}, {"items", {{"type", "string"}}}},
       json::object(),
       {"v: Invalid value: \"object\": v in body must be of type array: \"object\""}},
      {{{"type", "object"}},
       json::array(),
       {"v: Invalid value: \"array\": v in body must be of type object: \"array\""}},
      {{{"type", "string"}}, nullptr, {"v: Invalid value: \"null\": v in body must be of type string: \"null\""}},
      {{{"type", "string"}, {"nullable", true}}, nullptr, {}},
      {{{"x-kubernetes-int-or-string", true}}, 80, {}},
      {{{"x-kubernetes-int-or-string", true}}, "80%", {}},
      {{{"x-kubernetes-int-or-string", true}},
       true,
       {"v: Invalid value: \"boolean\": v in body must be of type integer,string: \"boolean\""}},
      {{{"x-kubernetes-int-or-string", true}, {"anyOf", {{{"type", "integer"}}, {{"type", "string"}}}}},
       1.5,
       {"v: Invalid value: \"number\": v in body must be of type integer,string: \"number\"",
        "<nil>: Invalid value: \"\": \"v\" must validate at least one schema (anyOf)",
        "v: Invalid value: \"number\": v in body must be of type integer: \"number\""}},
      {{{"x-kubernetes-preserve-unknown-fields", true}}, json::parse(R"({"a":[1]})"), {}},
      // A string format makes kube-openapi name the format in type errors.
      {{{"type", "string"}, {"format", "date-time"}},
       5,
       {"v: Invalid value: \"int64\": v in body must be of type date-time: \"int64\""}},
  };
  for (const auto& tc : cases) {
    EXPECT_EQ(ValidateField(tc.schema, tc.value), tc.errors) << tc.schema.dump() << " " << tc.value.dump();
  }
}

TEST(Validate, NumbersAndBounds) {
  struct Case {
    json schema, value;
    std::vector<std::string> errors;
  };
  const Case cases[] = {
      {{{"type", "integer"}, {"maximum", 10}}, 10, {}},
      {{{"type", "integer"}, {"maximum", 10}, {"exclusiveMaximum", true}},
       10,
       {"v: Invalid value: 10: v in body should be less than 10"}},
      {{{"type", "integer"}, {"minimum", 0}, {"exclusiveMinimum", true}},
       0,
       {"v: Invalid value: 0: v in body should be greater than 0"}},
      {{{"type", "number"}, {"minimum", 0.5}},
       0.25,
       {"v: Invalid value: 0.25: v in body should be greater than or equal to 0.5"}},
      {{{"type", "number"}, {"maximum", 1e6}},
       2e6,
       {"v: Invalid value: 2e+06: v in body should be less than or equal to 1e+06"}},
      {{{"type", "integer"}, {"multipleOf", 4}}, 10, {"v: Invalid value: 10: v in body should be a multiple of 4"}},
      {{{"type", "integer"}, {"multipleOf", 4}}, 12, {}},
      {{{"type", "number"}, {"multipleOf", 0.5}}, 1.5, {}},
      {{{"type", "number"}, {"multipleOf", 0.5}},
       1.2,
       {"v: Invalid value: 1.2: v in body should be a multiple of 0.5"}},
      {{{"type", "integer"}, {"minimum", 1}, {"maximum", 0}},
       5,
       {"v: Invalid value: 5: v in body should be less than or equal to 0"}},
  };
  for (const auto& tc : cases) {
    EXPECT_EQ(ValidateField(tc.schema, tc.value), tc.errors) << tc.schema.dump() << " " << tc.value.dump();
  }
}

TEST(Validate, StringsCountCharactersNotBytes) {
  struct Case {
    json schema, value;
    std::vector<std::string> errors;
  };
  const Case cases[] = {
      {{{"type", "string"}, {"maxLength", 3}}, "ééé", {}},
      {{{"type", "string"}, {"maxLength", 3}}, "éééé", {"v: Too long: may not be more than 3 bytes"}},
      {{{"type", "string"}, {"minLength", 2}},
       "é",
       {"v: Invalid value: \"é\": v in body should be at least 2 chars long"}},
      // Only the first failing string check is reported.
      {{{"type", "string"}, {"maxLength", 2}, {"pattern", "^a+$"}},
       "bbb",
       {"v: Too long: may not be more than 2 bytes"}},
      // Patterns are unanchored, as in Go's regexp.MatchString.
      {{{"type", "string"}, {"pattern", "[0-9]"}}, "abc1", {}},
      {{{"type", "string"}, {"enum", {"a", 1, true, nullptr}}},
       "b",
       {"v: Unsupported value: \"b\": supported values: \"a\", \"1\", \"true\", \"null\""}},
      {{{"type", "integer"}, {"enum", {1, 2}}}, 3, {"v: Unsupported value: 3: supported values: \"1\", \"2\""}},
      {{{"type", "integer"}, {"enum", {1, 2}}}, 2, {}},
      {{{"type", "number"}, {"enum", {1.5}}}, 1.5, {}},
  };
  for (const auto& tc : cases) {
    EXPECT_EQ(ValidateField(tc.schema, tc.value), tc.errors) << tc.schema.dump() << " " << tc.value.dump();
  }
}

TEST(Validate, Formats) {
  struct Case {
    std::string format, value;
    bool valid;
  };
  const Case cases[] = {
      {"date-time", "2024-02-29T23:59:59Z", true},
      {"date-time", "2024-02-29t23:59:59.123+02:00", true},
      {"date-time", "2023-02-29T10:00:00Z", false},
      {"date-time", "2024-01-01T24:00:00Z", false},
      {"date-time", "2024-01-01 10:00:00Z", false},
      {"datetime", "nope", false},
      {"date", "2024-12-31", true},
      {"date", "2024-13-01", false},
      {"byte", "aGVsbG8=", true},
      {"byte", "aGVsbG8", false},
      {"byte", "", true},
      {"ipv4", "10.0.0.1", true},
      {"ipv4", "10.0.0.256", false},
      {"ipv6", "fe80::1", true},
      {"ipv6", "10.0.0.1", false},
      {"cidr", "10.0.0.0/8", true},
      {"cidr", "fd00::/64", true},
      {"cidr", "10.0.0.0/33", false},
      {"mac", "02:00:00:00:00:01", true},
      {"mac", "02-00-00-00-00-01", true},
      {"mac", "0200.0000.0001", true},
      {"mac", "02:00:00:00:00", false},
      {"uuid", "123e4567-e89b-12d3-a456-426614174000", true},
      {"uuid", "123e4567", false},
      {"uuid4", "123e4567-e89b-42d3-a456-426614174000", true},
      {"uuid4", "123e4567-e89b-12d3-a456-426614174000", false},
      {"hostname", "node-1.example.com", true},
      {"hostname", "-bad.example.com", false},
      {"uri", "https://example.com/x", true},
      {"uri", "/absolute/path", true},
      {"uri", "relative/path", false},
      {"email", "a@b.c", true},
      {"email", "nope", false},
      {"duration", "1h30m", true},
      {"duration", "3 days", true},
      {"duration", "soon", false},
      {"hexcolor", "#fFf", true},
      {"rgbcolor", "rgb(255, 0, 10)", true},
      {"rgbcolor", "rgb(256,0,0)", false},
      {"creditcard", "4111 1111 1111 1111", true},
      {"creditcard", "4111 1111 1111 1112", false},
      {"isbn10", "0-306-40615-2", true},
      {"isbn13", "978-0-306-40615-7", true},
      {"ssn", "123-45-6789", true},
      {"bsonobjectid", "507f1f77bcf86cd799439011", true},
      {"password", "anything", true},
      // Formats kube-apiserver does not validate are ignored.
      {"int32", "not checked", true},
      {"k8s-unknown", "x", true},
  };
  for (const auto& tc : cases) {
    auto errors = ValidateField({{"type", "string"}, {"format", tc.format}}, tc.value);
    if (tc.valid) {
      EXPECT_TRUE(errors.empty()) << tc.format << " " << tc.value << ": " << (errors.empty() ? "" : errors[0]);
    } else {
      EXPECT_EQ(errors, std::vector<std::string>{"v: Invalid value: " + GoQuote(tc.value) +
                                                 ": v in body must be of type " + tc.format + ": " + GoQuote(tc.value)})
          << tc.format << " " << tc.value;
    }
  }
}

TEST(Validate, ArraysAndListTypes) {
  struct Case {
    json schema, value;
    std::vector<std::string> errors;
  };
  const json string_items = {{"type", "string"}};
  const Case cases[] = {
      {{{"type", "array"}, {"items", string_items}, {"minItems", 1}},
       json::array(),
       {"v: Invalid value: 0: v in body should have at least 1 items"}},
      {{{"type", "array"}, {"items", string_items}, {"uniqueItems", true}},
       {"a", "b", "a"},
       {"v: Invalid value: \"\": v in body shouldn't contain duplicates"}},
      {{{"type", "array"}, {"items", string_items}, {"x-kubernetes-list-type", "set"}},
       {"a", "b", "a", "b"},
       {"v[2]: Duplicate value: \"a\"", "v[3]: Duplicate value: \"b\""}},
      {{{"type", "array"}, {"items", string_items}, {"x-kubernetes-list-type", "atomic"}}, {"a", "a"}, {}},
      {json::parse(R"({"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
                      "items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},
                      "port":{"type":"integer"}}}})"),
       json::parse(R"([{"name":"a","port":1},{"name":"b"},{"name":"a","port":2}])"),
       {"v[2]: Duplicate value: map[string]interface {}{\"name\":\"a\"}"}},
      {json::parse(R"({"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name","proto"],
                      "items":{"type":"object","properties":{"name":{"type":"string"},
                      "proto":{"type":"string","default":"TCP"}}}})"),
       json::parse(R"([{"name":"a"},{"name":"a","proto":"UDP"},{"name":"a","proto":"TCP"}])"),
       {"v[2]: Duplicate value: map[string]interface {}{\"name\":\"a\", \"proto\":\"TCP\"}"}},
  };
  for (const auto& tc : cases) {
    EXPECT_EQ(ValidateField(tc.schema, tc.value), tc.errors) << tc.schema.dump() << " " << tc.value.dump();
  }
}

TEST(Validate, ObjectsAndMaps) {
  struct Case {
    json schema, value;
    std::vector<std::string> errors;
  };
  const Case cases[] = {
      {{{"type", "object"}, {"additionalProperties", {{"type", "integer"}, {"minimum", 0}}}},
       {{"a", 1}, {"b", -1}, {"c", "x"}},
       {"v.b: Invalid value: -1: v.b in body should be greater than or equal to 0",
        "v.c: Invalid value: \"string\": v.c in body must be of type integer: \"string\""}},
      {{{"type", "object"}, {"additionalProperties", {{"type", "string"}}}, {"maxProperties", 1}},
       {{"a", "x"}, {"b", "y"}},
       {"v: Too many: 2: must have at most 1 item"}},
      {{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}, {"minProperties", 1}},
       json::object(),
       {"v: Invalid value: 0: v in body should have at least 1 properties"}},
      {{{"type", "object"}, {"properties", {{"a", {{"type", "string"}}}}}, {"required", {"a", "b"}}},
       json::object(),
       {"v.a: Required value", "v.b: Required value"}},
  };
  for (const auto& tc : cases) {
    EXPECT_EQ(ValidateField(tc.schema, tc.value), tc.errors) << tc.schema.dump() << " " << tc.value.dump();
  }
}

TEST(Validate, Combinators) {
  json schema = json::parse(R"({"type":"object","properties":{"v":{"type":"object",
      "properties":{"a":{"type":"string"},"b":{"type":"string"}},
      "oneOf":[{"required":["a"]},{"required":["b"]}],
      "not":{"required":["c"]},
      "allOf":[{"properties":{"a":{"maxLength":2}}}]}}})");
  auto compiled = MustCompile(schema);
  EXPECT_TRUE(compiled.Validate({{"v", {{"a", "x"}}}}).empty());
  EXPECT_EQ(Texts(compiled.Validate({{"v", {{"a", "x"}, {"b", "y"}}}})),
            std::vector<std::string>{"<nil>: Invalid value: \"\": \"v\" must validate one and only one schema (oneOf). "
                                     "Found 2 valid alternatives"});
  EXPECT_EQ(Texts(compiled.Validate({{"v", json::object()}})),
            (std::vector<std::string>{
                "<nil>: Invalid value: \"\": \"v\" must validate one and only one schema (oneOf). Found none valid",
                "v.a: Required value"}));
  EXPECT_EQ(Texts(compiled.Validate({{"v", {{"a", "xyz"}}}})),
            (std::vector<std::string>{
                "v.a: Too long: may not be more than 2 bytes",
                "<nil>: Invalid value: \"\": \"v\" must validate all the schemas (allOf). None validated"}));
  auto with_c = compiled.Validate({{"v", {{"a", "x"}, {"c", 1}}}});
  EXPECT_EQ(Texts(with_c),
            std::vector<std::string>{"<nil>: Invalid value: \"\": \"v\" must not validate the schema (not)"});
}

TEST(Validate, EmbeddedResources) {
  json schema = json::parse(R"({"type":"object","properties":{"template":{"type":"object",
      "x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true}}})");
  auto compiled = MustCompile(schema);
  EXPECT_TRUE(
      compiled.Validate(json::parse(R"({"template":{"apiVersion":"v1","kind":"Pod","metadata":{"labels":{"a":"b"}}}})"))
          .empty());
  EXPECT_EQ(
      Texts(compiled.Validate(json::parse(R"({"template":{"metadata":{"labels":{"a":"b c"}}}})"))),
      (std::vector<std::string>{
          "template.apiVersion: Required value: must not be empty", "template.kind: Required value: must not be empty",
          "template.metadata.labels: Invalid value: \"b c\": a valid label must be an empty string or consist of "
          "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character "
          "(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
          "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"}));
  EXPECT_EQ(Texts(compiled.Validate(json::parse(R"({"template":{"apiVersion":"","kind":3}})"))),
            (std::vector<std::string>{"template.apiVersion: Invalid value: \"\": must not be empty",
                                      "template.kind: Invalid value: 3: must be a string"}));
  // Pruning keeps apiVersion/kind and trims metadata to ObjectMeta's fields.
  json pruned_schema = json::parse(R"({"type":"object","properties":{"template":{"type":"object",
      "x-kubernetes-embedded-resource":true,"properties":{"spec":{"type":"object"}}}}})");
  auto pruner = MustCompile(pruned_schema);
  json obj = json::parse(
      R"({"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x","junk":1},"spec":{},"other":1}})");
  EXPECT_EQ(pruner.Prune(obj), (std::vector<std::string>{"template.metadata.junk", "template.other"}));
  EXPECT_EQ(obj, json::parse(R"({"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{}}})"));
}

// --- defaulting and pruning --------------------------------------------------

TEST(ApplyDefaults, NullableAndNestedRules) {
  json schema = json::parse(R"({"type":"object","properties":{"spec":{"type":"object","properties":{
      "a":{"type":"string","default":"A"},
      "b":{"type":"string"},
      "c":{"type":"string","nullable":true,"default":"C"},
      "obj":{"type":"object","default":{},"properties":{"inner":{"type":"integer","default":7}}},
      "list":{"type":"array","items":{"type":"object","properties":{"p":{"type":"string","default":"P"}}}},
      "map":{"type":"object","additionalProperties":{"type":"object","properties":{"q":{"type":"integer","default":1}}}}
  }}}})");
  auto compiled = MustCompile(schema);
  json obj = json::parse(R"({"spec":{"b":null,"c":null,"list":[{},{"p":"x"}],"map":{"k":{}}}})");
  compiled.ApplyDefaults(obj);
  EXPECT_EQ(obj, json::parse(R"({"spec":{"a":"A","c":null,"obj":{"inner":7},
      "list":[{"p":"P"},{"p":"x"}],"map":{"k":{"q":1}}}})"));
}

TEST(Prune, MapsPreserveAndArrays) {
  json schema = json::parse(R"({"type":"object","properties":{
      "labels":{"type":"object","additionalProperties":{"type":"string"}},
      "free":{"type":"object","additionalProperties":true},
      "keep":{"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{"known":{"type":"object"}}},
      "items":{"type":"array","items":{"type":"object","properties":{"a":{"type":"string"}}}}}})");
  auto compiled = MustCompile(schema);
  json obj = json::parse(R"({"labels":{"x":"y"},"free":{"any":{"thing":1}},
      "keep":{"unknown":{"deep":1},"known":{"dropped":1}},"items":[{"a":"1","b":2},{"c":3}]})");
  EXPECT_EQ(compiled.Prune(obj), (std::vector<std::string>{"items[0].b", "items[1].c", "keep.known.dropped"}));
  EXPECT_EQ(obj, json::parse(R"({"labels":{"x":"y"},"free":{"any":{"thing":1}},
      "keep":{"unknown":{"deep":1},"known":{}},"items":[{"a":"1"},{}]})"));
}

// --- compile-time checks ------------------------------------------------------

TEST(Compile, RejectsNonStructuralSchemas) {
  struct Case {
    json schema;
    std::vector<std::string> errors;
  };
  const std::string p = kPrefix;
  const Case cases[] = {
      {json::object(), {p + ".type: Required value: must not be empty at the root"}},
      {{{"type", "array"}, {"items", {{"type", "string"}}}},
       {p + ".type: Invalid value: \"array\": must be object at the root"}},
      {{{"type", "object"}, {"properties", {{"spec", json::object()}}}},
       {p + ".properties[spec].type: Required value: must not be empty for specified object fields"}},
      {{{"type", "object"}, {"properties", {{"l", {{"type", "array"}, {"items", json::object()}}}}}},
       {p + ".properties[l].items.type: Required value: must not be empty for specified array items"}},
      {{{"type", "object"}, {"properties", {{"l", {{"type", "array"}}}}}},
       {p + ".properties[l].items: Required value: must be specified"}},
      {{{"type", "object"}, {"properties", {{"x", {{"type", "date"}}}}}},
       {p + ".properties[x].type: Unsupported value: \"date\": supported values: \"array\", \"boolean\", \"integer\", "
            "\"number\", \"object\", \"string\""}},
      {{{"type", "object"}, {"properties", {{"x", {{"type", "string"}, {"pattern", "(["}}}}}}, {}},  // checked below
      {{{"type", "object"},
        {"properties",
         {{"x",
           {{"type", "object"},
            {"properties", {{"a", {{"type", "string"}}}}},
            {"additionalProperties", {{"type", "string"}}}}}}}},
       {p +
        ".properties[x].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive"}},
      {{{"type", "object"},
        {"properties",
         {{"x",
           {{"type", "object"}, {"properties", {{"a", {{"type", "string"}}}}}, {"additionalProperties", false}}}}}},
       {p +
        ".properties[x].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive"}},
      {{{"type", "object"}, {"properties", {{"x", {{"type", "string"}, {"anyOf", {{{"type", "string"}}}}}}}}},
       {p + ".properties[x].anyOf[0].type: Forbidden: must be empty to be structural"}},
      {{{"type", "object"},
        {"properties", {{"x", {{"type", "string"}, {"x-kubernetes-preserve-unknown-fields", false}}}}}},
       {p + ".properties[x].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined"}},
      {{{"type", "object"},
        {"properties", {{"metadata", {{"type", "object"}, {"properties", {{"labels", {{"type", "object"}}}}}}}}}},
       {p + ".properties[metadata]: Forbidden: must not specify anything other than name and generateName, but "
            "metadata is implicitly specified"}},
      {{{"type", "object"},
        {"properties", {{"c", {{"type", "string"}, {"enum", {"red", "blue"}}, {"default", "green"}}}}}},
       {p + ".properties[c].default: Unsupported value: \"green\": supported values: \"red\", \"blue\""}},
      {{{"type", "object"},
        {"properties",
         {{"x", {{"type", "array"}, {"items", {{"type", "string"}}}, {"x-kubernetes-list-type", "map"}}}}}},
       {p + ".properties[x].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is "
            "map",
        p + ".properties[x].items.type: Invalid value: \"string\": must be object if parent array's "
            "x-kubernetes-list-type is map"}},
      {{{"type", "object"}, {"properties", {{"x", {{"type", "object"}, {"x-kubernetes-embedded-resource", true}}}}}},
       {p + ".properties[x].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true "
            "without x-kubernetes-preserve-unknown-fields"}},
      {{{"type", "object"}, {"properties", {{"x", {{"$ref", "#/definitions/y"}, {"type", "object"}}}}}},
       {p + ".properties[x].$ref: Forbidden: $ref is not supported"}},
  };
  for (const auto& tc : cases) {
    if (tc.errors.empty()) continue;
    EXPECT_EQ(CompileErrors(tc.schema), tc.errors) << tc.schema.dump();
  }
  auto pattern_errors = CompileErrors(cases[6].schema);  // the invalid pattern
  ASSERT_EQ(pattern_errors.size(), 1u);
  EXPECT_EQ(pattern_errors[0].rfind(p + ".properties[x].pattern: Invalid value: \"([\": must be a valid regular "
                                        "expression, but isn't: ",
                                    0),
            0u)
      << pattern_errors[0];
}

TEST(Compile, AcceptsTheStructuralExceptions) {
  const char* schemas[] = {
      R"({"type":"object","x-kubernetes-preserve-unknown-fields":true})",
      R"({"type":"object","properties":{"any":{"x-kubernetes-preserve-unknown-fields":true}}})",
      R"({"type":"object","properties":{"port":{"x-kubernetes-int-or-string":true,
          "anyOf":[{"type":"integer"},{"type":"string"}]}}})",
      R"({"type":"object","properties":{"metadata":{"type":"object","properties":{
          "name":{"type":"string","maxLength":10}}}}})",
      R"({"type":"object","properties":{"s":{"type":"string","format":"int32"}}})",
      R"({"type":"object","properties":{"m":{"type":"object","additionalProperties":false}}})",
  };
  for (const char* s : schemas) MustCompile(json::parse(s));
}

TEST(Compile, WronglyTypedKeywordsAreErrorsNotCrashes) {
  const std::string p = kPrefix;
  struct Case {
    json schema;
    std::string first_error;
  };
  const Case cases[] = {
      {"object", p + ": Invalid value: \"string\": must be of type object"},
      {{{"type", 5}}, p + ".type: Invalid value: \"integer\": must be of type string"},
      {{{"type", "object"}, {"properties", {{"x", {{"type", "integer"}, {"maximum", "ten"}}}}}},
       p + ".properties[x].maximum: Invalid value: \"string\": must be of type number"},
      {{{"type", "object"}, {"properties", {{"x", {{"type", "string"}, {"maxLength", 1.5}}}}}},
       p + ".properties[x].maxLength: Invalid value: \"number\": must be of type integer"},
      {{{"type", "object"}, {"required", "x"}}, p + ".required: Invalid value: \"string\": must be of type array"},
      {{{"type", "object"}, {"required", {1}}}, p + ".required[0]: Invalid value: \"integer\": must be of type string"},
      {{{"type", "object"}, {"properties", json::array()}},
       p + ".properties: Invalid value: \"array\": must be of type object"},
      {{{"type", "object"}, {"properties", {{"x", "string"}}}},
       p + ".properties[x]: Invalid value: \"string\": must be of type object"},
      {{{"type", "object"}, {"properties", {{"x", {{"type", "string"}, {"enum", "a"}}}}}},
       p + ".properties[x].enum: Invalid value: \"string\": must be of type array"},
      {{{"type", "object"}, {"properties", {{"x", {{"type", "array"}, {"items", {{{"type", "string"}}}}}}}}},
       p + ".properties[x].items: Forbidden: items must be a schema object and not an array"},
      {{{"type", "object"}, {"properties", {{"x", {{"type", "object"}, {"additionalProperties", "yes"}}}}}},
       p + ".properties[x].additionalProperties: Invalid value: \"string\": must be of type object"},
      {{{"type", "object"}, {"anyOf", 1}}, p + ".anyOf: Invalid value: \"integer\": must be of type array"},
      {{{"type", "object"}, {"x-kubernetes-validations", {{{"message", "no rule"}}}}},
       p + ".x-kubernetes-validations[0].rule: Required value"},
      {{{"type", "object"}, {"nullable", "yes"}}, p + ".nullable: Invalid value: \"string\": must be of type boolean"},
  };
  for (const auto& tc : cases) {
    auto errors = CompileErrors(tc.schema);
    ASSERT_FALSE(errors.empty()) << tc.schema.dump();
    EXPECT_EQ(errors[0], tc.first_error) << tc.schema.dump();
  }
}

TEST(Compile, ArbitraryFragmentsNeverThrow) {
  const char* schemas[] = {
      R"(null)",
      R"([])",
      R"({"type":"object","anyOf":[{"nullable":"yes"},{"type":5},3,null]})",
      R"({"type":"object","not":5})",
      R"({"type":"object","allOf":[{"properties":{"a":{"type":[]}}}]})",
      R"({"type":"object","properties":{"a":null,"b":{"type":"array","items":5}}})",
      R"({"type":"object","properties":{"a":{"type":"array","items":null}}})",
      R"({"type":"object","properties":{"a":{"type":"string","enum":null,"default":null,"pattern":5}}})",
      R"({"type":"object","properties":{"a":{"type":"array","x-kubernetes-list-type":"map",
          "x-kubernetes-list-map-keys":"k","items":{"type":"object"}}}})",
      R"({"type":"object","properties":{"m":{"type":"object","additionalProperties":{"type":"string","default":5}}}})",
      R"({"type":"object","x-kubernetes-validations":"rule"})",
      R"({"type":"object","properties":{"metadata":{"type":"object","properties":5}}})",
      R"({"type":"object","properties":{"a":{"type":"integer","minimum":"0","maxLength":-1,"multipleOf":0}}})",
  };
  for (const char* text : schemas) {
    std::vector<FieldError> errors;
    EXPECT_NO_THROW(StructuralSchema::Compile(json::parse(text), kPrefix, &errors)) << text;
  }
}

TEST(Compile, KeepsCelRulesWithTheirPlace) {
  auto compiled = MustCompile(json::parse(R"json({"type":"object",
      "x-kubernetes-validations":[{"rule":"has(self.spec)"}],
      "properties":{"spec":{"type":"object",
        "x-kubernetes-validations":[{"rule":"self.min <= self.max","message":"min must not exceed max"}],
        "properties":{"min":{"type":"integer"},"max":{"type":"integer"},
          "items":{"type":"array","items":{"type":"string","x-kubernetes-validations":[{"rule":"self != ''"}]}}}}}})json"));
  const auto& rules = compiled.ValidationRules();
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0].data_path, "");
  EXPECT_EQ(rules[0].rule["rule"], "has(self.spec)");
  EXPECT_EQ(rules[1].data_path, "spec");
  EXPECT_EQ(rules[1].schema_path, std::string(kPrefix) + ".properties[spec]");
  EXPECT_EQ(rules[1].rule["message"], "min must not exceed max");
  EXPECT_EQ(rules[2].data_path, "spec.items[*]");
  EXPECT_EQ(rules[2].schema_path, std::string(kPrefix) + ".properties[spec].properties[items].items");
  // Rules are not evaluated: an object breaking them still validates.
  EXPECT_TRUE(compiled.Validate({{"spec", {{"min", 5}, {"max", 1}}}}).empty());
}

TEST(Validate, MalformedObjectsNeverThrow) {
  auto schema = MustCompile(WidgetSchema());
  const json objects[] = {nullptr,
                          5,
                          "x",
                          json::array(),
                          json::object(),
                          Widget({{"tags", "notalist"}}),
                          Widget({{"size", 1e300}}),
                          Widget({{"size", -9223372036854775807LL}}),
                          Widget({{"size", 18446744073709551615ULL}}),
                          Widget({{"extra", nullptr}})};
  for (const auto& obj : objects) {
    json copy = obj;
    EXPECT_NO_THROW({
      schema.Prune(copy);
      schema.ApplyDefaults(copy);
      schema.Validate(copy);
    }) << obj.dump();
  }
  EXPECT_EQ(Texts(schema.Validate(json::array())),
            std::vector<std::string>{"<nil>: Invalid value: \"array\":  in body must be of type object: \"array\""});
}

}  // namespace
}  // namespace testapi
