// Command-line handling every program of the project shares: flags parsed
// with Boost.Program_options, --help, and --log-level for spdlog, with the
// same messages and exit codes everywhere.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/program_options.hpp>

namespace kube {

// Parses argv into vm (and the variables desc binds). Returns the exit code
// when the program should stop: 0 after printing desc for --help (if desc
// has a "help" option), 2 after a bad flag, printed as
// "<program>: <what is wrong>" followed by desc on stderr. nullopt: go on.
std::optional<int> ParseCommandLine(int argc, char** argv, const boost::program_options::options_description& desc,
                                    boost::program_options::variables_map& vm, std::string_view program);

// Sets spdlog's level from a --log-level value ("trace", "debug", "info",
// "warn", "error", "critical", "off"). False, after saying so on stderr,
// when the value names no level (spdlog alone would turn logging off).
bool SetLogLevel(const std::string& level, std::string_view program);

}  // namespace kube
