#include "e2e/testapi/field_error.h"

#include <gtest/gtest.h>

namespace testapi {
namespace {

using nlohmann::json;

TEST(GoQuote, EscapesLikeStrconvQuote) {
  EXPECT_EQ(GoQuote("green"), "\"green\"");
  EXPECT_EQ(GoQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(GoQuote("tab\there\nnl"), "\"tab\\there\\nnl\"");
  EXPECT_EQ(GoQuote(std::string("\x01\x7f", 2)), "\"\\x01\\x7f\"");
  EXPECT_EQ(GoQuote("héllo ☃"), "\"héllo ☃\"");   // printable UTF-8 is kept
  EXPECT_EQ(GoQuote("\xff"), "\"\\xff\"");        // invalid UTF-8 byte
  EXPECT_EQ(GoQuote("\xc2\x85"), "\"\\u0085\"");  // U+0085 is not printable
  EXPECT_EQ(GoQuote(""), "\"\"");
}

TEST(GoFloat, FormatsLikePercentV) {
  EXPECT_EQ(GoFloat(30), "30");
  EXPECT_EQ(GoFloat(1.5), "1.5");
  EXPECT_EQ(GoFloat(-0.25), "-0.25");
  EXPECT_EQ(GoFloat(123456), "123456");
  EXPECT_EQ(GoFloat(1e6), "1e+06");
  EXPECT_EQ(GoFloat(1234567), "1.234567e+06");
  EXPECT_EQ(GoFloat(0.0001), "0.0001");
  EXPECT_EQ(GoFloat(0.00001), "1e-05");
  EXPECT_EQ(GoFloat(0.1), "0.1");
  EXPECT_EQ(GoFloat(1e21), "1e+21");
  EXPECT_EQ(GoFloat(1e100), "1e+100");
  EXPECT_EQ(GoFloat(0), "0");
}

TEST(GoValue, PrintsBadValuesLikeFieldError) {
  EXPECT_EQ(GoValue("x"), "\"x\"");
  EXPECT_EQ(GoValue(30), "30");
  EXPECT_EQ(GoValue(-3), "-3");
  EXPECT_EQ(GoValue(2.5), "2.5");
  EXPECT_EQ(GoValue(true), "true");
  EXPECT_EQ(GoValue(nullptr), "\"null\"");
  EXPECT_EQ(GoValue(json::parse(R"(["a", 1, null])")), "[]interface {}{\"a\", 1, interface {}(nil)}");
  EXPECT_EQ(GoValue(json::parse(R"({"b": 1.5, "a": {"c": true}})")),
            "map[string]interface {}{\"a\":map[string]interface {}{\"c\":true}, \"b\":1.5}");
  EXPECT_EQ(GoStringSlice({"a", "b"}), "[]string{\"a\", \"b\"}");
  EXPECT_EQ(GoStringSlice({}), "[]string{}");
  EXPECT_EQ(GoStringSlice({}, true), "[]string(nil)");
}

TEST(FieldErrorConstructors, ProduceTheRealBodies) {
  struct Case {
    FieldError error;
    std::string reason, text;
  };
  const Case cases[] = {
      {field::Required("spec.size"), "FieldValueRequired", "spec.size: Required value"},
      {field::Required("metadata.name", "name or generateName is required"), "FieldValueRequired",
       "metadata.name: Required value: name or generateName is required"},
      {field::Invalid("spec.size", 30, "spec.size in body should be less than or equal to 10"), "FieldValueInvalid",
       "spec.size: Invalid value: 30: spec.size in body should be less than or equal to 10"},
      {field::NotSupported("spec.color", "green", {"red", "blue"}), "FieldValueNotSupported",
       "spec.color: Unsupported value: \"green\": supported values: \"red\", \"blue\""},
      {field::TypeInvalid("spec.size", "string", "spec.size in body must be of type integer: \"string\""),
       "FieldValueTypeInvalid",
       "spec.size: Invalid value: \"string\": spec.size in body must be of type integer: \"string\""},
      {field::TooLong("spec.name", 8), "FieldValueTooLong", "spec.name: Too long: may not be more than 8 bytes"},
      {field::TooLong("x", 1), "FieldValueTooLong", "x: Too long: may not be more than 1 byte"},
      {field::TooMany("spec.tags", 4, 3), "FieldValueTooMany", "spec.tags: Too many: 4: must have at most 3 items"},
      {field::TooMany("spec.tags", 2, 1), "FieldValueTooMany", "spec.tags: Too many: 2: must have at most 1 item"},
      {field::Forbidden("metadata.namespace", "not allowed on this type"), "FieldValueForbidden",
       "metadata.namespace: Forbidden: not allowed on this type"},
      {field::Duplicate("spec.tags[2]", "a"), "FieldValueDuplicate", "spec.tags[2]: Duplicate value: \"a\""},
      {field::Invalid("<nil>", "", "\"spec.x\" must validate at least one schema (anyOf)"), "FieldValueInvalid",
       "<nil>: Invalid value: \"\": \"spec.x\" must validate at least one schema (anyOf)"},
  };
  for (const auto& tc : cases) {
    EXPECT_EQ(tc.error.reason, tc.reason) << tc.text;
    EXPECT_EQ(tc.error.ToString(), tc.text);
  }
  EXPECT_EQ(field::Required("spec.size").ToCause(),
            json({{"reason", "FieldValueRequired"}, {"message", "Required value"}, {"field", "spec.size"}}));
}

TEST(InvalidMessage, MatchesStatusMessage) {
  std::vector<FieldError> two = {
      field::Invalid("spec.size", 30, "spec.size in body should be less than or equal to 10"),
      field::NotSupported("spec.color", "green", {"red", "blue"})};
  EXPECT_EQ(InvalidMessage("Widget.conformance.rdma-test.io", "w-bad", two),
            "Widget.conformance.rdma-test.io \"w-bad\" is invalid: [spec.size: Invalid value: 30: spec.size in body "
            "should be less than or equal to 10, spec.color: Unsupported value: \"green\": supported values: \"red\", "
            "\"blue\"]");
  EXPECT_EQ(InvalidMessage("Namespace", "Bad", {field::Required("metadata.name")}),
            "Namespace \"Bad\" is invalid: metadata.name: Required value");
  // Identical errors are listed once; one left means no brackets.
  EXPECT_EQ(InvalidMessage("Widget.g", "w", {field::Required("a"), field::Required("a")}),
            "Widget.g \"w\" is invalid: a: Required value");
  EXPECT_EQ(InvalidMessage("Widget.g", "w", {}), "Widget.g \"w\" is invalid");
}

}  // namespace
}  // namespace testapi
