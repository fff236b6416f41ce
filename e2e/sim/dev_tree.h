// DevTree: the simulated node's /dev/infiniband as real char device nodes,
// kept in step with the char devices its sysfs announces (uverbsN, umadN,
// rdma_cm), the way udev keeps a real host's /dev. A simulated kubelet or
// container runtime can then stat() a DeviceSpec host path and find what it
// would on a real node: S_ISCHR with the kernel's major:minor, or nothing.
//
// The nodes point at numbers no driver serves on these machines (no RDMA
// core), so opening one fails with ENXIO; only their existence, type and
// number are modelled. Mode 0666, as rdma-core's udev rules set for uverbs.
//
//   DevTree dev("/tmp/node1/dev");
//   node.OnChange([&] { dev.Sync(node.CharDevices()); });
#pragma once

#include <string>
#include <vector>

#include "agent/host/result.h"
#include "e2e/sim/simulated_node.h"

namespace sim {

// A file found in <dev>/infiniband.
struct DevEntry {
  std::string name;
  bool is_char = false;
  unsigned major = 0;
  unsigned minor = 0;
  unsigned mode = 0;  // permission bits only
};

struct DevPlan {
  std::vector<std::string> remove;  // gone from sysfs, or the wrong type, number or mode
  std::vector<CharDevice> create;   // missing (or just removed for being wrong)
};

constexpr unsigned kDevNodeMode = 0666;

// The pure core: what to unlink and mknod so that the directory holding
// `have` holds exactly `want`, each a char device with its number and mode
// kDevNodeMode. Removals come first (a renumbered name is replaced).
DevPlan PlanDevSync(const std::vector<CharDevice>& want, const std::vector<DevEntry>& have);

class DevTree {
 public:
  explicit DevTree(std::string dev_dir);  // the node's /dev; nodes go in <dev_dir>/infiniband

  const std::string& dev_dir() const { return dev_dir_; }
  std::string infiniband_dir() const { return dev_dir_ + "/infiniband"; }

  // Makes <dev_dir>/infiniband hold exactly `want`. Carries on past a
  // failing entry and returns the first error (naming the path and the
  // operation), so one bad file does not leave the rest stale.
  host::Status Sync(const std::vector<CharDevice>& want);
  // Removes every node it owns (when the simulated node stops).
  host::Status Clear() { return Sync({}); }

 private:
  host::Result<std::vector<DevEntry>> Scan() const;

  std::string dev_dir_;
};

}  // namespace sim
