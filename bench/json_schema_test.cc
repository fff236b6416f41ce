#include "bench/json_schema.h"

#include <gtest/gtest.h>

namespace bench {
namespace {

using nlohmann::json;

const json kSchema = json::parse(R"({
  "type": "object",
  "required": ["name", "items"],
  "additionalProperties": false,
  "properties": {
    "name": {"type": "string"},
    "kind": {"enum": ["a", "b"]},
    "items": {"type": "array", "items": {"type": "integer", "minimum": 0}},
    "either": {"oneOf": [{"type": "string"}, {"type": "integer"}]}
  }
})");

TEST(ValidateJsonTest, AcceptsAConformingDocument) {
  EXPECT_TRUE(ValidateJson(json::parse(R"({"name":"x","kind":"a","items":[0,3],"either":4})"), kSchema).ok());
}

TEST(ValidateJsonTest, ReportsThePathAndTheRule) {
  struct Case {
    const char* doc;
    const char* expected;
  } cases[] = {
      {R"({"items":[]})", "/: missing required property \"name\""},
      {R"({"name":1,"items":[]})", "/name: expected type \"string\", got number"},
      {R"({"name":"x","items":[1,-2]})", "/items/1: must be >= 0"},
      {R"({"name":"x","items":[],"kind":"c"})", "/kind: expected one of"},
      {R"({"name":"x","items":[],"extra":1})", "unexpected property \"extra\""},
      {R"({"name":"x","items":[],"either":1.5})", "/either: matches none"},
  };
  for (const Case& c : cases) {
    Status st = ValidateJson(json::parse(c.doc), kSchema);
    ASSERT_FALSE(st.ok()) << c.doc;
    EXPECT_NE(st.message().find(c.expected), std::string::npos) << st.message();
  }
}

}  // namespace
}  // namespace bench
