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
//
// --scenario rollout: the disruption rollout instead (issue 13). N nodes
// with one PF each, a policy whose firmware change needs a reboot, with
// disruption.maxUnavailable (default 10%); in-process scripted agents
// report "Pending, reboot required", and once granted "reboot" for
// --reboot-seconds (a timer) and report the generation applied. It times
// the whole rollout against the ideal (waves x reboot time) and, per node,
// the operator's own overhead: from a node's rollout done to the next
// node's cordon, seen through watches.
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
#include <functional>
#include <cmath>
#include <iostream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "kube/command_line.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/http_transport.h"
#include "kube/informer.h"
#include "kube/integration/testapi_process.h"
#include "operator/integration/operator_process.h"
#include "operator/integration/scripted_agent.h"
#include "operator/resources.h"
#include "operator/rollout_plan.h"

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

// A fresh kube-testapi with crds/ applied, and an unthrottled client of it;
// nullptr (after printing why) when either fails.
struct BenchCluster {
  std::unique_ptr<kube::testing::TestApiProcess> server;
  std::shared_ptr<kube::Client> client;
};
std::optional<BenchCluster> StartCluster(const std::string& testapi, const std::string& crds, const std::string& dir) {
  fs::create_directories(dir);
  BenchCluster c;
  c.server = std::make_unique<kube::testing::TestApiProcess>(testapi, dir);
  if (auto err = c.server->Start(); !err.empty()) {
    std::cerr << err << "\n";
    return std::nullopt;
  }
  int rc = 0;
  std::string out = rdma_operator::testing::RunCommand(
      "kubectl --kubeconfig " + c.server->kubeconfig() + " apply -f " + crds + " -f " + crds + "/third-party", &rc);
  if (rc != 0) {
    std::cerr << out;
    return std::nullopt;
  }
  std::string error;
  c.client = rdma_operator::testing::UnthrottledClient(c.server->kubeconfig(), &error);
  if (c.client == nullptr) {
    std::cerr << "kubeconfig of the test API server: " << error << "\n";
    return std::nullopt;
  }
  return c;
}

// Starts the operator with --log-level warn and `flags`, and waits (60 s at
// most) until it serves /metrics; false, after printing why, when it did
// not start.
bool StartOperator(rdma_operator::testing::OperatorProcess& op, const std::vector<std::string>& flags) {
  std::vector<std::string> all = {"--log-level", "warn"};
  all.insert(all.end(), flags.begin(), flags.end());
  if (auto err = op.Start(all); !err.empty()) {
    std::cerr << err << "\n";
    return false;
  }
  // Started and synced: the writes counter is served once it runs.
  auto deadline = SteadyClock::now() + 60s;
  while (op.Metric("rdma_operator_node_state_spec_writes_total") < 0 && SteadyClock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  return true;
}

// N agents' first writes: Node i, its RdmaNodeState, and the NICs
// interfaces(i) reports.
void CreateNodes(kube::Client& client, int nodes, const std::function<json(int)>& interfaces) {
  Parallel(nodes, 4, [&](int i) {
    json node = Node(i);
    (void)client.Create(kube::resources::Nodes(), node);
    json state = {{"apiVersion", "rdma.dev/v1alpha1"},
                  {"kind", "RdmaNodeState"},
                  {"metadata", {{"name", node["metadata"]["name"]}}}};
    auto created = client.Create(rdma_operator::RdmaNodeStates(), state);
    if (!created.ok()) return;
    (*created)["status"] = {{"interfaces", interfaces(i)}, {"syncState", "Succeeded"}};
    (void)client.UpdateStatus(rdma_operator::RdmaNodeStates(), *created);
  });
}

RunResult OneRun(const std::string& testapi, const std::string& operator_bin, const std::string& crds, int nodes,
                 const std::string& dir, const std::vector<std::string>& operator_flags) {
  RunResult r;
  std::optional<BenchCluster> cluster = StartCluster(testapi, crds, dir);
  if (!cluster) return r;
  kube::testing::TestApiProcess& server = *cluster->server;
  std::shared_ptr<kube::Client> client = cluster->client;
  CreateNodes(*client, nodes, Interfaces);

  SpecWatcher watcher(client);
  rdma_operator::testing::OperatorProcess op(operator_bin, server.kubeconfig(), dir + "/operator.log");
  if (!StartOperator(op, operator_flags)) return r;
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

// ---- --scenario rollout ------------------------------------------------------

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

// The agents of every node, played in-process from a watch of the node
// states: a spec of a new generation -> "Pending, reboot required"; a
// reboot grant -> after the reboot time, "applied" (the firmware took, so
// every later generation applies at once).
class ScriptedAgents {
 public:
  ScriptedAgents(std::shared_ptr<kube::Client> client, std::chrono::milliseconds reboot)
      : client_(std::move(client)), reboot_(reboot) {
    informer_ = std::make_unique<kube::Informer>(client_, rdma_operator::RdmaNodeStates(), "", "", kube::InformerOptions{});
    kube::EventHandler h;
    h.on_add = [this](const json& o) { Wake(o); };
    h.on_update = [this](const json&, const json& o) { Wake(o); };
    informer_->AddEventHandler(h);
    worker_ = std::jthread([this](std::stop_token stop) { Work(stop); });
    informer_->Start();
    informer_->WaitForSync(60s);
  }
  ~ScriptedAgents() {
    informer_->Stop();
    worker_.request_stop();
    cv_.notify_all();
  }

 private:
  void Wake(const json& o) {
    std::lock_guard l(mu_);
    queue_.insert(kube::NameOf(o));
    cv_.notify_all();
  }
  void Work(std::stop_token stop) {
    while (!stop.stop_requested()) {
      std::string name;
      {
        std::unique_lock l(mu_);
        auto next_due = due_.empty() ? SteadyClock::time_point::max() : due_.begin()->first;
        cv_.wait_until(l, next_due, [&] { return stop.stop_requested() || !queue_.empty() ||
                                                 (!due_.empty() && due_.begin()->first <= SteadyClock::now()); });
        if (stop.stop_requested()) return;
        if (!due_.empty() && due_.begin()->first <= SteadyClock::now()) {
          name = due_.begin()->second;
          rebooted_.insert(name);
          due_.erase(due_.begin());
        } else if (!queue_.empty()) {
          name = *queue_.begin();
          queue_.erase(queue_.begin());
        } else {
          continue;
        }
      }
      Step(name);
    }
  }
  void Step(const std::string& name) {
    auto got = client_->Get(rdma_operator::RdmaNodeStates(), "", name);
    if (!got.ok()) return;
    json s = *got;
    const int64_t gen = kube::GenerationOf(s);
    const json spec = s.value("spec", json::object());
    if (!spec.contains("interfaces") || spec["interfaces"].empty()) return;
    const json status = s.value("status", json::object());
    if (status.value("appliedGeneration", int64_t{0}) == gen && status.value("syncState", "") == "Succeeded") return;
    bool rebooted, rebooting;
    {
      std::lock_guard l(mu_);
      rebooted = rebooted_.count(name) > 0;
      rebooting = std::any_of(due_.begin(), due_.end(), [&](const auto& d) { return d.second == name; });
    }
    if (rebooting) return;
    const bool granted = spec.contains("disruption") && spec["disruption"].value("rebootAllowed", false);
    if (!rebooted && granted) {
      std::lock_guard l(mu_);
      due_.emplace(SteadyClock::now() + reboot_, name);
      cv_.notify_all();
      return;
    }
    if (rebooted) {
      rdma_operator::testing::ReportApplied(s);
    } else if (!rdma_operator::testing::ReportWaitingForReboot(s)) {
      return;
    }
    if (!client_->UpdateStatus(rdma_operator::RdmaNodeStates(), s).ok()) Wake(s);  // conflict: again
  }

  std::shared_ptr<kube::Client> client_;
  const std::chrono::milliseconds reboot_;
  std::unique_ptr<kube::Informer> informer_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> queue_, rebooted_;
  std::multimap<SteadyClock::time_point, std::string> due_;
  std::jthread worker_;
};

// When each node was cordoned (Node spec.unschedulable false -> true) and
// when its rollout was done (the rdma.dev/rollout record says Idle/Done), and
// the most nodes cordoned at once.
class RolloutWatcher {
 public:
  explicit RolloutWatcher(std::shared_ptr<kube::Client> client) {
    nodes_ = std::make_unique<kube::Informer>(client, kube::resources::Nodes(), "", "", kube::InformerOptions{});
    states_ = std::make_unique<kube::Informer>(client, rdma_operator::RdmaNodeStates(), "", "", kube::InformerOptions{});
    kube::EventHandler n;
    n.on_update = [this](const json& old_obj, const json& new_obj) {
      const bool was = old_obj.contains("spec") && old_obj["spec"].value("unschedulable", false);
      const bool is = new_obj.contains("spec") && new_obj["spec"].value("unschedulable", false);
      if (was == is) return;
      std::lock_guard l(mu_);
      cordoned_now_ += is ? 1 : -1;
      max_cordoned_ = std::max(max_cordoned_, cordoned_now_);
      if (is) cordons_.emplace_back(SteadyClock::now(), kube::NameOf(new_obj));
    };
    nodes_->AddEventHandler(n);
    kube::EventHandler s;
    s.on_update = [this](const json&, const json& o) {
      const json& meta = o["metadata"];
      if (!meta.contains("annotations")) return;
      const std::string record = meta["annotations"].value("rdma.dev/rollout", "");
      if (record.find("\"step\":\"Idle\"") == std::string::npos || record.find("\"result\":\"Done\"") == std::string::npos)
        return;
      std::lock_guard l(mu_);
      if (done_.emplace(kube::NameOf(o), SteadyClock::now()).second) cv_.notify_all();
    };
    states_->AddEventHandler(s);
    nodes_->Start();
    states_->Start();
    nodes_->WaitForSync(60s);
    states_->WaitForSync(60s);
  }
  ~RolloutWatcher() {
    nodes_->Stop();
    states_->Stop();
  }
  bool WaitDone(size_t n, std::chrono::seconds limit) {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, limit, [&] { return done_.size() >= n; });
  }
  // From the latest "done" before each cordon to that cordon, for every
  // cordon that followed a done (not the first wave).
  std::vector<double> OverheadMs() {
    std::lock_guard l(mu_);
    std::vector<SteadyClock::time_point> dones;
    for (const auto& [name, t] : done_) dones.push_back(t);
    std::sort(dones.begin(), dones.end());
    std::vector<double> out;
    for (const auto& [t, name] : cordons_) {
      auto it = std::upper_bound(dones.begin(), dones.end(), t);
      if (it == dones.begin()) continue;  // first wave: nothing was done before it
      out.push_back(Seconds(t - *std::prev(it)) * 1000);
    }
    return out;
  }
  int max_cordoned() {
    std::lock_guard l(mu_);
    return max_cordoned_;
  }

 private:
  std::unique_ptr<kube::Informer> nodes_, states_;
  std::mutex mu_;
  std::condition_variable cv_;
  int cordoned_now_ = 0, max_cordoned_ = 0;
  std::vector<std::pair<SteadyClock::time_point, std::string>> cordons_;
  std::map<std::string, SteadyClock::time_point> done_;
};

struct RolloutRunResult {
  double total_s = -1, ideal_s = 0;
  int max_cordoned = 0, budget = 0;
  std::vector<double> overhead_ms;
  double operator_cpu_s = 0;
};

double ProcessCpuSeconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

RolloutRunResult RolloutRun(const std::string& testapi, const std::string& operator_bin, const std::string& crds,
                            int nodes, const std::string& max_unavailable, std::chrono::milliseconds reboot,
                            const std::string& dir, const std::vector<std::string>& operator_flags) {
  RolloutRunResult r;
  std::optional<BenchCluster> cluster = StartCluster(testapi, crds, dir);
  if (!cluster) return r;
  kube::testing::TestApiProcess& server = *cluster->server;
  std::shared_ptr<kube::Client> client = cluster->client;
  CreateNodes(*client, nodes, [](int) {
    json pf = {{"pciAddress", "0000:41:00.0"}, {"name", "ens1f0"}, {"vendor", "15b3"},
               {"deviceID", "1017"},          {"totalVfs", 16},   {"numVfs", 0}};
    return json::array({pf});
  });
  ScriptedAgents agents(client, reboot);
  RolloutWatcher watcher(client);
  rdma_operator::testing::OperatorProcess op(operator_bin, server.kubeconfig(), dir + "/operator.log");
  if (!StartOperator(op, operator_flags)) return r;
  std::this_thread::sleep_for(2s);  // the first pass over the nodes (owner references) settles
  const double cpu0 = ProcessCpuSeconds(op.pid());

  json policy = json::parse(R"({
    "apiVersion": "rdma.dev/v1alpha1", "kind": "RdmaNodePolicy", "metadata": {"name": "bench"},
    "spec": {"nodeSelector": {"matchLabels": {"rdma.dev/bench": "true"}},
             "nicSelector": {"vendor": "15b3"}, "numVfs": 8, "resourceName": "bench",
             "firmware": {"managed": true, "allowReboot": true}}})");
  policy["spec"]["disruption"]["maxUnavailable"] =
      max_unavailable.find('%') == std::string::npos ? json(std::stoi(max_unavailable)) : json(max_unavailable);
  r.budget = rdma_operator::RolloutBudget(policy["spec"]["disruption"]["maxUnavailable"], nodes);
  r.ideal_s = std::ceil(static_cast<double>(nodes) / r.budget) * Seconds(reboot);
  const auto t0 = SteadyClock::now();
  if (auto c = client->Create(rdma_operator::RdmaNodePolicies(), policy); !c.ok()) {
    std::cerr << c.error().ToString() << "\n";
    return r;
  }
  if (watcher.WaitDone(nodes, std::chrono::seconds(60 + 10 * nodes))) r.total_s = Seconds(SteadyClock::now() - t0);
  r.operator_cpu_s = ProcessCpuSeconds(op.pid()) - cpu0;
  r.max_cordoned = watcher.max_cordoned();
  r.overhead_ms = watcher.OverheadMs();
  op.Stop();
  return r;
}

template <typename T>
void Stats(const char* what, std::vector<T> v, const char* unit, const char* samples = "runs") {
  std::sort(v.begin(), v.end());
  std::cout << what << ": median " << v[v.size() / 2] << unit << ", min " << v.front() << unit << ", max " << v.back()
            << unit << " (" << v.size() << " " << samples << ")\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::string testapi, operator_bin, crds, work, scenario, max_unavailable;
  int nodes = 0, runs = 0;
  double reboot_seconds = 0;
  po::options_description desc("rdma-operator-bench: policy rollout time, relabel writes and RSS at N nodes");
  desc.add_options()("help", "show this help")(
      "testapi", po::value(&testapi)->default_value(RDMA_BIN_DIR "/kube-testapi"), "kube-testapi binary")(
      "operator", po::value(&operator_bin)->default_value(RDMA_BIN_DIR "/rdma-operator"), "rdma-operator binary")(
      "crds", po::value(&crds)->default_value(RDMA_SOURCE_DIR "/crds"), "crds/ directory")(
      "scenario", po::value(&scenario)->default_value("policy"),
      "policy: spec rollout, relabel writes, RSS; rollout: the disruption rollout (drain, reboot, uncordon)")(
      "nodes", po::value(&nodes)->default_value(1000), "simulated nodes (rollout: 100 is the issue's figure)")(
      "max-unavailable", po::value(&max_unavailable)->default_value("10%"), "rollout: disruption.maxUnavailable")(
      "reboot-seconds", po::value(&reboot_seconds)->default_value(1.0), "rollout: how long a simulated reboot takes")(
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
  if (scenario == "rollout") {
    const auto reboot = std::chrono::milliseconds(static_cast<int64_t>(reboot_seconds * 1000));
    std::vector<double> total, overhead_all, cpu;
    for (int i = 0; i < runs; ++i) {
      RolloutRunResult r = RolloutRun(testapi, operator_bin, crds, nodes, max_unavailable, reboot,
                                      work + "/run-" + std::to_string(i), operator_flags);
      std::vector<double> o = r.overhead_ms;
      std::sort(o.begin(), o.end());
      std::printf(
          "run %d: rollout of a reboot to %d nodes, maxUnavailable %s (%d at once), reboot %.1f s: %.2f s "
          "(ideal %.1f s); at most %d cordoned at once; operator CPU %.2f s (%.1f ms per node); done -> next "
          "cordon over %zu nodes: median %.1f ms, p90 %.1f ms, max %.1f ms\n",
          i + 1, nodes, max_unavailable.c_str(), r.budget, reboot_seconds, r.total_s, r.ideal_s, r.max_cordoned,
          r.operator_cpu_s, r.operator_cpu_s * 1000 / nodes, o.size(), o.empty() ? -1 : o[o.size() / 2],
          o.empty() ? -1 : o[o.size() * 9 / 10], o.empty() ? -1 : o.back());
      std::fflush(stdout);
      total.push_back(r.total_s);
      cpu.push_back(r.operator_cpu_s);
      overhead_all.insert(overhead_all.end(), o.begin(), o.end());
    }
    Stats("rollout (s)", total, " s");
    Stats("operator CPU during the rollout (s)", cpu, " s");
    if (!overhead_all.empty()) Stats("done -> next cordon, every node of every run (ms)", overhead_all, " ms", "nodes");
    if (cleanup) fs::remove_all(work);
    return 0;
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
