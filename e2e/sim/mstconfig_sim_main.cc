// mstconfig-sim: a stand-in for mstflint's `mstconfig` on simulated nodes.
// See mstconfig_sim.h for the commands and docs/simulator.md for examples.
#include <cstdlib>
#include <iostream>

#include "e2e/sim/mstconfig_sim.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const char* env = std::getenv("MSTCONFIG_SIM_STATE");
  std::string out, err;
  int code = sim::RunMstconfigSim(args, env ? env : "", std::cin, &out, &err);
  std::cout << out << std::flush;
  std::cerr << err << std::flush;
  return code;
}
