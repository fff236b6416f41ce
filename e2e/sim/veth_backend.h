// VethBackend: simulated PF/VF netdevs as real veth pairs.
//
// The simulator's end (named like the VF, e.g. "enp65s0f0v3") lives in the
// node's network namespace — the caller's namespace when the backend is
// created — so the agent moves, renames and configures it for real. The
// other end goes to a "fabric" namespace (or stays in the node's when none
// is given) with a kernel-chosen name; deleting through that end removes
// the pair even after the VF end was moved into a pod. With a bridge, every
// fabric end is its port: the node's VFs and PFs share one L2 segment with
// other nodes on the same fabric.
#pragma once

#include <memory>

#include "agent/host/netlink_socket.h"
#include "e2e/sim/netdev_backend.h"

namespace sim {

class VethBackend : public NetdevBackend {
 public:
  // fabric_netns_fd: an open /run/netns/<name> (or -1). Borrowed, not closed.
  // fabric_bridge: a bridge in the fabric namespace every peer joins, so VFs
  // of different simulated nodes can reach each other ("" for none).
  static host::Result<std::unique_ptr<VethBackend>> Open(int fabric_netns_fd, const std::string& fabric_bridge = "");

  host::Result<Netdev> Create(const std::string& name, const std::string& mac) override;
  host::Status Destroy(const Netdev& netdev) override;
  // Tags the pairs with a fresh link group and deletes the group in one
  // request: the kernel then unregisters them in one batch, which is many
  // times faster than one by one (each waits for an RCU grace period).
  host::Status DestroyAll(const std::vector<Netdev>& netdevs) override;
  std::string CurrentName(const Netdev& netdev) override;
  bool LinksChanged() override;

 private:
  VethBackend() = default;
  host::Status FindBridge(const std::string& bridge);  // sets bridge_index_
  std::unique_ptr<host::NetlinkSocket> node_;          // requests in the node's namespace
  std::unique_ptr<host::NetlinkSocket> peer_;          // requests where the peers live
  std::unique_ptr<host::NetlinkSocket> events_;        // link events in the node's namespace
  int fabric_fd_ = -1;
  int bridge_index_ = 0;  // in the peers' namespace; 0 for none
  uint32_t next_group_ = 0;
};

}  // namespace sim
