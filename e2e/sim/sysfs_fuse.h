// Serves a SimulatedNode's tree as a FUSE file system, with sysfs semantics:
// every read shows the current state (no page cache, no attribute cache),
// every write() is handed to the simulated kernel whole and synchronously,
// and its errno (EBUSY, ERANGE, ...) is what the writer's write() returns.
// Single-threaded, so the simulated kernel needs no locks.
#pragma once

#include <string>

#include "e2e/sim/simulated_node.h"

namespace sim {

struct FuseOptions {
  std::string mountpoint;
  bool foreground = true;
  std::string log_file;  // stderr goes here after daemonizing
  std::string pid_file;
  // Called once the file system is mounted (and, in the background, after
  // daemonizing), e.g. to tell a waiting parent that the node is ready.
  std::function<void()> on_ready;
};

// Mounts, serves until unmounted or SIGTERM/SIGINT, unmounts. Returns an
// exit code.
int ServeSimulatedNode(SimulatedNode& node, const FuseOptions& options);

}  // namespace sim
