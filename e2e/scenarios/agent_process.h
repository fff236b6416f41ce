// AgentProcess: runs the real rdma-agent binary for e2e scenarios, with its
// output in a log file, and stops it gracefully (SIGTERM) or not (SIGKILL).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace e2e {

class AgentProcess {
 public:
  AgentProcess(std::string binary, std::vector<std::string> args, std::vector<std::string> extra_env,
               std::string log_path)
      : binary_(std::move(binary)), args_(std::move(args)), env_(std::move(extra_env)), log_(std::move(log_path)) {}
  ~AgentProcess() { Kill(); }

  std::string Start();  // "" or an error
  void Kill();          // SIGKILL and reap, as a crash would end it
  int Stop();           // SIGTERM and wait; the exit status
  bool running() const { return pid_ > 0; }
  const std::string& log_path() const { return log_; }

 private:
  std::string binary_;
  std::vector<std::string> args_, env_;
  std::string log_;
  pid_t pid_ = 0;
};

// Runs a command and waits; its exit code (or -1 if it could not start).
int RunCommand(const std::vector<std::string>& argv);

}  // namespace e2e
