// ProcessRunner: runs a program with an argument vector and collects its
// output. Never through a shell, so no argument is ever re-parsed.
//
// A program that ran and exited non-zero is a successful Run (the caller
// decides what the exit code means); a program that could not be started or
// that ran past its timeout is an Error.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "agent/host/result.h"

namespace host {

struct ProcessOutput {
  int exit_code = 0;  // 128 + signal number when killed by a signal
  std::string out;    // standard output
  std::string err;    // standard error
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // argv[0] is looked up on PATH when it has no '/'.
  virtual Result<ProcessOutput> Run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) = 0;
};

// Joins argv for messages: "mstconfig -d 0000:41:00.0 q".
std::string CommandLine(const std::vector<std::string>& argv);

}  // namespace host
