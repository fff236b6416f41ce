// SimNodeProcess: starts and stops one simulated node's sysfs-sim for
// end-to-end tests and the sandbox, so scenarios need not know its flags.
//
//   SimNodeOptions o;
//   o.bin_dir = "build/bin";  o.work_dir = "/tmp/e2e/node1";
//   o.config_json = R"({"pfs": [...]})";  o.netns = "node1";
//   auto node = SimNodeProcess::Start(o);          // returns once mounted
//   ... agent with --sysfs-root (*node)->sysfs_root(),
//       PATH=(*node)->mstconfig_dir():$PATH, (*node)->mstconfig_env() ...
//   (*node)->Reboot();                             // simulated reboot
//   (*node)->Stop();                               // also in the destructor
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "agent/host/result.h"

namespace sim {

struct SimNodeOptions {
  std::string bin_dir;        // where sysfs-sim and sim-path/mstconfig are
  std::string work_dir;       // gets node.json, state/, fs/ (the mount), dev/, sysfs-sim.err
  std::string config_json;    // NodeConfig (see node_config.h)
  std::string netns;          // node namespace: a name, a path, or "" for the caller's
  std::string fabric_netns;   // optional, name or path
  std::string fabric_bridge;  // optional, needs fabric_netns
};

class SimNodeProcess {
 public:
  static host::Result<std::unique_ptr<SimNodeProcess>> Start(const SimNodeOptions& options);
  ~SimNodeProcess();
  SimNodeProcess(const SimNodeProcess&) = delete;
  SimNodeProcess& operator=(const SimNodeProcess&) = delete;

  // SIGTERM, then waits: the simulator removes its veths and unmounts. An
  // error if it had to be killed or exited non-zero. Idempotent.
  host::Status Stop();
  // The simulated reboot: VFs gone, firmware Next Boot -> Current, new boot_id.
  host::Status Reboot();

  std::string host_root() const { return work_dir_ + "/fs"; }           // has sys/, proc/, sim/, dev/
  std::string sysfs_root() const { return work_dir_ + "/fs/sys"; }      // the agent's /sys
  // The node's /dev: real char device nodes in infiniband/ (uverbsN, umadN,
  // rdma_cm) that follow sysfs; host_root()/dev is a link to it.
  std::string dev_dir() const { return work_dir_ + "/dev"; }
  std::string state_dir() const { return work_dir_ + "/state"; }        // MSTCONFIG_SIM_STATE
  std::string mstconfig_dir() const { return bin_dir_ + "/sim-path"; }  // put first on PATH
  std::string mstconfig_env() const { return "MSTCONFIG_SIM_STATE=" + state_dir(); }
  pid_t pid() const { return pid_; }

 private:
  SimNodeProcess() = default;
  std::string work_dir_, bin_dir_;
  pid_t pid_ = -1;
};

}  // namespace sim
