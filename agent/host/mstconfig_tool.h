// MstconfigTool: the real FirmwareTool. Runs mstflint's `mstconfig` (or any
// program with the same interface, such as MFT's `mlxconfig` or the
// simulator's `mstconfig-sim`) through a ProcessRunner.
#pragma once

#include <chrono>
#include <string>

#include "agent/host/firmware_tool.h"
#include "agent/host/process_runner.h"

namespace host {

class MstconfigTool : public FirmwareTool {
 public:
  // A query takes seconds on real hardware; the timeout bounds a hung tool.
  explicit MstconfigTool(ProcessRunner& runner, std::string program = "mstconfig",
                         std::chrono::milliseconds timeout = std::chrono::seconds(120));

  // Runs `<program> -d <pci> -e q`.
  Result<FirmwareConfig> Query(const std::string& pci) override;
  // Runs `<program> -d <pci> -y set NAME=VALUE...`.
  Status Set(const std::string& pci, const std::vector<std::pair<std::string, std::string>>& values) override;

 private:
  ProcessRunner& runner_;
  std::string program_;
  std::chrono::milliseconds timeout_;
};

}  // namespace host
