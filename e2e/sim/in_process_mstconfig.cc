#include "e2e/sim/in_process_mstconfig.h"

#include <sstream>

#include "e2e/sim/mstconfig_sim.h"

namespace sim {

host::Result<host::ProcessOutput> InProcessMstconfig::Run(const std::vector<std::string>& argv,
                                                          std::chrono::milliseconds) {
  host::ProcessOutput o;
  std::istringstream no_answer;  // the agent always passes -y
  std::vector<std::string> args;
  if (!argv.empty()) args.assign(argv.begin() + 1, argv.end());
  o.exit_code = RunMstconfigSim(std::move(args), state, no_answer, &o.out, &o.err);
  return o;
}

}  // namespace sim
