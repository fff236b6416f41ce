// What the operator keeps of each object in its informer caches. A cluster
// object carries much the operator never reads — a Node's status (images,
// conditions, addresses), an RdmaNodeState's per-VF and firmware report, a
// CRD's schemas, everybody's managedFields — and at 1000 nodes that is most
// of the operator's memory. These trims run on every object as it arrives
// (kube::InformerOptions::transform), so reconcilers and handlers only ever
// see the trimmed form.
//
// What each keeps is what the operator reads, plus all of metadata except
// managedFields: the node-state reconciler updates RdmaNodeStates from its
// cache, so their metadata and spec must be whole (status is ignored on such
// an update: it has its own subresource).
#pragma once

#include <nlohmann/json.hpp>

namespace rdma_operator {

// Node: metadata (no managedFields, no annotations) and spec; of status
// only the Ready condition's type and status (the rollout counts NotReady
// nodes against its budget), without its heartbeat times, so a heartbeat
// leaves the cached Node as it was.
void TrimNode(nlohmann::json& node);

// RdmaNodeState: metadata (no managedFields) and spec whole; of status only
// syncState, appliedGeneration, observedGeneration, rebootRequired,
// lastError (the rollout's decisions and its Failed message) and, per
// reported PF, what NIC selection and the rollout read (pciAddress, name,
// vendor, deviceID, linkType, totalVfs, numVfs). Conditions, VFs and
// firmware values are the agent's report to users; the operator decides on
// none of them.
void TrimNodeState(nlohmann::json& state);

// CustomResourceDefinition: metadata (no managedFields, no annotations:
// kubectl apply's last-applied-configuration repeats the whole schema),
// spec.group, spec.names and status.conditions; no schemas.
void TrimCrd(nlohmann::json& crd);

// Any other kind: drops metadata.managedFields.
void TrimManagedFields(nlohmann::json& obj);

}  // namespace rdma_operator
