// The kube::Resource of every kind the operator reads or writes that is not
// built into kube/ (our CRDs and Multus' NetworkAttachmentDefinition), and
// the field manager name its writes carry.
#pragma once

#include "kube/client.h"
#include "kube/resource.h"

namespace rdma_operator {

inline constexpr char kFieldManager[] = "rdma-operator";
// The CRD whose presence decides whether NADs can be rendered.
inline constexpr char kNadCrdName[] = "network-attachment-definitions.k8s.cni.cncf.io";

kube::Resource RdmaNodePolicies();
kube::Resource RdmaNetworks();
kube::Resource RdmaNodeStates();
kube::Resource NetworkAttachmentDefinitions();

// Options for every write: our field manager.
kube::RequestOptions WriteOptions();

// `error` with its message prefixed by what we were doing ("update spec of
// RdmaNodeState node-1: ..."), so logs and conditions name the operation.
kube::ApiError WithContext(const kube::ApiError& error, const std::string& operation);

}  // namespace rdma_operator
