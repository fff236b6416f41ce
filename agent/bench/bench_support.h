// What both agent benchmarks (agent_bench.cc, device_plugin_bench.cc) need
// around the real binary and the simulator. Header-only, benchmark code.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/host/subprocess_runner.h"
#include "api/condition.h"

namespace bench_support {

using Clock = std::chrono::steady_clock;

inline double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// A "Name:   123 kB" line of /proc/<pid>/status, in kB; -1 if absent.
inline long StatusKb(pid_t pid, const std::string& name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + ":", 0) == 0) return std::stol(line.substr(name.size() + 1));
  }
  return -1;
}

// Runs a command and waits; its exit code (or -1 if it could not start).
inline int Run(const std::vector<std::string>& argv) {
  auto done = host::SubprocessRunner().Run(argv, std::chrono::minutes(1));
  return done.ok() ? done->exit_code : -1;
}

// The node state's Ready condition is True for generation `gen`.
inline bool Ready(const nlohmann::json& o, int64_t gen) {
  for (const auto& c : o.value("/status/conditions"_json_pointer, nlohmann::json::array())) {
    if (c.value("type", "") == api::kConditionReady) {
      return c.value("status", "") == api::kConditionTrue && c.value("observedGeneration", 0) == gen;
    }
  }
  return false;
}

// sysfs-sim's config: one ConnectX-5 PF 0000:41:00.0 (ens1f0) with up to `vfs` VFs.
inline std::string NodeJson(int vfs) {
  return R"({"pfs": [{"pci": "0000:41:00.0", "netdev": "ens1f0", "mac": "b8:ce:f6:00:41:00", "max_vfs": )" +
         std::to_string(vfs) + "}]}";
}

}  // namespace bench_support
