// SimTreeSysfs: the agent's Sysfs interface straight onto a SimulatedNode's
// tree, without FUSE. Lets unit tests (ours, and the agent's) run the real
// discovery and apply code against the simulated kernel in-process, with no
// root and no mounts. Paths are relative to the tree's "sys" directory,
// symlinks are followed as the kernel would.
#pragma once

#include "agent/host/sysfs.h"
#include "e2e/sim/sim_tree.h"

namespace sim {

class SimTreeSysfs : public host::Sysfs {
 public:
  explicit SimTreeSysfs(SimTree& tree) : tree_(tree) {}

  host::Result<std::string> Read(const std::string& path) override;
  host::Status Write(const std::string& path, const std::string& value) override;
  host::Result<std::vector<std::string>> List(const std::string& dir) override;
  host::Result<std::string> ReadLink(const std::string& path) override;
  bool Exists(const std::string& path) override;

 private:
  // Tree path ("sys/...") with every link resolved; errno on failure.
  int Resolve(const std::string& path, bool follow_last, std::string* out) const;
  SimTree& tree_;
};

}  // namespace sim
