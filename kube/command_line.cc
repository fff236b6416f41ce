#include "kube/command_line.h"

#include <iostream>

#include <spdlog/spdlog.h>

namespace kube {

namespace po = boost::program_options;

std::optional<int> ParseCommandLine(int argc, char** argv, const po::options_description& desc,
                                    po::variables_map& vm, std::string_view program) {
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    po::notify(vm);  // after --help, so help works without required flags
  } catch (const po::error& e) {
    std::cerr << program << ": " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  return std::nullopt;
}

bool SetLogLevel(const std::string& level, std::string_view program) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    std::cerr << program << ": unknown --log-level " << level << " (trace, debug, info, warn, error, critical, off)\n";
    return false;
  }
  spdlog::set_level(parsed);
  return true;
}

}  // namespace kube
