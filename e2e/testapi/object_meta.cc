#include "e2e/testapi/object_meta.h"

#include <algorithm>
#include <cctype>

#include "kube/labels.h"

namespace testapi {
namespace {

using nlohmann::json;

constexpr int64_t kTotalAnnotationSizeLimit = 256 * 1024;  // TotalAnnotationSizeLimitB

// A JSON value's type as the OpenAPI error messages name it.
std::string TypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_float:
      return "number";
    case json::value_t::null:
      return "null";
    default:
      return "integer";
  }
}

FieldError WrongType(const std::string& path, const json& value, std::string_view expected) {
  return field::TypeInvalid(path, TypeName(value), "must be of type " + std::string(expected));
}

// Reads an optional string field; a wrong type is reported and treated as "".
std::string OptionalString(const json& metadata, const char* key, const std::string& prefix,
                           std::vector<FieldError>* errors) {
  auto it = metadata.find(key);
  if (it == metadata.end() || it->is_null()) return "";
  if (!it->is_string()) {
    errors->push_back(WrongType(prefix + "." + key, *it, "string"));
    return "";
  }
  return it->get<std::string>();
}

// map[string]string fields (labels, annotations). Wrong types are reported;
// the well-typed entries are returned so their syntax is still checked.
std::vector<std::pair<std::string, std::string>> StringMap(const json& metadata, const char* key,
                                                           const std::string& prefix, std::vector<FieldError>* errors) {
  std::vector<std::pair<std::string, std::string>> out;
  auto it = metadata.find(key);
  if (it == metadata.end() || it->is_null()) return out;
  std::string path = prefix + "." + key;
  if (!it->is_object()) {
    errors->push_back(WrongType(path, *it, "object"));
    return out;
  }
  for (const auto& [k, v] : it->items()) {
    if (v.is_string()) {
      out.emplace_back(k, v.get<std::string>());
    } else if (!v.is_null()) {
      errors->push_back(WrongType(path + "." + k, v, "string"));
    }
  }
  return out;
}

void ValidateLabels(const json& metadata, const std::string& prefix, std::vector<FieldError>* errors) {
  std::string path = prefix + ".labels";
  for (const auto& [key, value] : StringMap(metadata, "labels", prefix, errors)) {
    for (const auto& msg : kube::QualifiedNameErrors(key)) errors->push_back(field::Invalid(path, key, msg));
    for (const auto& msg : kube::LabelValueErrors(value)) errors->push_back(field::Invalid(path, value, msg));
  }
}

void ValidateAnnotations(const json& metadata, const std::string& prefix, std::vector<FieldError>* errors) {
  std::string path = prefix + ".annotations";
  int64_t total = 0;
  for (const auto& [key, value] : StringMap(metadata, "annotations", prefix, errors)) {
    // The rule is QualifiedName except that case does not matter.
    std::string lower = key;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const auto& msg : kube::QualifiedNameErrors(lower)) errors->push_back(field::Invalid(path, key, msg));
    total += static_cast<int64_t>(key.size() + value.size());
  }
  if (total > kTotalAnnotationSizeLimit) errors->push_back(field::TooLong(path, kTotalAnnotationSizeLimit));
}

// schema.ParseGroupVersion, reduced to "does it have a version".
bool HasVersion(const std::string& api_version) {
  size_t slashes = std::count(api_version.begin(), api_version.end(), '/');
  if (slashes == 0) return !api_version.empty();
  if (slashes > 1) return false;
  return api_version.back() != '/';
}

void ValidateOwnerReferences(const json& metadata, const std::string& prefix, std::vector<FieldError>* errors) {
  auto it = metadata.find("ownerReferences");
  if (it == metadata.end() || it->is_null()) return;
  std::string path = prefix + ".ownerReferences";
  if (!it->is_array()) {
    errors->push_back(WrongType(path, *it, "array"));
    return;
  }
  std::string first_controller;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& ref = (*it)[i];
    if (!ref.is_object()) {
      errors->push_back(WrongType(path + "[" + std::to_string(i) + "]", ref, "object"));
      continue;
    }
    std::string item = path + "[" + std::to_string(i) + "]";
    std::string api_version = OptionalString(ref, "apiVersion", item, errors);
    std::string kind = OptionalString(ref, "kind", item, errors);
    std::string name = OptionalString(ref, "name", item, errors);
    std::string uid = OptionalString(ref, "uid", item, errors);
    // The real paths carry no index: "metadata.ownerReferences.uid".
    if (!HasVersion(api_version)) {
      errors->push_back(field::Invalid(path + ".apiVersion", api_version, "version must not be empty"));
    }
    if (kind.empty()) errors->push_back(field::Invalid(path + ".kind", kind, "kind must not be empty"));
    if (name.empty()) errors->push_back(field::Invalid(path + ".name", name, "name must not be empty"));
    if (uid.empty()) errors->push_back(field::Invalid(path + ".uid", uid, "uid must not be empty"));
    auto controller = ref.find("controller");
    if (controller != ref.end() && !controller->is_null() && !controller->is_boolean()) {
      errors->push_back(WrongType(item + ".controller", *controller, "boolean"));
    } else if (controller != ref.end() && controller->is_boolean() && controller->get<bool>()) {
      std::string current = kind + "/" + name;
      if (!first_controller.empty()) {
        errors->push_back(field::Invalid(path, *it,
                                         "Only one reference can have Controller set to true. Found \"true\" in "
                                         "references for " +
                                             first_controller + " and " + current));
      } else {
        first_controller = current;
      }
    }
  }
}

void ValidateFinalizers(const json& metadata, const std::string& prefix, std::vector<FieldError>* errors) {
  auto it = metadata.find("finalizers");
  if (it == metadata.end() || it->is_null()) return;
  std::string path = prefix + ".finalizers";
  if (!it->is_array()) {
    errors->push_back(WrongType(path, *it, "array"));
    return;
  }
  std::vector<std::string> finalizers;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& f = (*it)[i];
    if (!f.is_string()) {
      errors->push_back(WrongType(path + "[" + std::to_string(i) + "]", f, "string"));
      continue;
    }
    finalizers.push_back(f.get<std::string>());
  }
  bool orphan = false;
  bool foreground = false;
  for (const auto& f : finalizers) {
    for (const auto& msg : kube::QualifiedNameErrors(f)) errors->push_back(field::Invalid(path, f, msg));
    orphan |= f == "orphan";
    foreground |= f == "foregroundDeletion";
  }
  if (orphan && foreground) {
    errors->push_back(field::InvalidPreformatted(path, GoStringSlice(finalizers),
                                                 "finalizer orphan and foregroundDeletion cannot be both set"));
  }
}

void ValidateGeneration(const json& metadata, const std::string& prefix, std::vector<FieldError>* errors) {
  auto it = metadata.find("generation");
  if (it == metadata.end() || it->is_null()) return;
  std::string path = prefix + ".generation";
  if (!it->is_number_integer()) {
    errors->push_back(WrongType(path, *it, "integer"));
  } else if (!it->is_number_unsigned() && it->get<int64_t>() < 0) {
    errors->push_back(field::Invalid(path, *it, "must be greater than or equal to 0"));
  }
}

// Checks shared by top-level and embedded metadata, after the names.
void ValidateMetadataBody(const json& metadata, const std::string& prefix, std::vector<FieldError>* errors) {
  ValidateGeneration(metadata, prefix, errors);
  ValidateLabels(metadata, prefix, errors);
  ValidateAnnotations(metadata, prefix, errors);
  ValidateOwnerReferences(metadata, prefix, errors);
  ValidateFinalizers(metadata, prefix, errors);
}

}  // namespace

std::vector<std::string> NameErrors(std::string_view name, NameRule rule, bool prefix) {
  switch (rule) {
    case NameRule::kDnsSubdomain:
    case NameRule::kDnsLabel: {
      std::string checked(name);
      // maskTrailingDash: a generateName prefix may end in '-'.
      if (prefix && checked.size() > 1 && checked.back() == '-') checked.back() = 'a';
      return rule == NameRule::kDnsSubdomain ? kube::Dns1123SubdomainErrors(checked)
                                             : kube::Dns1123LabelErrors(checked);
    }
    case NameRule::kPathSegment: {
      if (!prefix && (name == "." || name == "..")) return {"may not be '" + std::string(name) + "'"};
      std::vector<std::string> errors;
      for (const char* bad : {"/", "%"}) {
        if (name.find(bad) != std::string_view::npos) errors.push_back("may not contain '" + std::string(bad) + "'");
      }
      return errors;
    }
  }
  return {};
}

std::vector<FieldError> ValidateObjectMeta(const json& metadata, NameRule rule, NamespaceRule namespace_rule) {
  std::vector<FieldError> errors;
  const std::string prefix = "metadata";
  static const json kEmpty = json::object();
  const json* meta = &metadata;
  if (metadata.is_null()) {
    meta = &kEmpty;
  } else if (!metadata.is_object()) {
    errors.push_back(WrongType(prefix, metadata, "object"));
    meta = &kEmpty;
  }

  std::string generate_name = OptionalString(*meta, "generateName", prefix, &errors);
  std::string name = OptionalString(*meta, "name", prefix, &errors);
  std::string ns = OptionalString(*meta, "namespace", prefix, &errors);

  if (!generate_name.empty()) {
    for (const auto& msg : NameErrors(generate_name, rule, true)) {
      errors.push_back(field::Invalid(prefix + ".generateName", generate_name, msg));
    }
  }
  if (name.empty()) {
    if (generate_name.empty()) errors.push_back(field::Required(prefix + ".name", "name or generateName is required"));
  } else {
    for (const auto& msg : NameErrors(name, rule)) errors.push_back(field::Invalid(prefix + ".name", name, msg));
  }
  switch (namespace_rule) {
    case NamespaceRule::kIgnore:
      break;
    case NamespaceRule::kRequired:
      if (ns.empty()) {
        errors.push_back(field::Required(prefix + ".namespace"));
      } else {
        for (const auto& msg : kube::Dns1123LabelErrors(ns)) {
          errors.push_back(field::Invalid(prefix + ".namespace", ns, msg));
        }
      }
      break;
    case NamespaceRule::kForbidden:
      if (!ns.empty()) errors.push_back(field::Forbidden(prefix + ".namespace", "not allowed on this type"));
      break;
  }
  ValidateMetadataBody(*meta, prefix, &errors);
  return errors;
}

std::vector<FieldError> ValidateEmbeddedObjectMeta(const json& metadata, const std::string& field_prefix) {
  std::vector<FieldError> errors;
  if (metadata.is_null()) return errors;
  if (!metadata.is_object()) {
    errors.push_back(WrongType(field_prefix, metadata, "object"));
    return errors;
  }
  OptionalString(metadata, "name", field_prefix, &errors);
  OptionalString(metadata, "generateName", field_prefix, &errors);
  OptionalString(metadata, "namespace", field_prefix, &errors);
  ValidateMetadataBody(metadata, field_prefix, &errors);
  return errors;
}

}  // namespace testapi
