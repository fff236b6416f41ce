// ObjectMeta: the subset of Kubernetes object metadata the operator and the
// agent read or set (name, namespace, labels, generation, owners...). Every
// other metadata field (managedFields, ...) is kept in unknown_fields and
// written back unchanged; see json_fields.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace api {

namespace json_fields {
class Reader;
class Writer;
}  // namespace json_fields

// metadata.ownerReferences[]: who owns an object (garbage collection and "is
// this NetworkAttachmentDefinition ours?").
struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  std::optional<bool> controller;
  std::optional<bool> block_owner_deletion;
  nlohmann::json unknown_fields;

  bool operator==(const OwnerReference&) const = default;
};

struct ObjectMeta {
  std::string name;
  std::string namespace_;  // "namespace" in JSON; empty for cluster-scoped kinds
  std::string uid;
  std::string resource_version;
  std::optional<int64_t> generation;  // set by the API server on every spec change
  std::string creation_timestamp;     // RFC 3339, set by the API server
  std::string deletion_timestamp;     // non-empty while the object is being deleted
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<OwnerReference> owner_references;
  std::vector<std::string> finalizers;
  nlohmann::json unknown_fields;

  bool operator==(const ObjectMeta&) const = default;
};

void Fields(json_fields::Reader& v, OwnerReference& o);
void Fields(json_fields::Writer& v, OwnerReference& o);
void Fields(json_fields::Reader& v, ObjectMeta& m);
void Fields(json_fields::Writer& v, ObjectMeta& m);

// "namespace/name", or "name" for cluster-scoped objects: how log lines and
// condition messages name an object.
std::string ObjectKey(const ObjectMeta& meta);

}  // namespace api
