// InProcessMstconfig: a host::ProcessRunner that answers `mstconfig ...`
// with the fake mstconfig (RunMstconfigSim) in this process instead of
// spawning mstconfig-sim. The agent's real MstconfigTool runs on top of it,
// against the simulator's firmware state, in unit tests and the in-process
// benchmark.
#pragma once

#include <string>

#include "agent/host/process_runner.h"

namespace sim {

struct InProcessMstconfig : host::ProcessRunner {
  std::string state;  // the simulator's state directory (MSTCONFIG_SIM_STATE)

  // argv[0] (the program name) is ignored; never blocks, so no timeout.
  host::Result<host::ProcessOutput> Run(const std::vector<std::string>& argv, std::chrono::milliseconds) override;
};

}  // namespace sim
