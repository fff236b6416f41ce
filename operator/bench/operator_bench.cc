// rdma-operator-bench: how fast rdma-operator rolls a policy out to many
// nodes and how much memory it needs. Per run it starts a fresh kube-testapi
// and the real rdma-operator binary, creates N Nodes and N RdmaNodeStates
// with two reported PFs each (what N agents would write), then:
//   1. applies one RdmaNodePolicy selecting every node and times until all N
//      node-state specs are written (seen through a watch, like a user);
//   2. removes the policy's label from 10 nodes and counts the spec writes
//      that follow (server-side, from the watch: should be exactly 10);
//   3. reads the operator's RSS (VmRSS, and VmHWM = peak) at N nodes.
// Prints each run and the median / min / max. Not a test: no assertions.
// docs/operator.md has the figures and how to reproduce them.
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/program_options.hpp>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "kube/command_line.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/http_transport.h"
#include "kube/informer.h"
#include "kube/integration/testapi_process.h"
#include "operator/integration/operator_process.h"
#include "operator/resources.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct RunResult {
  double rollout_s = -1;
  int64_t relabel_writes = -1;
  double rss_mb = 0, peak_mb = 0;
  double anon_mb = 0, file_mb = 0;  // RSS split: the operator's own memory, shared-library pages
};

long ProcStatusKb(pid_t pid, const std::string& field) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

// Watches node states and counts spec changes, and how many have the
// policy's interfaces.
class SpecWatcher {
 public:
  SpecWatcher(std::shared_ptr<kube::Client> client) {
    kube::InformerOptions o;
    informer_ = std::make_unique<kube::Informer>(client, rdma_operator::RdmaNodeStates(), "", "", o);
    kube::EventHandler h;
    h.on_update = [this](const json& old_obj, const json& new_obj) {
      std::lock_guard<std::mutex> l(mu_);
      ++updates_;
      cv_.notify_all();
      if (old_obj.value("spec", json()) == new_obj.value("spec", json())) return;
      ++spec_changes_;
      Count(new_obj, +1);
      Count(old_obj, -1);
      cv_.notify_all();
    };
    informer_->AddEventHandler(h);
    informer_->Start();
    informer_->WaitForSync(60s);
  }
  ~SpecWatcher() { informer_->Stop(); }

  // Waits until at least n updates of any kind were seen.
  bool WaitUpdates(int64_t n, std::chrono::seconds limit) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, limit, [&] { return updates_ >= n; });
  }
  int64_t spec_changes() {
    std::lock_guard<std::mutex> l(mu_);
    return spec_changes_;
  }
  // Waits until `n` node states have the policy's interfaces (or fewer, for
  // a relabel); false on timeout.
  bool WaitConfigured(const std::function<bool(int64_t)>& pred, std::chrono::seconds limit) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, limit, [&] { return pred(configured_); });
  }

 private:
  void Count(const json& obj, int delta) {
    const json& spec = obj.value("spec", json::object());
    if (spec.is_object() && spec.contains("interfaces") && !spec["interfaces"].empty()) configured_ += delta;
  }
  std::unique_ptr<kube::Informer> informer_;
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t spec_changes_ = 0, configured_ = 0, updates_ = 0;
};

json Node(int i) {
  char name[32];
  std::snprintf(name, sizeof(name), "bench-%04d", i);
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata", {{"name", name}, {"labels", {{"rdma.dev/bench", "true"}, {"kubernetes.io/hostname", name}}}}}};
}

// What an agent reports for a dual-port ConnectX-5 that already runs 8 VFs
// per port: the PFs with firmware values and every VF, so the operator's
// caches hold what they would hold in a cluster.
json Interfaces(int node) {
  json firmware = {{"parameters", json::array()}};
  for (const char* p : {"SRIOV_EN", "NUM_OF_VFS", "LINK_TYPE_P1", "LINK_TYPE_P2"})
    firmware["parameters"].push_back({{"name", p}, {"default", "False"}, {"current", "True"}, {"nextBoot", "True"}});
  json pfs = json::array();
  for (int port = 0; port < 2; ++port) {
    char pci[16], name[16];
    std::snprintf(pci, sizeof(pci), "0000:41:00.%d", port);
    std::snprintf(name, sizeof(name), "ens1f%d", port);
    json pf = {{"pciAddress", pci},  {"name", name},          {"vendor", "15b3"},     {"deviceID", "1017"},
               {"totalVfs", 16},     {"numVfs", 8},           {"driver", "mlx5_core"}, {"linkType", "Ethernet"},
               {"mtu", 9000},        {"firmware", firmware},  {"vfs", json::array()}};
    for (int vf = 0; vf < 8; ++vf) {
      char vf_pci[16], vf_name[24], guid[32], mac[24];
      std::snprintf(vf_pci, sizeof(vf_pci), "0000:41:%02x.%d", 1 + port, vf);
      std::snprintf(vf_name, sizeof(vf_name), "%sv%d", name, vf);
      std::snprintf(guid, sizeof(guid), "02:00:00:%02x:%02x:%02x:%02x:%02x", node >> 8, node & 0xff, port, 0, vf);
      std::snprintf(mac, sizeof(mac), "02:%02x:%02x:%02x:00:%02x", node >> 8, node & 0xff, port, vf);
      pf["vfs"].push_back({{"index", vf},          {"pciAddress", vf_pci},   {"name", vf_name},
                           {"driver", "mlx5_core"}, {"mac", mac},             {"rdmaDevice", std::string("mlx5_") + std::to_string(2 + 8 * port + vf)},
                           {"nodeGuid", guid},     {"portGuid", guid}});
    }
    pfs.push_back(std::move(pf));
  }
  return pfs;
}

// Runs fn(i) for i in [0, n) on `threads` threads.
void Parallel(int n, int threads, const std::function<void(int)>& fn) {
  std::atomic<int> next{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&] {
      for (int i; (i = next++) < n;) fn(i);
    });
  for (auto& t : ts) t.join();
}

RunResult OneRun(const std::string& testapi, const std::string& operator_bin, const std::string& crds, int nodes,
                 const std::string& dir, const std::vector<std::string>& operator_flags) {
  RunResult r;
  fs::create_directories(dir);
  kube::testing::TestApiProcess server(testapi, dir);
  if (auto err = server.Start(); !err.empty()) {
    std::cerr << err << "\n";
    return r;
  }
  int rc = 0;
  std::string out = rdma_operator::testing::RunCommand(
      "kubectl --kubeconfig " + server.kubeconfig() + " apply -f " + crds + " -f " + crds + "/third-party", &rc);
  if (rc != 0) {
    std::cerr << out;
    return r;
  }
  std::string error;
  auto client = rdma_operator::testing::UnthrottledClient(server.kubeconfig(), &error);
  if (client == nullptr) {
    std::cerr << "kubeconfig of the test API server: " << error << "\n";
    return r;
  }

  // N agents: Node, RdmaNodeState, reported NICs.
  Parallel(nodes, 4, [&](int i) {
    json node = Node(i);
    (void)client->Create(kube::resources::Nodes(), node);
    json state = {{"apiVersion", "rdma.dev/v1alpha1"},
                  {"kind", "RdmaNodeState"},
                  {"metadata", {{"name", node["metadata"]["name"]}}}};
    auto created = client->Create(rdma_operator::RdmaNodeStates(), state);
    if (!created.ok()) return;
    (*created)["status"] = {{"interfaces", Interfaces(i)}, {"syncState", "Succeeded"}};
    (void)client->UpdateStatus(rdma_operator::RdmaNodeStates(), *created);
  });

  SpecWatcher watcher(client);
  rdma_operator::testing::OperatorProcess op(operator_bin, server.kubeconfig(), dir + "/operator.log");
  std::vector<std::string> flags = {"--log-level", "warn"};
  flags.insert(flags.end(), operator_flags.begin(), operator_flags.end());
  if (auto err = op.Start(flags); !err.empty()) {
    std::cerr << err << "\n";
    return r;
  }
  // Started and synced: the writes counter is served once it runs.
  auto deadline = SteadyClock::now() + 60s;
  while (op.Metric("rdma_operator_node_state_spec_writes_total") < 0 && SteadyClock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  const pid_t pid = op.pid();
  // The operator's first pass over the nodes: nothing selects them yet, so
  // it writes no spec, but it adds each state's ownerReference to its Node
  // (the simulated agents created them without). Then let the client's
  // token bucket refill (burst 1000 at 200 qps: 5 s), as it is in a cluster
  // that has been running, before the clock starts.
  watcher.WaitUpdates(nodes, 60s);
  std::this_thread::sleep_for(6s);

  json policy = json::parse(R"({
    "apiVersion": "rdma.dev/v1alpha1", "kind": "RdmaNodePolicy",
    "metadata": {"name": "bench"},
    "spec": {"nodeSelector": {"matchLabels": {"rdma.dev/bench": "true"}},
             "nicSelector": {"vendor": "15b3", "deviceIDs": ["1017"]},
             "numVfs": 8, "linkType": "Ethernet", "mtu": 9000, "resourceName": "bench"}})");
  auto t0 = SteadyClock::now();
  if (auto c = client->Create(rdma_operator::RdmaNodePolicies(), policy); !c.ok()) {
    std::cerr << c.error().ToString() << "\n";
    return r;
  }
  if (watcher.WaitConfigured([&](int64_t n) { return n >= nodes; }, 120s))
    r.rollout_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  if (pid > 0) {
    r.rss_mb = ProcStatusKb(pid, "VmRSS") / 1024.0;
    r.peak_mb = ProcStatusKb(pid, "VmHWM") / 1024.0;
    r.anon_mb = ProcStatusKb(pid, "RssAnon") / 1024.0;
    r.file_mb = ProcStatusKb(pid, "RssFile") / 1024.0;
  }

  // Relabel 10 nodes: the policy no longer selects them.
  std::this_thread::sleep_for(1s);  // let status rollups settle; they write no specs
  int64_t before = watcher.spec_changes();
  for (int i = 0; i < 10; ++i) {
    std::string name = Node(i * (nodes / 10))["metadata"]["name"];
    json patch = {{"metadata", {{"labels", {{"rdma.dev/bench", nullptr}}}}}};
    (void)client->Patch(kube::resources::Nodes(), "", name, kube::PatchType::kMerge, patch);
  }
  watcher.WaitConfigured([&](int64_t n) { return n <= nodes - 10; }, 60s);
  // Any stray write would follow within the operator's reconcile latency.
  std::this_thread::sleep_for(2s);
  r.relabel_writes = watcher.spec_changes() - before;
  op.Stop();
  return r;
}

template <typename T>
void Stats(const char* what, std::vector<T> v, const char* unit) {
  std::sort(v.begin(), v.end());
  std::cout << what << ": median " << v[v.size() / 2] << unit << ", min " << v.front() << unit << ", max " << v.back()
            << unit << " (" << v.size() << " runs)\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::string testapi, operator_bin, crds, work;
  int nodes = 0, runs = 0;
  po::options_description desc("rdma-operator-bench: policy rollout time, relabel writes and RSS at N nodes");
  desc.add_options()("help", "show this help")(
      "testapi", po::value(&testapi)->default_value(RDMA_BIN_DIR "/kube-testapi"), "kube-testapi binary")(
      "operator", po::value(&operator_bin)->default_value(RDMA_BIN_DIR "/rdma-operator"), "rdma-operator binary")(
      "crds", po::value(&crds)->default_value(RDMA_SOURCE_DIR "/crds"), "crds/ directory")(
      "nodes", po::value(&nodes)->default_value(1000), "simulated nodes")(
      "runs", po::value(&runs)->default_value(3), "runs (each with a fresh API server and operator)")(
      "workdir", po::value(&work)->default_value(""), "data directory (default: a new temp dir, removed)")(
      "operator-flag", po::value<std::vector<std::string>>()->composing(),
      "extra rdma-operator flag, repeatable (e.g. --operator-flag=--kube-api-qps=500)");
  po::variables_map vm;
  if (auto exit = kube::ParseCommandLine(argc, argv, desc, vm, "rdma-operator-bench")) return *exit;
  if (nodes < 10 || runs < 1) {
    std::cerr << "rdma-operator-bench: need --nodes >= 10 and --runs >= 1\n";
    return 2;
  }
  std::vector<std::string> operator_flags;
  if (vm.count("operator-flag")) operator_flags = vm["operator-flag"].as<std::vector<std::string>>();
  spdlog::set_level(spdlog::level::warn);
  bool cleanup = work.empty();
  if (work.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "rdma-operator-bench-XXXXXX").string();
    work = mkdtemp(tmpl.data());
  }
  std::vector<double> rollout, rss, peak, anon;
  std::vector<int64_t> writes;
  for (int i = 0; i < runs; ++i) {
    RunResult r = OneRun(testapi, operator_bin, crds, nodes, work + "/run-" + std::to_string(i), operator_flags);
    std::printf(
        "run %d: rollout to %d nodes %.2f s; relabel 10 nodes -> %lld spec writes; operator RSS %.1f MB "
        "(%.1f anonymous + %.1f shared-library/file pages; peak %.1f MB)\n",
        i + 1, nodes, r.rollout_s, static_cast<long long>(r.relabel_writes), r.rss_mb, r.anon_mb, r.file_mb,
        r.peak_mb);
    std::fflush(stdout);
    rollout.push_back(r.rollout_s);
    writes.push_back(r.relabel_writes);
    rss.push_back(r.rss_mb);
    peak.push_back(r.peak_mb);
    anon.push_back(r.anon_mb);
  }
  Stats("rollout (s)", rollout, " s");
  Stats("spec writes after relabelling 10 nodes", writes, "");
  Stats("operator RSS after rollout (MB)", rss, " MB");
  Stats("operator peak RSS (MB)", peak, " MB");
  Stats("operator anonymous RSS after rollout (MB)", anon, " MB");
  if (cleanup) fs::remove_all(work);
  return 0;
}
