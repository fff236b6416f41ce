// ObjectMeta validation: the checks kube-apiserver makes on metadata when any
// object is created or updated (k8s.io/apimachinery/pkg/api/validation
// ValidateObjectMetaAccessor), with its exact messages.
//
// The test API server calls this on every write, before the kind's own
// validation (for custom resources: before the schema, as the real server
// orders them), and reports the errors as a 422 Invalid Status.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "e2e/testapi/field_error.h"

namespace testapi {

// How metadata.name is checked; kube-apiserver picks one per kind.
enum class NameRule {
  kDnsSubdomain,  // most kinds and every custom resource: "example.com"
  kDnsLabel,      // Namespaces (and Services): "my-name", no dots
  kPathSegment,   // a few kinds (e.g. RBAC roles): anything but ".", "..", "/" or "%"
};

// Whether metadata.namespace must, may or must not be set. The server fills
// it from the URL before validating, so kIgnore suits most callers.
enum class NamespaceRule { kIgnore, kRequired, kForbidden };

// Returns the problems with metadata (empty when valid), fields rooted at
// "metadata." and in the order kube-apiserver lists them: generateName,
// name, namespace, generation, labels, annotations, ownerReferences,
// finalizers. name is required unless generateName is set (the server
// generates the name from it; validate again after generating to check the
// result). Wrongly typed fields (a number for name, labels that are not an
// object of strings, metadata that is not an object) give
// FieldValueTypeInvalid causes; kube-apiserver rejects those while decoding
// (400 BadRequest), so a caller that wants that status can test for the
// reason. Never throws.
std::vector<FieldError> ValidateObjectMeta(const nlohmann::json& metadata, NameRule rule,
                                           NamespaceRule namespace_rule = NamespaceRule::kIgnore);

// The name checks alone (ValidateNameFunc): one message per problem, empty
// when valid. prefix=true checks a generateName prefix (a trailing '-' is
// allowed).
std::vector<std::string> NameErrors(std::string_view name, NameRule rule, bool prefix = false);

// The metadata checks kube-apiserver makes for an object embedded in a custom
// resource (x-kubernetes-embedded-resource): labels, annotations,
// ownerReferences, finalizers and types; the name is optional and any string.
// field_prefix is e.g. "spec.template.metadata".
std::vector<FieldError> ValidateEmbeddedObjectMeta(const nlohmann::json& metadata, const std::string& field_prefix);

}  // namespace testapi
