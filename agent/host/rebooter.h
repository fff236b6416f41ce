// Rebooter: restarts the node so new firmware values become Current.
//
// The agent reboots only when its spec grants it; on a real node the
// SystemRebooter asks the kernel directly, a CommandRebooter runs a
// configured command (e.g. `systemctl reboot` in the host's mount namespace,
// or the simulator's reboot for a simulated node).
#pragma once

#include <string>
#include <vector>

#include "agent/host/process_runner.h"
#include "agent/host/result.h"

namespace host {

class Rebooter {
 public:
  virtual ~Rebooter() = default;
  // `reason` goes to the log and the error text. On success a real reboot
  // does not return; a simulated one does.
  virtual Status Reboot(const std::string& reason) = 0;
};

// sync(2) then reboot(2) with RB_AUTOBOOT; needs CAP_SYS_BOOT.
class SystemRebooter : public Rebooter {
 public:
  Status Reboot(const std::string& reason) override;
};

class CommandRebooter : public Rebooter {
 public:
  CommandRebooter(ProcessRunner& runner, std::vector<std::string> argv) : runner_(runner), argv_(std::move(argv)) {}
  Status Reboot(const std::string& reason) override;

 private:
  ProcessRunner& runner_;
  std::vector<std::string> argv_;
};

// Records reboot requests for unit tests.
class FakeRebooter : public Rebooter {
 public:
  Status Reboot(const std::string& reason) override {
    reasons_.push_back(reason);
    return Status::Ok();
  }
  const std::vector<std::string>& reasons() const { return reasons_; }

 private:
  std::vector<std::string> reasons_;
};

}  // namespace host
