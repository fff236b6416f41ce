#include "api/yaml_documents.h"

#include <gtest/gtest.h>

namespace api {
namespace {

using nlohmann::json;

TEST(YamlDocumentsTest, TypesScalarsAsKubectlDoes) {
  std::string error;
  auto docs = ParseYamlDocuments(R"(
a: 1
b: "1"
c: true
d: "true"
e: ~
f: 1.5
g: 15b3
h: "15b3"
i: -7
j: |
  line
k: [x, 2]
l: yes
m: 0x10
n: 1017
)", &error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_EQ(docs.size(), 1u);
  json expected = json::parse(R"({"a": 1, "b": "1", "c": true, "d": "true", "e": null, "f": 1.5,
    "g": "15b3", "h": "15b3", "i": -7, "j": "line\n", "k": ["x", 2], "l": true, "m": 16, "n": 1017})");
  EXPECT_EQ(docs[0], expected);
}

TEST(YamlDocumentsTest, SplitsDocumentsAndSkipsEmptyOnes) {
  std::string error;
  auto docs = ParseYamlDocuments("---\na: 1\n---\n# only a comment\n---\nb: 2\n", &error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[1]["b"], 2);
}

TEST(YamlDocumentsTest, SyntaxErrorNamesTheLine) {
  std::string error;
  auto docs = ParseYamlDocuments("a: 1\nb: [unclosed\n", &error);
  EXPECT_TRUE(docs.empty());
  EXPECT_NE(error.find("YAML line"), std::string::npos) << error;
}

// yaml-cpp 0.7's LoadAll loops forever on these, allocating until the process
// is killed (found by fuzz/api_objects_fuzz).
TEST(YamlDocumentsTest, ATokenNoNodeCanStartWithIsAnErrorNotAHang) {
  for (std::string text : {",", "a: 1\n---\n, b\n", "# comment\n, #:a\n"}) {
    std::string error;
    auto docs = ParseYamlDocuments(text, &error);
    EXPECT_TRUE(docs.empty()) << text;
    EXPECT_NE(error.find("unexpected \",\" where a node should start"), std::string::npos) << error;
    EXPECT_NE(error.find("YAML line"), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace api
