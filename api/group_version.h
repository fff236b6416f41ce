// Names of the API group, version, kinds and REST resources this project
// defines (crds/) or writes (Multus' NetworkAttachmentDefinition), so no
// other file spells them out.
#pragma once

#include <string_view>

namespace api {

inline constexpr std::string_view kGroup = "rdma.dev";
inline constexpr std::string_view kVersion = "v1alpha1";
inline constexpr std::string_view kApiVersion = "rdma.dev/v1alpha1";

inline constexpr std::string_view kRdmaNodePolicyKind = "RdmaNodePolicy";
inline constexpr std::string_view kRdmaNodePolicyResource = "rdmanodepolicies";  // cluster-scoped
inline constexpr std::string_view kRdmaNetworkKind = "RdmaNetwork";
inline constexpr std::string_view kRdmaNetworkResource = "rdmanetworks";  // namespaced
inline constexpr std::string_view kRdmaNodeStateKind = "RdmaNodeState";
inline constexpr std::string_view kRdmaNodeStateResource = "rdmanodestates";  // cluster-scoped

inline constexpr std::string_view kNadGroup = "k8s.cni.cncf.io";
inline constexpr std::string_view kNadApiVersion = "k8s.cni.cncf.io/v1";
inline constexpr std::string_view kNadKind = "NetworkAttachmentDefinition";
inline constexpr std::string_view kNadResource = "network-attachment-definitions";  // namespaced

// Pods request rdma.dev/<resourceName>; Multus reads this annotation on a
// NetworkAttachmentDefinition to know which device-plugin resource it needs.
inline constexpr std::string_view kResourcePrefix = "rdma.dev/";
inline constexpr std::string_view kNadResourceNameAnnotation = "k8s.v1.cni.cncf.io/resourceName";

}  // namespace api
