// The fake `mstconfig`: what mstflint 4.x prints for `query` and `set`, on
// top of a FirmwareStore, plus the simulator's own commands. The binary
// (mstconfig-sim) is a thin main() around RunMstconfigSim so tests can call
// it in-process.
//
//   mstconfig-sim [-d <bdf>] [-e] q|query [PARAM...]
//   mstconfig-sim -d <bdf> [-y] s|set PARAM=VALUE...
//   mstconfig-sim sim-reboot                      (Next Boot -> Current, all devices)
//   mstconfig-sim -d <bdf> sim-not-take PARAM...  (the next reboot leaves PARAM as is)
//   mstconfig-sim -d <bdf> sim-take PARAM...      (undo sim-not-take)
//   mstconfig-sim -d <bdf> sim-add-device [--ports N] [--link ETH|IB] [--max-vfs N]
//
// The state directory comes from --sim-state DIR (first argument) or the
// MSTCONFIG_SIM_STATE environment variable.
#pragma once

#include <istream>
#include <string>
#include <vector>

#include "e2e/sim/firmware_store.h"

namespace sim {

// Returns the exit code; `in` answers the confirmation prompt when -y is absent.
int RunMstconfigSim(std::vector<std::string> args, const std::string& state_dir_from_env, std::istream& in,
                    std::string* out, std::string* err);

// The query table for one device, as mstflint 4.x prints it.
std::string FormatMstconfigQuery(const FirmwareDeviceState& dev, int device_number,
                                 const std::vector<std::string>& only_params);

}  // namespace sim
