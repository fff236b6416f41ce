// rdma-device-plugin-bench: how fast rdma-agent's kubelet device plugin
// answers kubelet and how fast a VF's health reaches kubelet. Not a test: it
// prints figures (median, p99 and spread) for docs/agent.md "Performance".
//
//   rdma-device-plugin-bench [--runs 5] [--calls 1000] [--bin-dir build/bin] [--no-process]
//
// Three measurements:
//   1. in-process: a DevicePluginManager in a temp device-plugins dir, fed a
//      node of 4 resources x 32 VFs, registered with sim-kubelet's device
//      manager; a gRPC client on the plugin's unix socket (as kubelet is)
//      calls Allocate for 1 VF and GetPreferredAllocation, --calls times
//      each after a warm-up, in shared mode (DeviceSpecs) and exclusive mode
//      (CDI names, spec files in a temp dir).
//   2. in-process: with a ListAndWatch stream open, one VF flips between
//      unhealthy (zero node GUID) and healthy through Update; the time until
//      the stream delivers the list with its new health. And the cost of
//      what the agent does for the plugin on each pass: ReadVfExtras over a
//      simulated sysfs with 128 VFs plus BuildInventory.
//   3. process (root, /dev/fuse, ip netns): the real rdma-agent binary
//      against sysfs-sim (one PF, 128 veth VFs) and kube-testapi, with
//      sim-kubelet's device manager in this process as kubelet: spec written
//      -> all 128 devices Healthy at kubelet; a VF broken behind the agent's
//      back (node GUID zeroed and rebound) -> Unhealthy at kubelet -> Healthy
//      again once the agent repaired it; the agent's RSS.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include "agent/deviceplugin/devices.h"
#include "agent/deviceplugin/plugin_manager.h"
#include "agent/deviceplugin/proto/api.grpc.pb.h"
#include "agent/discovery.h"
#include "agent/host/boot_id.h"
#include "agent/host/clock.h"
#include "agent/host/driver_binder.h"
#include "agent/host/fake_netlink.h"
#include "agent/host/mstconfig_tool.h"
#include "agent/host/real_sysfs.h"
#include "agent/host/rebooter.h"
#include "agent/host/subprocess_runner.h"
#include "agent/bench/bench_support.h"
#include "agent/journal.h"
#include "agent/reconciler.h"
#include "api/condition.h"
#include "e2e/sim/fake_netdev_backend.h"
#include "e2e/sim/firmware_store.h"
#include "e2e/sim/in_process_mstconfig.h"
#include "e2e/sim/kubelet/device_manager.h"
#include "e2e/sim/sim_node_process.h"
#include "e2e/sim/sim_tree_sysfs.h"
#include "e2e/sim/simulated_node.h"
#include "kube/client.h"
#include "kube/command_line.h"
#include "kube/config.h"
#include "kube/integration/testapi_process.h"

extern char** environ;

namespace fs = std::filesystem;

namespace {

using bench_support::Clock;
using bench_support::Ms;
using bench_support::NodeJson;
using bench_support::Ready;
using bench_support::Run;
using bench_support::StatusKb;
const char kPf[] = "0000:41:00.0";
constexpr int kResources = 4;
constexpr int kVfsPerResource = 32;
constexpr int kVfs = kResources * kVfsPerResource;

double Us(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

// p50, p99 and the spread of a sample.
void Print(const std::string& what, std::vector<double> v, const std::string& unit) {
  if (v.empty()) {
    std::printf("%-62s no samples\n", what.c_str());
    return;
  }
  std::sort(v.begin(), v.end());
  const size_t p99 = std::min(v.size() - 1, (v.size() * 99 + 99) / 100 - 1);
  std::printf("%-62s p50 %8.1f %s  p99 %8.1f  (min %.1f, max %.1f, n=%zu)\n", what.c_str(), v[v.size() / 2],
              unit.c_str(), v[p99], v.front(), v.back(), v.size());
}

std::string Resource(int r) { return "r" + std::to_string(r); }
// VF i's PCI address: 16 devices of 8 functions after the PF, as a ConnectX
// with ARI off would number them (any valid address does here).
std::string VfPci(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0000:41:%02x.%d", 1 + i / 8, i % 8);
  return buf;
}
std::string Guid(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "02:00:00:00:00:00:%02x:%02x", (i + 1) / 256, (i + 1) % 256);
  return buf;
}

// The spec's vfGroups: 4 resources of 32 VFs each on one PF.
api::InterfaceSpec PfSpec(int vfs) {
  api::InterfaceSpec pf;
  pf.pci_address = kPf;
  pf.num_vfs = vfs;
  for (int r = 0; r < kResources && vfs >= kVfs; ++r) {
    api::VfGroup g;
    g.resource_name = Resource(r);
    g.first_vf = r * kVfsPerResource;
    g.last_vf = (r + 1) * kVfsPerResource - 1;
    pf.vf_groups.push_back(g);
  }
  return pf;
}

// A node as the agent would report it, built like agent/deviceplugin/test_node.h
// but with 128 healthy VFs in 4 resources.
struct Node {
  api::RdmaNodeStateSpec spec;
  api::RdmaNodeStateStatus status;
  std::map<std::string, deviceplugin::VfExtras> extras;
  api::VfStatus& Vf(int i) { return status.interfaces[0].vfs[static_cast<size_t>(i)]; }
};

Node SyntheticNode(bool exclusive) {
  Node n;
  n.spec.interfaces = {PfSpec(kVfs)};
  n.status.observed_generation = n.status.applied_generation = 2;
  n.status.sync_state = api::kSyncSucceeded;
  n.status.rdma_namespace_mode = exclusive ? api::kRdmaNamespaceExclusive : api::kRdmaNamespaceShared;
  api::InterfaceStatus st;
  st.pci_address = kPf;
  for (int i = 0; i < kVfs; ++i) {
    api::VfStatus vf;
    vf.index = i;
    vf.pci_address = VfPci(i);
    vf.name = "ens1f0v" + std::to_string(i);
    vf.driver = "mlx5_core";
    vf.rdma_device = "mlx5_" + std::to_string(2 + i);
    vf.uverbs_device = "uverbs" + std::to_string(2 + i);
    vf.node_guid = Guid(i);
    vf.port_guid = Guid(i);
    st.vfs.push_back(vf);
    n.extras[vf.pci_address] = deviceplugin::VfExtras{i % 2, "231:" + std::to_string(194 + i), "", ""};
  }
  n.status.interfaces = {st};
  return n;
}

std::unique_ptr<v1beta1::DevicePlugin::Stub> Dial(const std::string& socket) {
  auto channel = grpc::CreateChannel("unix://" + socket, grpc::InsecureChannelCredentials());
  return v1beta1::DevicePlugin::NewStub(channel);
}

// Waits up to 10 s until the plugin's socket answers.
bool Answers(v1beta1::DevicePlugin::Stub& stub) {
  for (auto deadline = Clock::now() + std::chrono::seconds(10); Clock::now() < deadline;) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    v1beta1::Empty empty;
    v1beta1::DevicePluginOptions out;
    if (stub.GetDevicePluginOptions(&ctx, empty, &out).ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// sim-kubelet's device manager, with a way to wait for what it shows.
class Kubelet {
 public:
  explicit Kubelet(const std::string& plugin_dir) : dm_(Options(plugin_dir)) {
    dm_.SetOnChange([this] { OnChange(); });
  }
  // Records when kubelet first shows device `id` of `resource` Unhealthy and
  // then Healthy again. Done in the change callback: the agent repairs a VF
  // within a pass, so the Unhealthy list is soon replaced by a Healthy one.
  void Track(const std::string& resource, const std::string& id) {
    std::lock_guard lock(mu_);
    track_resource_ = "rdma.dev/" + resource;
    track_id_ = id;
    went_down_.reset();
    came_up_.reset();
  }
  std::optional<Clock::time_point> WentDown() {
    std::lock_guard lock(mu_);
    return went_down_;
  }
  std::optional<Clock::time_point> CameUp() {
    std::lock_guard lock(mu_);
    return came_up_;
  }
  std::string Start() { return dm_.Start(); }
  void Stop() { dm_.Stop(); }
  // Waits for `done` (on each change the device manager reports), up to `timeout`.
  bool Wait(const std::function<bool(const simkubelet::DeviceManager&)>& done, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::unique_lock lock(mu_);
    while (true) {
      const uint64_t seen = changes_;
      lock.unlock();
      if (done(dm_)) return true;
      lock.lock();
      if (Clock::now() >= deadline) return false;
      // The timeout only covers a change that landed between the check and the wait.
      cv_.wait_until(lock, std::min(deadline, Clock::now() + std::chrono::milliseconds(50)),
                     [&] { return changes_ != seen; });
    }
  }
  // Healthy devices over every rdma.dev resource.
  int Healthy() const {
    int n = 0;
    for (const auto& [_, devices] : dm_.Devices()) {
      for (const auto& [id, d] : devices) n += d.health == simkubelet::kHealthy;
    }
    return n;
  }

 private:
  static simkubelet::DeviceManager::Options Options(const std::string& dir) {
    simkubelet::DeviceManager::Options o;
    o.plugin_dir = dir;
    return o;
  }
  void OnChange() {
    const auto now = Clock::now();
    std::string resource, id;
    {
      std::lock_guard lock(mu_);
      resource = track_resource_;
      id = track_id_;
    }
    std::string health;
    if (!id.empty()) {
      auto all = dm_.Devices();  // Notify runs outside the device manager's lock
      if (auto r = all.find(resource); r != all.end()) {
        if (auto d = r->second.find(id); d != r->second.end()) health = d->second.health;
      }
    }
    std::lock_guard lock(mu_);
    if (id == track_id_ && !went_down_ && health == simkubelet::kUnhealthy) went_down_ = now;
    if (id == track_id_ && went_down_ && !came_up_ && health == simkubelet::kHealthy) came_up_ = now;
    ++changes_;
    cv_.notify_all();
  }
  simkubelet::DeviceManager dm_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t changes_ = 0;
  std::string track_resource_, track_id_;
  std::optional<Clock::time_point> went_down_, came_up_;
};

// ---- 1. Allocate and GetPreferredAllocation ----

void AllocateLatency(const std::string& dir, bool exclusive, int calls) {
  const std::string plugin_dir = dir + "/device-plugins", cdi_dir = dir + "/cdi";
  fs::create_directories(plugin_dir);
  fs::create_directories(cdi_dir);
  Kubelet kubelet(plugin_dir);
  if (std::string e = kubelet.Start(); !e.empty()) {
    std::printf("in-process: kubelet: %s\n", e.c_str());
    return;
  }
  kube::MetricsRegistry metrics;
  deviceplugin::ManagerOptions o;
  o.plugin.plugin_dir = plugin_dir;
  o.plugin.use_cdi = true;
  o.plugin.metrics = &metrics;
  o.cdi_dir = cdi_dir;
  deviceplugin::DevicePluginManager manager(o);
  manager.Start();
  Node node = SyntheticNode(exclusive);
  manager.Update(node.spec, node.status, node.extras);
  if (!kubelet.Wait([&](const auto&) { return kubelet.Healthy() == kVfs; }, std::chrono::seconds(20))) {
    std::printf("in-process: kubelet never saw the %d devices\n", kVfs);
    return;
  }
  auto stub = Dial(plugin_dir + "/" + deviceplugin::EndpointName(Resource(0)));
  if (!Answers(*stub)) {
    std::printf("in-process: the plugin's socket does not answer\n");
    return;
  }
  const std::string mode = exclusive ? "exclusive+CDI" : "shared";
  std::vector<double> alloc, prefer;
  int errors = 0;
  const int warmup = std::max(10, calls / 10);
  for (int i = -warmup; i < calls; ++i) {
    v1beta1::AllocateRequest req;
    req.add_container_requests()->add_devices_ids(VfPci(((i % kVfsPerResource) + kVfsPerResource) % kVfsPerResource));
    v1beta1::AllocateResponse out;
    grpc::ClientContext ctx;
    auto t0 = Clock::now();
    auto st = stub->Allocate(&ctx, req, &out);
    const double us = Us(Clock::now() - t0);
    if (!st.ok() || out.container_responses_size() != 1) ++errors;
    if (i >= 0) alloc.push_back(us);
  }
  v1beta1::PreferredAllocationRequest preq;
  auto* c = preq.add_container_requests();
  for (int v = 0; v < kVfsPerResource; ++v) c->add_available_deviceids(VfPci(v));
  c->set_allocation_size(1);
  for (int i = -warmup; i < calls; ++i) {
    v1beta1::PreferredAllocationResponse out;
    grpc::ClientContext ctx;
    auto t0 = Clock::now();
    auto st = stub->GetPreferredAllocation(&ctx, preq, &out);
    const double us = Us(Clock::now() - t0);
    if (!st.ok() || out.container_responses_size() != 1) ++errors;
    if (i >= 0) prefer.push_back(us);
  }
  Print("in-process: Allocate 1 VF (" + mode + ")", alloc, "us");
  Print("in-process: GetPreferredAllocation 1 of 32 (" + mode + ")", prefer, "us");
  if (errors) std::printf("in-process: %d calls failed\n", errors);
  manager.Stop();
  kubelet.Stop();
}

// ---- 2. Health through ListAndWatch, and the per-pass cost ----

void HealthLatency(const std::string& dir, int rounds) {
  const std::string plugin_dir = dir + "/device-plugins";
  fs::create_directories(plugin_dir);
  deviceplugin::ManagerOptions o;
  o.plugin.plugin_dir = plugin_dir;  // no kubelet: the bench's stream is the only one
  deviceplugin::DevicePluginManager manager(o);
  manager.Start();
  Node node = SyntheticNode(false);
  manager.Update(node.spec, node.status, node.extras);
  auto stub = Dial(plugin_dir + "/" + deviceplugin::EndpointName(Resource(1)));
  if (!Answers(*stub)) {
    std::printf("in-process: the plugin's socket does not answer\n");
    return;
  }
  grpc::ClientContext ctx;
  v1beta1::Empty empty;
  auto reader = stub->ListAndWatch(&ctx, empty);
  v1beta1::ListAndWatchResponse list;
  // Reads lists until VF `pci` has `health`; false if the stream ended.
  auto read_until = [&](const std::string& pci, const std::string& health) {
    while (reader->Read(&list)) {
      for (const auto& d : list.devices()) {
        if (d.id() == pci && d.health() == health) return true;
      }
    }
    return false;
  };
  std::vector<double> up, down;
  for (int round = 0; round < rounds; ++round) {
    const int vf = kVfsPerResource + round % kVfsPerResource;  // a VF of r1
    const std::string pci = VfPci(vf);
    node.Vf(vf).node_guid = "00:00:00:00:00:00:00:00";
    auto t0 = Clock::now();
    manager.Update(node.spec, node.status, node.extras);
    if (!read_until(pci, deviceplugin::kUnhealthy)) break;
    down.push_back(Us(Clock::now() - t0));
    node.Vf(vf).node_guid = Guid(vf);
    t0 = Clock::now();
    manager.Update(node.spec, node.status, node.extras);
    if (!read_until(pci, deviceplugin::kHealthy)) break;
    up.push_back(Us(Clock::now() - t0));
  }
  ctx.TryCancel();
  manager.Stop();  // ends the stream
  (void)reader->Finish();
  Print("in-process: Update -> ListAndWatch shows VF Healthy", up, "us");
  Print("in-process: Update -> ListAndWatch shows VF Unhealthy", down, "us");
}

// What the agent adds to each pass for the plugin, against the in-memory
// simulator with 128 VFs made by the agent's own Reconciler.
void PassCost(const std::string& dir, int calls) {
  bench_support::InMemorySriovNode sim_node(dir + "/state", kVfs);
  sim::SimulatedNode& node = sim_node.node;
  sim::SimTreeSysfs sysfs(node.tree());
  host::FakeNetlink netlink;
  sim::InProcessMstconfig runner;
  runner.state = dir + "/state";
  host::MstconfigTool firmware(runner);
  host::SysfsDriverBinder binder(sysfs);
  host::FakeRebooter rebooter;
  host::FakeBootId boot;
  host::SystemClock clock;
  agent::Journal journal(dir + "/journal");
  agent::Reconciler r(agent::HostAccess{sysfs, netlink, firmware, binder, rebooter, boot, clock}, journal);
  api::RdmaNodeStateSpec spec;
  spec.interfaces = {PfSpec(kVfs)};
  auto out = r.Reconcile(1, spec, std::nullopt);
  if (out.status.vf_count != kVfs || out.status.sync_state != api::kSyncSucceeded) {
    std::printf("in-process: the simulated node did not get %d VFs: %s\n", kVfs,
                out.status.last_error ? out.status.last_error->message.c_str() : out.status.sync_state.c_str());
    return;
  }
  std::vector<double> extras_ms, inventory_us;
  deviceplugin::Inventory inv;
  int healthy = 0, with_uverbs = 0;
  for (int i = 0; i < std::max(1, calls / 10); ++i) {
    auto t0 = Clock::now();
    auto extras = deviceplugin::ReadVfExtras(sysfs, out.status);
    extras_ms.push_back(Ms(Clock::now() - t0));
    t0 = Clock::now();
    inv = deviceplugin::BuildInventory(spec, out.status, extras, inv);
    inventory_us.push_back(Us(Clock::now() - t0));
    with_uverbs = static_cast<int>(std::count_if(extras.begin(), extras.end(),
                                                 [](const auto& e) { return !e.second.uverbs_dev.empty(); }));
  }
  for (const auto& [_, res] : inv) healthy += static_cast<int>(std::count_if(
      res.devices.begin(), res.devices.end(), [](const deviceplugin::VfDevice& d) { return d.healthy(); }));
  Print("in-process: ReadVfExtras, 128 VFs (simulated sysfs, no FUSE)", extras_ms, "ms");
  Print("in-process: BuildInventory, 4 resources x 32 VFs", inventory_us, "us");
  std::printf("%-62s %d Healthy of %d, %d with a uverbs dev number\n", "in-process: inventory of the simulated node", healthy,
              kVfs, with_uverbs);
}

// ---- 3. The real agent ----

// The spec's interfaces as JSON: numVfs and, with VFs, the 4 vfGroups.
nlohmann::json InterfacesJson(int vfs) {
  nlohmann::json pf = {{"pciAddress", kPf}, {"numVfs", vfs}};
  if (vfs >= kVfs) {
    pf["vfGroups"] = nlohmann::json::array();
    for (int r = 0; r < kResources; ++r) {
      pf["vfGroups"].push_back(
          {{"resourceName", Resource(r)}, {"firstVf", r * kVfsPerResource}, {"lastVf", (r + 1) * kVfsPerResource - 1}});
    }
  }
  return nlohmann::json::array({pf});
}

pid_t Spawn(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> a = args;
  std::vector<char*> av;
  for (auto& s : a) av.push_back(s.data());
  av.push_back(nullptr);
  pid_t pid = -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  if (posix_spawn(&pid, av[0], &fa, nullptr, av.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

void AsProcess(int runs, const std::string& bin) {
  const std::string dir = "/tmp/dp-bench-" + std::to_string(getpid());
  fs::create_directories(dir + "/api");
  kube::testing::TestApiProcess api(bin + "/kube-testapi", dir + "/api");
  if (std::string e = api.Start(); !e.empty()) {
    std::printf("process: %s\n", e.c_str());
    return;
  }
  auto client = *kube::Client::FromConfig(*kube::LoadKubeconfig({api.kubeconfig()}));
  kube::Resource rns{"rdma.dev", "v1alpha1", "rdmanodestates", "RdmaNodeState", false};
  if (auto c = client->Create(kube::resources::CustomResourceDefinitions(), bench_support::NodeStateCrd()); !c.ok()) {
    std::printf("process: create CRD: %s\n", c.error().message.c_str());
    return;
  }
  auto node = bench_support::StartSriovNode(bin, dir, kVfs);
  if (!node.ok()) {
    std::printf("process: %s\n", node.error().message.c_str());
    return;
  }

  const std::string plugin_dir = dir + "/device-plugins", cdi_dir = dir + "/cdi";
  fs::create_directories(plugin_dir);
  fs::create_directories(cdi_dir);
  Kubelet kubelet(plugin_dir);
  if (std::string e = kubelet.Start(); !e.empty()) {
    std::printf("process: kubelet: %s\n", e.c_str());
    return;
  }
  const std::string path = (*node)->mstconfig_dir() + ":" + getenv("PATH");
  setenv("PATH", path.c_str(), 1);
  const std::string log = dir + "/agent.log";
  const pid_t agent = Spawn({bin + "/rdma-agent", "--kubeconfig", api.kubeconfig(), "--node-name", "bench",
                             "--host-root", (*node)->host_root(), "--journal-dir", dir + "/journal",
                             "--health-address", "", "--log-level", "info", "--device-plugin-dir", plugin_dir,
                             "--cdi-dir", cdi_dir},
                            log);
  if (agent < 0) {
    std::printf("process: cannot start %s/rdma-agent\n", bin.c_str());
    return;
  }
  auto wait_ready = [&](int64_t gen) {
    for (auto deadline = Clock::now() + std::chrono::seconds(120); Clock::now() < deadline;) {
      auto got = client->Get(rns, "", "bench");
      if (got.ok() && Ready(*got, gen)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  };
  auto set_spec = [&](int vfs) -> int64_t {
    auto r = client->Patch(rns, "", "bench", kube::PatchType::kMerge, {{"spec", {{"interfaces", InterfacesJson(vfs)}}}});
    return r.ok() ? kube::GenerationOf(*r) : -1;
  };
  for (auto deadline = Clock::now() + std::chrono::seconds(30); Clock::now() < deadline;) {
    if (client->Get(rns, "", "bench").ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // (a) spec written -> 128 devices Healthy at kubelet.
  std::vector<double> all_healthy, to_ready, ready_to_healthy;
  bool ok = true;
  for (int i = 0; i < runs && ok; ++i) {
    ok = wait_ready(set_spec(0)) &&
         kubelet.Wait([&](const auto&) { return kubelet.Healthy() == 0; }, std::chrono::seconds(30));
    if (!ok) break;
    auto t0 = Clock::now();
    const int64_t gen = set_spec(kVfs);
    // Both ends: the agent reporting Ready (polled on the API server, as a
    // user would) and kubelet having every device Healthy.
    std::optional<Clock::time_point> ready_at, healthy_at;
    for (auto deadline = t0 + std::chrono::seconds(120); Clock::now() < deadline && !(ready_at && healthy_at);) {
      if (!healthy_at && kubelet.Healthy() == kVfs) healthy_at = Clock::now();
      if (!ready_at) {
        auto got = client->Get(rns, "", "bench");
        if (got.ok() && Ready(*got, gen)) ready_at = Clock::now();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ok = ready_at && healthy_at;
    if (!ok) {
      std::printf("process: run %d: Ready %s, kubelet has %d of %d Healthy (see %s)\n", i, ready_at ? "yes" : "no",
                  kubelet.Healthy(), kVfs, log.c_str());
      break;
    }
    all_healthy.push_back(Ms(*healthy_at - t0));
    to_ready.push_back(Ms(*ready_at - t0));
    ready_to_healthy.push_back(Ms(*healthy_at - *ready_at));
  }
  // (b) a VF broken behind the agent's back, then repaired by the agent.
  std::vector<double> down, up, breaking;
  int unseen = 0;
  host::RealSysfs sysfs((*node)->sysfs_root());
  const int rounds = 20;
  for (int round = 0; round < rounds && ok; ++round) {
    const int vf = (round * 37) % kVfs;  // spread over the 4 resources
    const std::string resource = Resource(vf / kVfsPerResource);
    auto link = sysfs.ReadLink(std::string("bus/pci/devices/") + kPf + "/virtfn" + std::to_string(vf));
    if (!link.ok()) {
      std::printf("process: no virtfn%d: %s\n", vf, link.error().message.c_str());
      break;
    }
    const std::string pci = host::PathBaseName(*link);
    kubelet.Track(resource, pci);
    auto t0 = Clock::now();
    // Zero node GUID and MAC: with a MAC set, mlx5 (and the simulator)
    // derives the GUID from it on bind, so zeroing only the GUID would not
    // leave the VF without one.
    const std::string admin = "class/net/ens1f0/device/sriov/" + std::to_string(vf);
    (void)sysfs.Write(admin + "/node", "00:00:00:00:00:00:00:00");
    (void)sysfs.Write(admin + "/mac", "00:00:00:00:00:00");
    (void)sysfs.Write("bus/pci/drivers/mlx5_core/unbind", pci);
    (void)sysfs.Write("bus/pci/drivers/mlx5_core/bind", pci);
    breaking.push_back(Ms(Clock::now() - t0));
    // A pass already under way when the VF broke can discover it broken and
    // repair it before the next pass's first look: kubelet then never sees
    // it Unhealthy. Such a round is counted, not timed.
    auto repaired = [&] {
      auto g = sysfs.Read(admin + "/node");
      return g.ok() && g->rfind("00:00:00:00:00:00:00:00", 0) != 0;
    };
    if (!kubelet.Wait([&](const auto&) { return kubelet.CameUp().has_value() || (!kubelet.WentDown() && repaired()); },
                      std::chrono::seconds(60))) {
      std::printf("process: round %d: kubelet saw %s %s (see %s)\n", round, pci.c_str(),
                  kubelet.WentDown() ? "Unhealthy but never Healthy again" : "never Unhealthy", log.c_str());
      break;
    }
    // Repaired: the pass's list may still be on its way to kubelet.
    if (!kubelet.CameUp() && !kubelet.Wait([&](const auto&) { return kubelet.CameUp().has_value(); },
                                           std::chrono::seconds(2))) {
      if (!kubelet.WentDown()) {
        ++unseen;
        continue;
      }
      std::printf("process: round %d: %s repaired but kubelet still has it Unhealthy\n", round, pci.c_str());
      break;
    }
    down.push_back(Ms(*kubelet.WentDown() - t0));
    up.push_back(Ms(*kubelet.CameUp() - t0));
  }
  // (c) memory, with 4 plugins serving 128 VFs and kubelet's streams open.
  const long rss = StatusKb(agent, "VmRSS"), hwm = StatusKb(agent, "VmHWM"), anon = StatusKb(agent, "RssAnon");
  const long file = StatusKb(agent, "RssFile"), threads = StatusKb(agent, "Threads");
  kill(agent, SIGTERM);
  int st;
  waitpid(agent, &st, 0);
  kubelet.Stop();
  // What a pass's first look costs against sysfs-sim with the agent gone
  // (the VFs stay): discovery (without netlink: no MTU/MAC/link state) and
  // the plugin's ReadVfExtras, each FUSE round trip included.
  std::vector<double> discover_ms, extras_ms;
  for (int i = 0; i < runs; ++i) {
    auto t0 = Clock::now();
    api::RdmaNodeStateStatus status;
    status.interfaces = agent::Discovery(sysfs, nullptr).Run().interfaces;
    discover_ms.push_back(Ms(Clock::now() - t0));
    t0 = Clock::now();
    (void)deviceplugin::ReadVfExtras(sysfs, status);
    extras_ms.push_back(Ms(Clock::now() - t0));
  }
  Print("process: spec written -> 128 VFs Healthy at kubelet", all_healthy, "ms");
  Print("process: spec written -> Ready (status on the API server)", to_ready, "ms");
  Print("process: Ready -> 128 VFs Healthy at kubelet (difference)", ready_to_healthy, "ms");
  Print("process: VF GUID zeroed+rebound -> Unhealthy at kubelet", down, "ms");
  Print("process: VF GUID zeroed+rebound -> Healthy again (agent repaired)", up, "ms");
  Print("process: the bench's zero+unbind+bind writes (in the above)", breaking, "ms");
  Print("process: discovery of 128 VFs over sysfs-sim (no netlink)", discover_ms, "ms");
  Print("process: ReadVfExtras of 128 VFs over sysfs-sim", extras_ms, "ms");
  if (unseen) {
    std::printf("%-62s %d of %d rounds\n", "process: repaired within a pass before kubelet saw it", unseen, rounds);
  }
  std::printf("%-62s %8.1f MB (peak VmHWM %.1f MB; %.1f MB anonymous, %.1f MB file-backed, %ld threads)\n",
              "process: agent RSS (VmRSS), 4 resources, 128 VFs", rss / 1024.0, hwm / 1024.0, anon / 1024.0,
              file / 1024.0, threads);
  (void)(*node)->Stop();
  api.Stop();
  fs::copy_file(log, "/tmp/rdma-device-plugin-bench.log", fs::copy_options::overwrite_existing);
  std::printf("process: agent log in /tmp/rdma-device-plugin-bench.log\n");
  fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  int runs = 5, calls = 1000;
  std::string bin = "build/bin";
  po::options_description desc("rdma-device-plugin-bench");
  desc.add_options()("help,h", "this text")("runs", po::value(&runs)->default_value(5),
                                            "runs of the end-to-end spec -> Healthy figure")(
      "calls", po::value(&calls)->default_value(1000), "gRPC calls per in-process figure (health rounds: calls/5)")(
      "bin-dir", po::value(&bin)->default_value("build/bin"), "where rdma-agent, sysfs-sim, kube-testapi are")(
      "no-process", "only the in-process measurements (no root needed)");
  po::variables_map vm;
  if (auto exit = kube::ParseCommandLine(argc, argv, desc, vm, "rdma-device-plugin-bench")) return *exit;
  if (runs < 1 || calls < 10) {
    std::cerr << "rdma-device-plugin-bench: --runs must be >= 1 and --calls >= 10\n" << desc;
    return 2;
  }
  // The plugins log every Allocate at info, as in the agent: to a file here,
  // so the figures include it without flooding the terminal.
  const std::string tmp = fs::temp_directory_path() / ("dp-bench-" + std::to_string(getpid()));
  fs::create_directories(tmp);
  spdlog::set_default_logger(spdlog::basic_logger_mt("bench", tmp + "/bench.log"));
  spdlog::set_level(spdlog::level::info);
  // The process measurement runs in a network namespace of its own, entered
  // before any thread starts.
  const std::string ns = "dp-bench-" + std::to_string(getpid());
  bool process = !vm.count("no-process") && geteuid() == 0 && Run({"ip", "netns", "add", ns}) == 0;
  if (process) {
    int fd = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    process = fd >= 0 && setns(fd, CLONE_NEWNET) == 0 && Run({"ip", "link", "set", "lo", "up"}) == 0;
    if (fd >= 0) close(fd);
  }
  AllocateLatency(tmp + "/shared", false, calls);
  AllocateLatency(tmp + "/exclusive", true, calls);
  HealthLatency(tmp + "/health", std::max(1, calls / 5));
  PassCost(tmp + "/pass", calls);
  if (process) AsProcess(runs, bin);
  else std::printf("process measurement skipped (needs root, /dev/fuse, ip netns)\n");
  if (process) Run({"ip", "netns", "del", ns});
  fs::remove_all(tmp);
  return 0;
}
