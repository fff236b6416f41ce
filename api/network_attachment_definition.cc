#include "api/network_attachment_definition.h"

#include "api/json_fields.h"

namespace api {

template <class V>
void NadSpecFields(V& v, NetworkAttachmentDefinitionSpec& s) {
  v("config", s.config);
}
void Fields(json_fields::Reader& v, NetworkAttachmentDefinitionSpec& s) { NadSpecFields(v, s); }
void Fields(json_fields::Writer& v, NetworkAttachmentDefinitionSpec& s) { NadSpecFields(v, s); }

template <class V>
void NadFields(V& v, NetworkAttachmentDefinition& n) {
  v("apiVersion", n.api_version);
  v("kind", n.kind);
  v("metadata", n.metadata);
  v("spec", n.spec);
}
void Fields(json_fields::Reader& v, NetworkAttachmentDefinition& n) { NadFields(v, n); }
void Fields(json_fields::Writer& v, NetworkAttachmentDefinition& n) { NadFields(v, n); }

FieldErrors FromJson(const nlohmann::json& in, NetworkAttachmentDefinition* out) {
  return json_fields::DecodeRoot(in, out);
}

nlohmann::json ToJson(const NetworkAttachmentDefinition& nad) { return json_fields::EncodeRoot(nad); }

FieldErrors Validate(const NetworkAttachmentDefinition& nad) {
  FieldErrors errors;
  if (nad.metadata.name.empty()) errors.push_back({"metadata.name", "is required"});
  nlohmann::json config = nlohmann::json::parse(nad.spec.config, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded() || !config.is_object()) {
    errors.push_back({"spec.config", "must be a JSON object (a CNI configuration)"});
    return errors;
  }
  if (!config.contains("cniVersion") || !config["cniVersion"].is_string()) {
    errors.push_back({"spec.config", "CNI configuration needs a \"cniVersion\" string"});
  }
  bool has_type = config.contains("type") && config["type"].is_string();
  bool has_plugins = config.contains("plugins") && config["plugins"].is_array();
  if (!has_type && !has_plugins) {
    errors.push_back({"spec.config", "CNI configuration needs a \"type\" (or a \"plugins\" list)"});
  }
  return errors;
}

}  // namespace api
