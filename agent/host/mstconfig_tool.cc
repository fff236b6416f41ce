#include "agent/host/mstconfig_tool.h"

#include <cerrno>

#include "agent/host/mstconfig_output.h"

namespace host {

MstconfigTool::MstconfigTool(ProcessRunner& runner, std::string program, std::chrono::milliseconds timeout)
    : runner_(runner), program_(std::move(program)), timeout_(timeout) {}

Result<FirmwareConfig> MstconfigTool::Query(const std::string& pci) {
  const std::string op = "query firmware configuration of " + pci;
  auto run = runner_.Run({program_, "-d", pci, "-e", "q"}, timeout_);
  if (!run.ok()) return Error{op + ": " + run.error().message, run.error().sys_errno};
  if (run->exit_code != 0) {
    std::string diag = MstconfigDiagnostics(run->err + "\n" + run->out);
    return Error{op + ": " + program_ + " failed with exit code " + std::to_string(run->exit_code) +
                 (diag.empty() ? "" : ": " + diag)};
  }
  auto cfg = ParseMstconfigQuery(run->out);
  if (!cfg.ok()) return Error{op + ": " + cfg.error().message};
  return cfg;
}

Status MstconfigTool::Set(const std::string& pci, const std::vector<std::pair<std::string, std::string>>& values) {
  std::string listed;
  std::vector<std::string> argv = {program_, "-d", pci, "-y", "set"};
  for (const auto& [name, value] : values) {
    argv.push_back(name + "=" + value);
    listed += (listed.empty() ? "" : " ") + name + "=" + value;
  }
  const std::string op = "set firmware " + listed + " on " + pci;
  if (values.empty()) return Error{op + ": nothing to set", EINVAL};
  auto run = runner_.Run(argv, timeout_);
  if (!run.ok()) return Error{op + ": " + run.error().message, run.error().sys_errno};
  Status st = CheckMstconfigSet(*run);
  if (!st.ok()) return Error{op + ": " + st.message()};
  return st;
}

}  // namespace host
