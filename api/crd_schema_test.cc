// Checks on the CRDs in crds/ that kube-apiserver does not make: every field
// is documented (kubectl explain is how users learn the API) and typed, the
// printer columns point at real fields, the C++ defaults equal the schema's,
// and the C++ types model every field of every schema (a field they did not
// model would only be carried along in unknown_fields, never acted on).
#include <gtest/gtest.h>

#include <functional>

#include "api/json_fields.h"
#include "api/network_attachment_definition.h"
#include "api/rdma_network.h"
#include "api/rdma_node_policy.h"
#include "api/rdma_node_state.h"
#include "api/test_files.h"
#include "api/yaml_documents.h"

namespace api {
namespace {

using nlohmann::json;

json LoadCrd(const std::string& relative) {
  std::string error;
  auto docs = ParseYamlDocuments(testing::ReadFile(testing::SourceDir() / relative), &error);
  EXPECT_TRUE(error.empty()) << relative << ": " << error;
  EXPECT_EQ(docs.size(), 1u) << relative;
  return docs.empty() ? json::object() : docs[0];
}

const json& RootSchema(const json& crd) {
  return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
}

const std::vector<std::string> kOurCrds = {
    "crds/rdma.dev_rdmanodepolicies.yaml",
    "crds/rdma.dev_rdmanetworks.yaml",
    "crds/rdma.dev_rdmanodestates.yaml",
};

// Calls visit(path, schema) for the root and every nested property, list
// item and map value.
void Walk(const json& schema, const std::string& path,
          const std::function<void(const std::string&, const json&)>& visit) {
  visit(path, schema);
  if (schema.contains("properties")) {
    for (const auto& [name, sub] : schema["properties"].items()) Walk(sub, path + "." + name, visit);
  }
  if (schema.contains("items")) Walk(schema["items"], path + "[]", visit);
  if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object()) {
    Walk(schema["additionalProperties"], path + "{}", visit);
  }
}

TEST(CrdSchemaTest, EveryFieldHasADescriptionAndAType) {
  for (const std::string& file : kOurCrds) {
    json crd = LoadCrd(file);
    int fields = 0;
    // kube-apiserver rejects a CRD whose metadata schema says anything but
    // its type (even a description), so metadata is the one exception.
    EXPECT_EQ(RootSchema(crd)["properties"]["metadata"], json({{"type", "object"}})) << file;
    Walk(RootSchema(crd), "", [&](const std::string& path, const json& s) {
      if (path == ".metadata") return;
      ++fields;
      EXPECT_TRUE(s.contains("description") && s["description"].is_string() &&
                  s["description"].get<std::string>().size() >= 10)
          << file << ": " << (path.empty() ? "<root>" : path) << " has no useful description";
      bool typed = s.contains("type") || s.value("x-kubernetes-int-or-string", false) ||
                   s.value("x-kubernetes-preserve-unknown-fields", false);
      EXPECT_TRUE(typed) << file << ": " << path << " has no type";
    });
    EXPECT_GT(fields, 20) << file;
  }
}

TEST(CrdSchemaTest, ThirdPartyCrdIsTypedToo) {
  json crd = LoadCrd("crds/third-party/k8s.cni.cncf.io_network-attachment-definitions.yaml");
  EXPECT_EQ(crd["spec"]["group"], "k8s.cni.cncf.io");
  EXPECT_EQ(crd["metadata"]["name"], "network-attachment-definitions.k8s.cni.cncf.io");
  EXPECT_EQ(RootSchema(crd)["properties"]["metadata"], json({{"type", "object"}}));
  Walk(RootSchema(crd), "", [&](const std::string& path, const json& s) {
    EXPECT_TRUE(s.contains("type")) << path;
  });
}

TEST(CrdSchemaTest, KindsAreListedTogetherWithStatusAndShortNames) {
  for (const std::string& file : kOurCrds) {
    json crd = LoadCrd(file);
    const json& spec = crd["spec"];
    EXPECT_EQ(spec["group"], "rdma.dev") << file;
    EXPECT_EQ(crd["metadata"]["name"].get<std::string>(),
              spec["names"]["plural"].get<std::string>() + ".rdma.dev");
    EXPECT_EQ(spec["names"]["categories"], json::array({"rdma"})) << file;
    EXPECT_FALSE(spec["names"]["shortNames"].empty()) << file;
    ASSERT_EQ(spec["versions"].size(), 1u) << file;
    const json& v = spec["versions"][0];
    EXPECT_EQ(v["name"], "v1alpha1");
    EXPECT_TRUE(v["served"].get<bool>() && v["storage"].get<bool>()) << file;
    EXPECT_TRUE(v["subresources"].contains("status")) << file << ": no status subresource";
    const json& status = RootSchema(crd)["properties"]["status"]["properties"];
    EXPECT_EQ(status["observedGeneration"]["type"], "integer") << file;
    const json& conditions = status["conditions"];
    EXPECT_EQ(conditions["x-kubernetes-list-type"], "map") << file;
    EXPECT_EQ(conditions["x-kubernetes-list-map-keys"], json::array({"type"})) << file;
    for (const char* required : {"type", "status", "lastTransitionTime", "reason", "message"}) {
      const json& r = conditions["items"]["required"];
      EXPECT_NE(std::find(r.begin(), r.end(), required), r.end()) << file << ": " << required;
    }
  }
}

// The schema node a simple printer-column JSONPath such as
// .status.conditions[?(@.type=="Ready")].status points at, or null.
json Resolve(const json& root, const std::string& json_path) {
  json node = root;
  std::string path = json_path;
  // Drop filters: [?(...)] selects list items, whose schema is "items".
  for (size_t open; (open = path.find("[?(")) != std::string::npos;) {
    size_t close = path.find(")]", open);
    path = path.substr(0, open) + "[]" + path.substr(close + 2);
  }
  size_t i = 0;
  while (i < path.size()) {
    if (path.compare(i, 2, "[]") == 0) {
      if (!node.contains("items")) return nullptr;
      node = node["items"];
      i += 2;
      continue;
    }
    if (path[i] != '.') return nullptr;
    size_t end = path.find_first_of(".[", i + 1);
    std::string name = path.substr(i + 1, end == std::string::npos ? std::string::npos : end - i - 1);
    if (!node.contains("properties") || !node["properties"].contains(name)) return nullptr;
    node = node["properties"][name];
    i = end == std::string::npos ? path.size() : end;
  }
  return node;
}

TEST(CrdSchemaTest, PrinterColumnsPointAtFieldsOfTheirType) {
  for (const std::string& file : kOurCrds) {
    json crd = LoadCrd(file);
    const json& columns = crd["spec"]["versions"][0]["additionalPrinterColumns"];
    ASSERT_GE(columns.size(), 4u) << file;
    for (const json& c : columns) {
      std::string path = c["jsonPath"];
      if (path.rfind(".metadata.", 0) == 0) continue;
      json field = Resolve(RootSchema(crd), path);
      ASSERT_FALSE(field.is_null()) << file << ": column " << c["name"] << " points at " << path
                                    << ", which the schema does not have";
      std::string type = c["type"];
      std::string field_type = field.value("type", "");
      EXPECT_EQ(type, field_type) << file << ": column " << c["name"];
    }
  }
}

const json& SchemaAt(const json& crd, const std::string& json_path) {
  static json null;
  json resolved = Resolve(RootSchema(crd), json_path);
  null = resolved;
  return null;
}

TEST(CrdSchemaTest, CxxDefaultsMatchTheSchema) {
  json policy = LoadCrd("crds/rdma.dev_rdmanodepolicies.yaml");
  EXPECT_EQ(SchemaAt(policy, ".spec.priority")["default"], kDefaultPriority);
  EXPECT_EQ(SchemaAt(policy, ".spec.firmware.managed")["default"], kDefaultFirmwareManaged);
  EXPECT_EQ(SchemaAt(policy, ".spec.firmware.allowReboot")["default"], kDefaultAllowReboot);
  EXPECT_EQ(SchemaAt(policy, ".spec.guid.mode")["default"], kDefaultGuidMode);
  EXPECT_EQ(SchemaAt(policy, ".spec.rdmaNamespaceMode")["default"], kDefaultRdmaNamespaceMode);
  EXPECT_EQ(SchemaAt(policy, ".spec.disruption.maxUnavailable")["default"], kDefaultMaxUnavailable);
  EXPECT_EQ(SchemaAt(policy, ".spec.disruption.drainTimeoutSeconds")["default"],
            kDefaultDrainTimeoutSeconds);
  EXPECT_EQ(SchemaAt(policy, ".spec.disruption.onDrainTimeout")["default"], kDefaultOnDrainTimeout);
  EXPECT_EQ(SchemaAt(policy, ".spec.disruption.onDrainTimeout")["enum"],
            json::array({kOnDrainTimeoutWait, kOnDrainTimeoutAbort, kOnDrainTimeoutForce}));
  // umad means false when unset but has no schema default on purpose: a
  // default would add umad: false to every stored policy and so to the VF
  // groups of every existing node state.
  EXPECT_EQ(SchemaAt(policy, ".spec.umad")["type"], "boolean");
  EXPECT_FALSE(SchemaAt(policy, ".spec.umad").contains("default"));

  // WithDefaults() fills exactly the fields the schema defaults.
  RdmaNodePolicySpec spec = WithDefaults({});
  EXPECT_EQ(spec.priority, kDefaultPriority);
  EXPECT_EQ(spec.guid->mode, kDefaultGuidMode);
  EXPECT_EQ(spec.disruption->max_unavailable, kDefaultMaxUnavailable);

  json network = LoadCrd("crds/rdma.dev_rdmanetworks.yaml");
  EXPECT_EQ(SchemaAt(network, ".spec.ipam.nodeBlockSize")["default"], kDefaultNodeBlockSize);
  EXPECT_EQ(SchemaAt(network, ".spec.vlan")["default"], kDefaultVlan);
}

// An object that sets every field of a schema: enums take their first
// value, numbers their minimum (or 1), strings "x", lists one item, maps one
// entry.
json SampleFromSchema(const json& s) {
  if (s.value("x-kubernetes-int-or-string", false)) return 1;
  std::string type = s.value("type", "");
  if (type == "object") {
    json out = json::object();
    if (s.contains("properties")) {
      for (const auto& [name, sub] : s["properties"].items()) out[name] = SampleFromSchema(sub);
    }
    if (s.contains("additionalProperties")) {
      out["example.com/key"] = SampleFromSchema(s["additionalProperties"]);
    }
    return out;
  }
  if (type == "array") return json::array({SampleFromSchema(s["items"])});
  if (type == "integer") return s.value("minimum", 1) == 0 ? 1 : s.value("minimum", 1);
  if (type == "boolean") return true;
  if (s.contains("enum")) return s["enum"][0];
  return "x";
}

template <class T>
void CheckTypesCoverSchema(const std::string& file) {
  json crd = LoadCrd(file);
  json sample = SampleFromSchema(RootSchema(crd));
  sample["apiVersion"] = crd["spec"]["group"].get<std::string>() + "/" +
                         crd["spec"]["versions"][0]["name"].get<std::string>();
  sample["kind"] = crd["spec"]["names"]["kind"];
  sample["metadata"] = {{"name", "sample"}};
  T object;
  FieldErrors errors = FromJson(sample, &object);
  EXPECT_TRUE(errors.empty()) << file << ": " << Summarize(errors);
  json modelled = json_fields::EncodeKnownFieldsOnly(object);
  EXPECT_EQ(modelled, sample) << file
                              << ": fields in the schema that the C++ types do not model (or "
                                 "vice versa), as a JSON patch from schema to C++: "
                              << json::diff(sample, modelled).dump();
}

TEST(CrdSchemaTest, CxxTypesModelEveryField) {
  CheckTypesCoverSchema<RdmaNodePolicy>("crds/rdma.dev_rdmanodepolicies.yaml");
  CheckTypesCoverSchema<RdmaNetwork>("crds/rdma.dev_rdmanetworks.yaml");
  CheckTypesCoverSchema<RdmaNodeState>("crds/rdma.dev_rdmanodestates.yaml");
  CheckTypesCoverSchema<NetworkAttachmentDefinition>(
      "crds/third-party/k8s.cni.cncf.io_network-attachment-definitions.yaml");
}

}  // namespace
}  // namespace api
