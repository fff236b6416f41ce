// NetworkAttachmentDefinition (k8s.cni.cncf.io/v1, namespaced): the Multus
// object the operator renders per RdmaNetwork and target namespace. Its
// schema is Multus' (crds/third-party/); spec.config is CNI JSON in a
// string. JSON conversion keeps unknown fields (json_fields.h).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "api/field_error.h"
#include "api/object_meta.h"

namespace api {

struct NetworkAttachmentDefinitionSpec {
  std::string config;  // CNI configuration, JSON text
  nlohmann::json unknown_fields;

  bool operator==(const NetworkAttachmentDefinitionSpec&) const = default;
};

struct NetworkAttachmentDefinition {
  std::string api_version{"k8s.cni.cncf.io/v1"};
  std::string kind{"NetworkAttachmentDefinition"};
  ObjectMeta metadata;
  NetworkAttachmentDefinitionSpec spec;
  nlohmann::json unknown_fields;

  bool operator==(const NetworkAttachmentDefinition&) const = default;
};

namespace json_fields {
class Reader;
class Writer;
}  // namespace json_fields

// The field list of the whole object, for json_fields.h.
void Fields(json_fields::Reader& v, NetworkAttachmentDefinition& object);
void Fields(json_fields::Writer& v, NetworkAttachmentDefinition& object);

// Reads a NetworkAttachmentDefinition. Never throws: values of the wrong
// JSON type are returned as errors (and kept verbatim for writing back).
FieldErrors FromJson(const nlohmann::json& in, NetworkAttachmentDefinition* out);
nlohmann::json ToJson(const NetworkAttachmentDefinition& nad);

// spec.config must be a JSON object naming a CNI "type" (or a "plugins"
// list) and a "cniVersion", which is what Multus needs to call the plugin.
FieldErrors Validate(const NetworkAttachmentDefinition& nad);

}  // namespace api
