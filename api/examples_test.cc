// Every manifest a user applies as it is (docs/examples/) and every CRD
// (crds/) must parse, and every example must go through the C++ types
// without losing or changing anything and without validation errors: the
// operator reads exactly what the user wrote.
#include <gtest/gtest.h>

#include "api/network_attachment_definition.h"
#include "api/rdma_network.h"
#include "api/rdma_node_policy.h"
#include "api/rdma_node_state.h"
#include "api/test_files.h"
#include "api/yaml_documents.h"

namespace api {
namespace {

using testing::SourceDir;
using testing::YamlFiles;

// Reads, re-writes and validates one object with the type for its kind.
template <class T>
void CheckRoundTrip(const nlohmann::json& doc, const std::string& where) {
  T object;
  FieldErrors errors = FromJson(doc, &object);
  EXPECT_TRUE(errors.empty()) << where << ": " << Summarize(errors);
  EXPECT_EQ(ToJson(object), doc) << where << " changed in a round trip";
  FieldErrors invalid = Validate(object);
  EXPECT_TRUE(invalid.empty()) << where << ": " << Summarize(invalid);
}

TEST(ExamplesTest, EveryExampleRoundTripsAndValidates) {
  auto files = YamlFiles(SourceDir() / "docs" / "examples");
  ASSERT_GE(files.size(), 3u) << "expected the RoCE, InfiniBand and network examples";
  int objects = 0;
  for (const auto& file : files) {
    std::string error;
    auto docs = ParseYamlDocuments(testing::ReadFile(file), &error);
    ASSERT_TRUE(error.empty()) << file << ": " << error;
    ASSERT_FALSE(docs.empty()) << file << " holds no object";
    for (size_t i = 0; i < docs.size(); ++i) {
      std::string where = file.filename().string() + " document " + std::to_string(i + 1);
      std::string kind = docs[i].value("kind", "");
      if (kind == "RdmaNodePolicy") {
        CheckRoundTrip<RdmaNodePolicy>(docs[i], where);
      } else if (kind == "RdmaNetwork") {
        CheckRoundTrip<RdmaNetwork>(docs[i], where);
      } else if (kind == "RdmaNodeState") {
        CheckRoundTrip<RdmaNodeState>(docs[i], where);
      } else if (kind == "NetworkAttachmentDefinition") {
        CheckRoundTrip<NetworkAttachmentDefinition>(docs[i], where);
      } else {
        ADD_FAILURE() << where << ": unexpected kind \"" << kind << "\"";
      }
      ++objects;
    }
  }
  EXPECT_GE(objects, 4);
}

TEST(ExamplesTest, EveryCrdParses) {
  std::vector<std::filesystem::path> files = YamlFiles(SourceDir() / "crds");
  for (const auto& f : YamlFiles(SourceDir() / "crds" / "third-party")) files.push_back(f);
  ASSERT_EQ(files.size(), 4u) << "three rdma.dev CRDs and the NetworkAttachmentDefinition CRD";
  for (const auto& file : files) {
    std::string error;
    auto docs = ParseYamlDocuments(testing::ReadFile(file), &error);
    ASSERT_TRUE(error.empty()) << file << ": " << error;
    ASSERT_EQ(docs.size(), 1u) << file;
    EXPECT_EQ(docs[0].value("kind", ""), "CustomResourceDefinition") << file;
    EXPECT_EQ(docs[0].value("apiVersion", ""), "apiextensions.k8s.io/v1") << file;
  }
}

}  // namespace
}  // namespace api
