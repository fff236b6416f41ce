// Decoding of Kubernetes protobuf request bodies (Content-Type
// application/vnd.kubernetes.protobuf), so kubectl's typed commands work
// against kube-testapi as they do against kube-apiserver. The server keeps
// everything as JSON; this turns the few kinds kubectl sends as protobuf into
// the JSON object a JSON client would have sent, and rejects everything else.
//
// Supported kinds (the envelope's typeMeta decides):
//   v1 Namespace        kubectl create namespace
//   v1 ConfigMap        kubectl create configmap
//   v1 Secret           kubectl create secret
//   v1 ServiceAccount   kubectl create serviceaccount
//   policy/v1 Eviction  kubectl drain (POST pods/NAME/eviction)
//   DeleteOptions       DELETE bodies (any apiVersion: client-go labels it with
//                       the resource's group version)
//   rbac.authorization.k8s.io/v1 Role, ClusterRole, RoleBinding,
//                       ClusterRoleBinding   kubectl create role|clusterrole|...
//   authorization.k8s.io/v1 SelfSubjectAccessReview   kubectl auth can-i
//   authentication.k8s.io/v1 SelfSubjectReview        kubectl auth whoami
// with their nested messages: ObjectMeta (all fields but managedFields),
// OwnerReference, meta Time, NamespaceSpec/Status/Condition, ObjectReference,
// LocalObjectReference, Preconditions. Field numbers follow the generated.proto
// files of k8s.io/api (core/v1, policy/v1) and k8s.io/apimachinery
// (pkg/apis/meta/v1, pkg/runtime).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace testapi {

// Decodes a Kubernetes protobuf body: the 4-byte magic "k8s\0", then a
// runtime.Unknown {typeMeta{apiVersion, kind}, raw, contentEncoding,
// contentType} whose raw bytes are the object's protobuf. Returns the object as
// Kubernetes JSON, with apiVersion and kind from the envelope; bytes fields
// (Secret data, ConfigMap binaryData) become base64 strings, meta Time becomes
// RFC 3339 ("2026-01-01T00:00:00Z"). Like Go's JSON encoding of these types,
// empty strings, zero numbers and false are left out unless the Go field is a
// pointer (so gracePeriodSeconds: 0 and immutable: false survive), and the
// zero Time is left out.
// Returns nullopt and sets *error (naming the kind and the field) for an
// unsupported kind or malformed input; never throws.
std::optional<nlohmann::json> DecodeKubernetesProtobuf(std::string_view body, std::string* error);

}  // namespace testapi
