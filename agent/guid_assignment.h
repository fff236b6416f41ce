// GuidAssignment: which node/port GUID and admin MAC each VF gets.
//
// A VF starts with node GUID 0, which breaks RDMA_CM, so the agent gives
// every VF a GUID that is non-zero, the same after agent restarts and node
// reboots, and unique in the cluster. Two sources:
//   - derived (default): from the PF's node GUID and the VF index, so nothing
//     has to be stored or coordinated. A ConnectX PF GUID is its MAC with
//     03:00 in the middle (OUI:03:00:NIC); the VF GUID keeps the OUI (with
//     the locally-administered bit set) and the PF's 24-bit NIC part and puts
//     VF index + 1 in the two middle bytes:
//       PF b8:ce:f6:03:00:41:00:00, VF 0 -> ba:ce:f6:00:01:41:00:00
//     Unique as long as PF MACs are (the VF index is at most 65533).
//   - a block from the spec (guid.mode Pool): VF i gets start + i, which must
//     stay within [start, end].
// Both set the node and the port GUID to the same value, as the upstream
// kernel documentation recommends.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "agent/host/result.h"
#include "api/rdma_node_policy.h"

namespace agent {

// The derived GUID of VF `vf` of the PF whose node GUID is `pf_guid`.
// An error for a zero PF GUID (nothing to derive from) or an index too large.
host::Result<uint64_t> DeriveVfGuid(uint64_t pf_guid, int vf);

// start + vf from a GUID block ("aa:bb:..:hh" strings as in the API); an
// error naming the block when it is malformed or too small.
host::Result<uint64_t> GuidFromBlock(const api::GuidRange& block, int vf);

// The GUID VF `vf` must have: from the block when there is one, else derived.
host::Result<uint64_t> VfGuid(const std::optional<api::GuidRange>& block, uint64_t pf_guid, int vf);

// A stable, locally administered unicast admin MAC for the VF, taken from its
// GUID: 02:<guid bytes 3,4,5,6,7>. (With mlx5 on RoCE the admin MAC is what
// the driver would otherwise derive the GUID from.)
std::string VfMacFromGuid(uint64_t guid);

}  // namespace agent
