// SubprocessRunner: the real ProcessRunner (posix_spawnp, pipes, a deadline).
#pragma once

#include "agent/host/process_runner.h"

namespace host {

class SubprocessRunner : public ProcessRunner {
 public:
  // On timeout the child gets SIGKILL and Run returns an error naming the
  // command and the timeout.
  Result<ProcessOutput> Run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) override;
};

}  // namespace host
