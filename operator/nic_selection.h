// Which PFs of a node an RdmaNodePolicy selects: its nodeSelector against the
// Node's labels, and its nicSelector (vendor, deviceIDs, pfNames with
// optional VF ranges, pciAddresses) against the NICs the node's agent
// reported in RdmaNodeState.status.interfaces. Pure functions, no I/O.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/pf_name_selector.h"
#include "api/rdma_node_policy.h"
#include "api/rdma_node_state.h"

namespace rdma_operator {

// Whether the policy's nodeSelector selects a node with these labels. A
// policy without a nodeSelector selects nothing (the schema requires one).
bool SelectsNode(const api::RdmaNodePolicy& policy, const std::map<std::string, std::string>& node_labels);

// The VF ranges of `pf` the selector picks: empty when it does not select
// the PF; one nullopt entry when it selects the whole PF; one VfRange per
// pfNames entry naming the PF when those carry ranges ("ens1f0#0-3").
// Every criterion that is set must match (vendor AND deviceIDs AND pfNames
// AND pciAddresses); hex IDs compare case-insensitively.
std::vector<std::optional<api::VfRange>> SelectedVfRanges(const api::NicSelector& selector,
                                                          const api::InterfaceStatus& pf);

}  // namespace rdma_operator
