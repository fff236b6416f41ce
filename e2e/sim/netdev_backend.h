// NetdevBackend: where a simulated node's PF and VF netdevs come from.
//
// The simulator asks for a netdev when a PCI function's driver probes and
// drops it when the function goes away or is unbound. The real backend
// (VethBackend) makes veth devices in the node's network namespace; unit
// tests use a fake that only remembers names.
#pragma once

#include <string>
#include <vector>

#include "agent/host/result.h"

namespace sim {

struct Netdev {
  int ifindex = 0;       // in the node's namespace
  int peer_ifindex = 0;  // the other end of the veth, which never moves
  std::string name;      // name at creation
};

class NetdevBackend {
 public:
  virtual ~NetdevBackend() = default;
  virtual host::Result<Netdev> Create(const std::string& name, const std::string& mac) = 0;
  // Removes the netdev wherever it is now (it may have been moved to a pod).
  virtual host::Status Destroy(const Netdev& netdev) = 0;
  // Several at once; a backend may batch them (the default does not).
  virtual host::Status DestroyAll(const std::vector<Netdev>& netdevs) {
    host::Status result;
    for (const Netdev& nd : netdevs) {
      host::Status st = Destroy(nd);
      if (!st.ok() && result.ok()) result = st;
    }
    return result;
  }
  // The netdev's name now, or "" when it is no longer in the node's
  // namespace (moved into a pod) — the kernel's sysfs hides it then too.
  virtual std::string CurrentName(const Netdev& netdev) = 0;
  // True if links changed (renames, moves) since the last call.
  virtual bool LinksChanged() = 0;
};

}  // namespace sim
