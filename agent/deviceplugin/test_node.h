// A node for the device plugin's tests: one PF (kPf) with VFs 0..3, VFs
// 0-1 in resource "roce" and 2-3 in "other", every VF healthy and the
// generation applied, in shared mode. Test code.
#pragma once

#include <map>
#include <string>

#include "agent/deviceplugin/devices.h"
#include "api/rdma_node_state.h"

namespace deviceplugin::testing_node {

inline constexpr char kPf[] = "0000:3b:00.0";

inline api::VfStatus GoodVf(int index) {
  api::VfStatus vf;
  vf.index = index;
  vf.pci_address = "0000:3b:00." + std::to_string(2 + index);
  vf.name = "ens1f0v" + std::to_string(index);
  vf.driver = "mlx5_core";
  vf.rdma_device = "mlx5_" + std::to_string(2 + index);
  vf.uverbs_device = "/dev/infiniband/uverbs" + std::to_string(2 + index);  // as discovery reports it
  vf.node_guid = "02:00:00:00:00:00:00:0" + std::to_string(index + 1);
  vf.port_guid = "02:00:00:00:00:00:01:0" + std::to_string(index + 1);
  return vf;
}

struct Node {
  api::RdmaNodeStateSpec spec;
  api::RdmaNodeStateStatus status;
  std::map<std::string, VfExtras> extras;
};

inline Node FourVfs(bool umad = false) {
  Node n;
  api::InterfaceSpec pf;
  pf.pci_address = kPf;
  pf.num_vfs = 4;
  api::VfGroup roce;
  roce.resource_name = "roce";
  roce.first_vf = 0;
  roce.last_vf = 1;
  if (umad) roce.umad = true;
  api::VfGroup other;
  other.resource_name = "other";
  other.first_vf = 2;
  other.last_vf = 3;
  pf.vf_groups = {roce, other};
  n.spec.interfaces = {pf};
  n.status.observed_generation = n.status.applied_generation = 3;
  n.status.sync_state = api::kSyncSucceeded;
  n.status.rdma_namespace_mode = api::kRdmaNamespaceShared;
  api::InterfaceStatus st;
  st.pci_address = kPf;
  for (int i = 0; i < 4; ++i) {
    st.vfs.push_back(GoodVf(i));
    n.extras[st.vfs.back().pci_address] = VfExtras{0, "231:" + std::to_string(194 + i), "umad" + std::to_string(2 + i),
                                                  "231:" + std::to_string(2 + i)};
  }
  n.status.interfaces = {st};
  return n;
}

inline api::VfStatus& Vf(Node& n, int index) { return n.status.interfaces[0].vfs[index]; }

}  // namespace deviceplugin::testing_node
