// What both agent benchmarks (agent_bench.cc, device_plugin_bench.cc) need
// around the real binary and the simulator. Header-only, benchmark code.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/host/result.h"
#include "agent/host/subprocess_runner.h"
#include "api/condition.h"
#include "e2e/sim/fake_netdev_backend.h"
#include "e2e/sim/firmware_store.h"
#include "e2e/sim/node_config.h"
#include "e2e/sim/sim_node_process.h"
#include "e2e/sim/simulated_node.h"

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

// A minimal RdmaNodeState CRD (status subresource, no schema) for the
// benches' kube-testapi: they measure the agent, not validation.
inline nlohmann::json NodeStateCrd() {
  return {{"apiVersion", "apiextensions.k8s.io/v1"},
          {"kind", "CustomResourceDefinition"},
          {"metadata", {{"name", "rdmanodestates.rdma.dev"}}},
          {"spec",
           {{"group", "rdma.dev"},
            {"scope", "Cluster"},
            {"names", {{"plural", "rdmanodestates"}, {"singular", "rdmanodestate"}, {"kind", "RdmaNodeState"}}},
            {"versions",
             {{{"name", "v1alpha1"},
               {"served", true},
               {"storage", true},
               {"subresources", {{"status", nlohmann::json::object()}}},
               {"schema",
                {{"openAPIV3Schema", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}}}}}}};
}

// sysfs-sim for NodeJson(vfs) under <dir>/node, its firmware already
// SR-IOV-enabled with `vfs` VFs and rebooted, so the agent has no reboot to
// ask for; MSTCONFIG_SIM_STATE points at it for the agent started next.
inline host::Result<std::unique_ptr<sim::SimNodeProcess>> StartSriovNode(const std::string& bin,
                                                                         const std::string& dir, int vfs) {
  sim::SimNodeOptions o;
  o.bin_dir = bin;
  o.work_dir = dir + "/node";
  o.config_json = NodeJson(vfs);
  auto node = sim::SimNodeProcess::Start(o);
  if (!node.ok()) return node;
  setenv("MSTCONFIG_SIM_STATE", (*node)->state_dir().c_str(), 1);
  Run({bin + "/mstconfig-sim", "-d", "0000:41:00.0", "-y", "set", "SRIOV_EN=1", "NUM_OF_VFS=" + std::to_string(vfs)});
  if (auto st = (*node)->Reboot(); !st.ok()) return st.error();
  return node;
}

// The simulator's in-memory kernel (name-only netdevs, no FUSE) for
// NodeJson(vfs), its firmware already SR-IOV-enabled with `vfs` VFs and
// rebooted; firmware state under `state_dir` (for InProcessMstconfig).
struct InMemorySriovNode {
  sim::FakeNetdevBackend netdevs;
  sim::FirmwareStore store;
  sim::SimulatedNode node;

  InMemorySriovNode(const std::string& state_dir, int vfs)
      : store(state_dir), node(*sim::ParseNodeConfig(NodeJson(vfs)), store, netdevs) {
    (void)node.Boot();
    (void)store.Update("0000:41:00.0", [&](sim::FirmwareDeviceState& d) {
      d.Find("SRIOV_EN")->next_boot = "True(1)";
      d.Find("NUM_OF_VFS")->next_boot = std::to_string(vfs);
      return host::Status::Ok();
    });
    (void)node.Reboot();
  }
};

}  // namespace bench_support
