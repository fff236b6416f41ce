// A CustomResourceDefinition version's openAPIV3Schema, compiled once and
// applied to every write of that resource, the way kube-apiserver's
// apiextensions-apiserver does it:
//
//   1. Prune    - drop fields the schema does not know (the server warns
//                 "unknown field \"spec.bogus\"", or rejects them with
//                 ?fieldValidation=Strict);
//   2. ApplyDefaults - fill `default`s, drop non-nullable nulls;
//   3. Validate - type, required, enum, bounds, lengths, patterns, formats,
//                 items, maps, list types, embedded resources, allOf/anyOf/
//                 oneOf/not; each problem a FieldError worded like the real
//                 server's (k8s.io/kube-openapi validation errors converted
//                 by apiextensions-apiserver).
//
// The root apiVersion, kind and metadata are left to the caller (ObjectMeta
// validation lives in object_meta.h). CEL rules (x-kubernetes-validations)
// are not evaluated: Compile keeps them so the caller can decide.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "e2e/testapi/field_error.h"

namespace testapi {

class StructuralSchema {
 public:
  // One x-kubernetes-validations entry, where it sits in the schema.
  struct ValidationRule {
    std::string schema_path;  // e.g. "spec.versions[0].schema.openAPIV3Schema.properties[spec]"
    std::string data_path;    // the object field it applies to: "spec", "spec.items[*]", "" for the root
    nlohmann::json rule;      // the entry as written: {rule, message, messageExpression, reason, ...}
  };

  // Compiles openapi_v3_schema. Rejects what kube-apiserver rejects when the
  // CRD is created: non-structural schemas (missing type, anything but
  // name/generateName under metadata, types or defaults inside
  // allOf/anyOf/oneOf/not), unknown types, arrays without items, properties
  // together with additionalProperties, invalid patterns, defaults that fail
  // their own schema, bad list-type/map-keys, and wrongly typed keywords
  // ("maximum": "ten"). Errors are appended to *errors with fields rooted at
  // field_prefix (e.g. "spec.versions[0].schema.openAPIV3Schema"), and
  // nullopt is returned. Never throws.
  static std::optional<StructuralSchema> Compile(const nlohmann::json& openapi_v3_schema,
                                                 const std::string& field_prefix, std::vector<FieldError>* errors);

  // Drops unknown fields (outside x-kubernetes-preserve-unknown-fields
  // subtrees) and returns their paths, e.g. "spec.bogus", "spec.tags[0].x",
  // in key order (nlohmann::json keeps object keys sorted). Never touches
  // apiVersion, kind or metadata at the root; inside an
  // x-kubernetes-embedded-resource it keeps apiVersion and kind and prunes
  // metadata to ObjectMeta's fields.
  std::vector<std::string> Prune(nlohmann::json& object) const;

  // Applies defaults as the apiserver does after pruning: a property with a
  // default is set when missing, or when null and not nullable; a non-nullable
  // null without a default is removed; defaults of nested properties apply
  // only where their parent object exists (also a defaulted parent). Array
  // items and map values get their schema's defaults too.
  void ApplyDefaults(nlohmann::json& object) const;

  // Validates object against the schema; empty when valid. Root apiVersion,
  // kind and metadata are not validated here. Order: schema errors, then
  // embedded-resource errors, then list-type (set/map) duplicates, as
  // kube-apiserver lists them.
  std::vector<FieldError> Validate(const nlohmann::json& object) const;

  // The schema as given to Compile.
  const nlohmann::json& Raw() const { return raw_; }
  // Every x-kubernetes-validations entry, outermost first.
  const std::vector<ValidationRule>& ValidationRules() const { return rules_; }

  struct Node;  // the compiled form; defined in schema.cc

 private:
  std::shared_ptr<const Node> root_;
  nlohmann::json raw_;
  std::vector<ValidationRule> rules_;
};

}  // namespace testapi
