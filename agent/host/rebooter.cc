#include "agent/host/rebooter.h"

#include <sys/reboot.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace host {

Status SystemRebooter::Reboot(const std::string& reason) {
  ::sync();
  if (::reboot(RB_AUTOBOOT) != 0) return SystemError("reboot node (" + reason + ")", errno);
  return Status::Ok();
}

Status CommandRebooter::Reboot(const std::string& reason) {
  const std::string op = "reboot node (" + reason + ") with " + CommandLine(argv_);
  auto run = runner_.Run(argv_, std::chrono::seconds(60));
  if (!run.ok()) return Error{op + ": " + run.error().message, run.error().sys_errno};
  if (run->exit_code != 0) {
    return Error{op + ": exit code " + std::to_string(run->exit_code) + ": " + run->err};
  }
  return Status::Ok();
}

}  // namespace host
