// rdma-agent-bench: how long the agent takes to bring one PF from 0 to 128
// ready VFs (created, GUIDs set and rebound, reported), and how much memory
// the agent uses. Not a test: it prints figures (median and spread over
// several runs) for docs/agent.md.
//
//   rdma-agent-bench [--runs 5] [--vfs 128] [--bin-dir build/bin] [--no-process]
//
// Two measurements:
//   1. in-process: the agent's Reconciler against the simulator's in-memory
//      kernel (SimulatedNode with name-only netdevs, in-process mstconfig).
//      The simulated driver costs next to nothing here, so this is the
//      agent's own overhead.
//   2. process (root, /dev/fuse): the real rdma-agent binary against
//      sysfs-sim (veth VFs) and kube-testapi, from writing spec to Ready,
//      minus the time the simulator itself needs for the same host
//      operations done by a plain loop (sriov_numvfs 0 -> N, GUID writes and
//      N rebinds); what one FUSE round trip to the simulator costs, times the
//      agent's extra sysfs operations (counted in part 1); and the agent's
//      peak RSS (VmHWM).
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "agent/host/boot_id.h"
#include "agent/host/clock.h"
#include "agent/host/driver_binder.h"
#include "agent/host/fake_netlink.h"
#include "agent/host/mstconfig_tool.h"
#include "agent/host/real_sysfs.h"
#include "agent/host/subprocess_runner.h"
#include "agent/host/rebooter.h"
#include "agent/bench/bench_support.h"
#include "agent/journal.h"
#include "agent/reconciler.h"
#include "api/condition.h"
#include "e2e/sim/fake_netdev_backend.h"
#include "e2e/sim/firmware_store.h"
#include "e2e/sim/in_process_mstconfig.h"
#include "e2e/sim/sim_node_process.h"
#include "e2e/sim/sim_tree_sysfs.h"
#include "e2e/sim/simulated_node.h"
#include "kube/command_line.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/integration/testapi_process.h"

extern char** environ;

namespace {

using bench_support::Clock;
using bench_support::Ms;
using bench_support::NodeJson;
using bench_support::Ready;
using bench_support::Run;
using bench_support::StatusKb;
const char kPf[] = "0000:41:00.0";


// The simulator's own cost for what an apply does to the host, without the
// agent: `vfs` VFs, three GUID/MAC writes and an unbind/bind each, in a
// plain loop. Milliseconds; the VFs are removed again afterwards (untimed).
double PlainLoopMs(host::Sysfs& sysfs, int vfs) {
  const std::string pf = std::string("bus/pci/devices/") + kPf;
  auto t0 = Clock::now();
  (void)sysfs.Write(pf + "/sriov_numvfs", std::to_string(vfs));
  for (int v = 0; v < vfs; ++v) {
    auto vf = sysfs.ReadLink(pf + "/virtfn" + std::to_string(v));
    if (!vf.ok()) continue;
    const std::string pci = host::PathBaseName(*vf);
    const std::string admin = pf + "/sriov/" + std::to_string(v);
    (void)sysfs.Write(admin + "/node", "02:00:00:00:00:00:00:01");
    (void)sysfs.Write(admin + "/port", "02:00:00:00:00:00:00:01");
    (void)sysfs.Write(admin + "/mac", "02:00:00:00:00:01");
    (void)sysfs.Write("bus/pci/drivers/mlx5_core/unbind", pci);
    (void)sysfs.Write("bus/pci/drivers/mlx5_core/bind", pci);
  }
  const double ms = Ms(Clock::now() - t0);
  (void)sysfs.Write(pf + "/sriov_numvfs", "0");
  return ms;
}

void Print(const std::string& what, std::vector<double> v, const std::string& unit) {
  std::sort(v.begin(), v.end());
  std::printf("%-58s median %8.1f %s  (min %.1f, max %.1f, n=%zu)\n", what.c_str(), v[v.size() / 2], unit.c_str(),
              v.front(), v.back(), v.size());
}

using sim::InProcessMstconfig;

// Counts the sysfs operations the agent makes (each one is a FUSE round trip
// against sysfs-sim, and costs the simulator far more than a kernel read).
struct CountingSysfs : host::Sysfs {
  host::Sysfs& inner;
  long ops = 0;
  explicit CountingSysfs(host::Sysfs& s) : inner(s) {}
  host::Result<std::string> Read(const std::string& p) override { return ++ops, inner.Read(p); }
  host::Status Write(const std::string& p, const std::string& v) override { return ++ops, inner.Write(p, v); }
  host::Result<std::vector<std::string>> List(const std::string& d) override { return ++ops, inner.List(d); }
  host::Result<std::string> ReadLink(const std::string& p) override { return ++ops, inner.ReadLink(p); }
  bool Exists(const std::string& p) override { return ++ops, inner.Exists(p); }
};
long g_agent_ops = 0;   // sysfs operations of one 0 -> N apply, from the in-process run
long g_minimal_ops = 0;  // the operations the plain loop makes for the same result

api::RdmaNodeStateSpec Spec(int vfs) {
  api::RdmaNodeStateSpec s;
  api::InterfaceSpec i;
  i.pci_address = kPf;
  i.num_vfs = vfs;
  s.interfaces.push_back(i);
  return s;
}

void InProcess(int runs, int vfs) {
  std::string dir = std::filesystem::temp_directory_path() / ("agent-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  bench_support::InMemorySriovNode sim_node(dir + "/state", vfs);
  sim::SimulatedNode& node = sim_node.node;
  sim::SimTreeSysfs sim_sysfs(node.tree());
  CountingSysfs sysfs(sim_sysfs);
  host::FakeNetlink netlink;
  InProcessMstconfig runner;
  runner.state = dir + "/state";
  host::MstconfigTool firmware(runner);
  host::SysfsDriverBinder binder(sysfs);
  host::FakeRebooter rebooter;
  host::FakeBootId boot;
  host::SystemClock clock;
  agent::Journal journal(dir + "/journal");
  agent::Reconciler r(agent::HostAccess{sysfs, netlink, firmware, binder, rebooter, boot, clock}, journal);
  // The in-memory simulator's own cost for the same operations.
  std::vector<double> sim_cost;
  for (int i = 0; i < runs; ++i) sim_cost.push_back(PlainLoopMs(sysfs, vfs));
  g_minimal_ops = 1 + 6L * vfs;  // numvfs; per VF: readlink, 3 GUID writes, unbind, bind
  std::vector<double> apply, idle, overhead;
  int64_t gen = 0;
  for (int i = 0; i < runs; ++i) {
    (void)r.Reconcile(++gen, Spec(0), std::nullopt);
    auto t0 = Clock::now();
    const long ops_before = sysfs.ops;
    auto out = r.Reconcile(++gen, Spec(vfs), std::nullopt);
    g_agent_ops = sysfs.ops - ops_before;
    apply.push_back(Ms(Clock::now() - t0));
    overhead.push_back(apply.back() - sim_cost[static_cast<size_t>(i)]);
    if (out.status.vf_count != vfs || out.status.sync_state != api::kSyncSucceeded) {
      std::printf("in-process run %d did not converge: %s\n", i,
                  out.status.last_error ? out.status.last_error->message.c_str() : out.status.sync_state.c_str());
      return;
    }
    t0 = Clock::now();
    (void)r.Reconcile(gen, Spec(vfs), out.status);
    idle.push_back(Ms(Clock::now() - t0));
  }
  Print("in-process: 0 -> " + std::to_string(vfs) + " VFs (create, GUIDs, rebind, report)", apply, "ms");
  Print("in-process: simulator alone (numvfs, GUID writes, rebinds)", sim_cost, "ms");
  Print("in-process: agent overhead (difference)", overhead, "ms");
  std::printf("%-58s %8ld (a plain loop needs %ld)\n", "in-process: sysfs operations of one apply", g_agent_ops,
              g_minimal_ops);
  Print("in-process: idle pass with " + std::to_string(vfs) + " VFs (discover, compare)", idle, "ms");
  std::filesystem::remove_all(dir);
}

void AsProcess(int runs, int vfs, const std::string& bin) {
  std::string dir = "/tmp/agent-bench-" + std::to_string(getpid());
  std::filesystem::create_directories(dir + "/api");
  kube::testing::TestApiProcess api(bin + "/kube-testapi", dir + "/api");
  if (std::string e = api.Start(); !e.empty()) {
    std::printf("process: %s\n", e.c_str());
    return;
  }
  auto client = *kube::Client::FromConfig(*kube::LoadKubeconfig({api.kubeconfig()}));
  kube::Resource rns{"rdma.dev", "v1alpha1", "rdmanodestates", "RdmaNodeState", false};
  kube::Resource crds = kube::resources::CustomResourceDefinitions();
  nlohmann::json crd = bench_support::NodeStateCrd();
  if (auto c = client->Create(crds, crd); !c.ok()) {
    std::printf("process: create CRD: %s\n", c.error().message.c_str());
    return;
  }
  auto node = bench_support::StartSriovNode(bin, dir, vfs);
  if (!node.ok()) {
    std::printf("process: %s\n", node.error().message.c_str());
    return;
  }

  // The simulator's own cost for the same host operations, without the agent.
  host::RealSysfs sysfs((*node)->sysfs_root());
  std::vector<double> sim_cost;
  for (int i = 0; i < runs; ++i) sim_cost.push_back(PlainLoopMs(sysfs, vfs));

  // What one sysfs operation costs against the FUSE simulator, with VFs present.
  (void)sysfs.Write(std::string("bus/pci/devices/") + kPf + "/sriov_numvfs", std::to_string(vfs));
  std::vector<double> per_op;
  for (int i = 0; i < runs; ++i) {
    auto t0 = Clock::now();
    for (int k = 0; k < 200; ++k) (void)sysfs.Read(std::string("bus/pci/devices/") + kPf + "/sriov_numvfs");
    per_op.push_back(Ms(Clock::now() - t0) / 200);
  }
  (void)sysfs.Write(std::string("bus/pci/devices/") + kPf + "/sriov_numvfs", "0");
  std::sort(per_op.begin(), per_op.end());
  const double op_ms = per_op[per_op.size() / 2];

  std::string path = (*node)->mstconfig_dir() + ":" + getenv("PATH");
  setenv("PATH", path.c_str(), 1);
  std::vector<std::string> args = {bin + "/rdma-agent", "--kubeconfig", api.kubeconfig(), "--node-name", "bench",
                                   "--host-root", (*node)->host_root(), "--journal-dir", dir + "/journal",
                                   "--health-address", "", "--log-level", "info"};
  std::vector<char*> av;
  for (auto& a : args) av.push_back(a.data());
  av.push_back(nullptr);
  pid_t agent;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  std::string log = dir + "/agent.log";
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn(&agent, av[0], &fa, nullptr, av.data(), environ);
  posix_spawn_file_actions_destroy(&fa);

  auto wait_ready = [&](int64_t gen) {
    auto deadline = Clock::now() + std::chrono::seconds(120);
    while (Clock::now() < deadline) {
      auto got = client->Get(rns, "", "bench");
      if (got.ok() && Ready(*got, gen)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  };
  auto set_spec = [&](int n) -> int64_t {
    nlohmann::json spec = {{"interfaces", {{{"pciAddress", kPf}, {"numVfs", n}}}}};
    auto r = client->Patch(rns, "", "bench", kube::PatchType::kMerge, {{"spec", spec}});
    return r.ok() ? kube::GenerationOf(*r) : -1;
  };
  // Wait for the agent to create its object.
  for (auto deadline = Clock::now() + std::chrono::seconds(30); Clock::now() < deadline;) {
    if (client->Get(rns, "", "bench").ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::vector<double> total, overhead;
  for (int i = 0; i < runs; ++i) {
    if (!wait_ready(set_spec(0))) break;
    auto t0 = Clock::now();
    if (!wait_ready(set_spec(vfs))) {
      std::printf("process: run %d did not converge (see %s)\n", i, log.c_str());
      break;
    }
    total.push_back(Ms(Clock::now() - t0));
    overhead.push_back(total.back() - sim_cost[static_cast<size_t>(i)]);
  }
  if (auto got = client->Get(rns, "", "bench"); got.ok()) {
    std::printf("process: last apply phases: %s\n", got->value("/status/lastApply/phases"_json_pointer, nlohmann::json()).dump().c_str());
  }
  long hwm = StatusKb(agent, "VmHWM"), anon = StatusKb(agent, "RssAnon"), file = StatusKb(agent, "RssFile");
  long threads = StatusKb(agent, "Threads");
  kill(agent, SIGTERM);
  int st;
  waitpid(agent, &st, 0);
  if (!total.empty()) {
    std::string n = std::to_string(vfs);
    Print("process: spec written -> Ready with " + n + " VFs", total, "ms");
    Print("process: simulator alone (numvfs 0->" + n + ", GUIDs, rebinds)", sim_cost, "ms");
    Print("process: agent overhead (difference)", overhead, "ms");
    // Not subtracted from the figure above: the per-operation cost swings
    // with the machine's load, so this is an indication only.
    const double extra_ops_ms = static_cast<double>(g_agent_ops - g_minimal_ops) * op_ms;
    std::printf("%-58s %8.2f ms x %ld extra operations = %.0f ms\n", "process: simulator's cost of the agent's extra reads",
                op_ms, g_agent_ops - g_minimal_ops, extra_ops_ms);
    std::printf("%-58s %8.1f MB\n", "process: agent peak RSS (VmHWM)", hwm / 1024.0);
    std::printf("%-58s %8.1f MB anonymous, %.1f MB file-backed (shared libraries), %ld threads\n",
                "process: agent RSS now", anon / 1024.0, file / 1024.0, threads);
  }
  (void)(*node)->Stop();
  api.Stop();
  std::filesystem::copy_file(log, "/tmp/rdma-agent-bench.log", std::filesystem::copy_options::overwrite_existing);
  std::printf("process: agent log in /tmp/rdma-agent-bench.log\n");
  std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  int runs = 5, vfs = 128;
  std::string bin = "build/bin";
  po::options_description desc("rdma-agent-bench");
  desc.add_options()("help,h", "this text")("runs", po::value(&runs)->default_value(5), "runs per figure")(
      "vfs", po::value(&vfs)->default_value(128), "VFs on the PF")(
      "bin-dir", po::value(&bin)->default_value("build/bin"), "where rdma-agent, sysfs-sim, kube-testapi are")(
      "no-process", "only the in-process measurement (no root needed)");
  po::variables_map vm;
  if (auto exit = kube::ParseCommandLine(argc, argv, desc, vm, "rdma-agent-bench")) return *exit;
  spdlog::set_level(spdlog::level::warn);
  // The process measurement runs in a network namespace of its own, entered
  // before any thread starts.
  std::string ns = "agent-bench-" + std::to_string(getpid());
  bool process = !vm.count("no-process") && geteuid() == 0 && Run({"ip", "netns", "add", ns}) == 0;
  if (process) {
    int fd = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    process = fd >= 0 && setns(fd, CLONE_NEWNET) == 0 && Run({"ip", "link", "set", "lo", "up"}) == 0;
    if (fd >= 0) close(fd);
  }
  InProcess(runs, vfs);
  if (process) AsProcess(runs, vfs, bin);
  else std::printf("process measurement skipped (needs root, /dev/fuse, ip netns)\n");
  if (process) Run({"ip", "netns", "del", ns});
  return 0;
}
