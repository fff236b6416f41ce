// What NetworkAttachmentDefinitions an RdmaNetwork should have: one per
// target namespace, named like the network, CNI type rdma-cni, annotation
// k8s.v1.cni.cncf.io/resourceName: rdma.dev/<resourceName>, and labels that
// mark it as ours (ownership is checked by labels because owner references
// cannot cross namespaces). Pure, no I/O.
#pragma once

#include <string>
#include <vector>

#include "api/group_version.h"
#include "api/network_attachment_definition.h"
#include "api/rdma_network.h"

namespace rdma_operator {

inline const std::string kResourceNameAnnotation{api::kNadResourceNameAnnotation};
inline constexpr char kNetworkNamespaceLabel[] = "rdma.dev/network-namespace";
inline constexpr char kNetworkNameLabel[] = "rdma.dev/network-name";
inline constexpr char kCniType[] = "rdma-cni";
inline constexpr char kCniVersion[] = "1.0.0";

// The NetworkAttachmentDefinitions for a validated network, sorted by
// namespace. spec.config is the CNI configuration rdma-cni reads (see
// docs/operator.md). The NAD in the network's own namespace also gets an
// ownerReference, so deleting the network garbage-collects it.
std::vector<api::NetworkAttachmentDefinition> RenderNads(const api::RdmaNetwork& network);

// Whether an existing NAD was rendered for this network (its labels say so).
bool IsRenderedFor(const api::NetworkAttachmentDefinition& nad, const api::RdmaNetwork& network);

// The label selector that lists every NAD rendered for a network.
std::string RenderedNadSelector(const std::string& network_namespace, const std::string& network);

// Whether `existing` (as stored) already says what `desired` says: config,
// our labels and annotation. Other labels and annotations are left alone.
bool NadUpToDate(const api::NetworkAttachmentDefinition& existing, const api::NetworkAttachmentDefinition& desired);

}  // namespace rdma_operator
