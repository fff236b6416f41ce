// rdma-attach-bench: how long a pod's RDMA network attachment takes through
// rdma-cni, beside Debian's host-device CNI plugin doing the same job in the
// same run. Not a test: it prints figures (median, p90/p99 and spread) for
// docs/cni.md "Attach latency".
//
//   sudo build/bin/rdma-attach-bench [--iterations 50] [--concurrency 32] [--rounds 3]
//
// Every CNI call is an exec of the plugin binary with the CNI environment
// and the network config on stdin, as a container runtime (or Multus) runs
// it, timed from the exec to the plugin's exit:
//   - rdma-cni: the real shim binary, forwarding over the unix socket to
//     rdma-agent's attach engine and socket server, which run in this
//     process (as in agent/attach/engine_test.cc) with the attachment
//     records on disk under --work-dir. A "PF" veth with veth "VFs"
//     (attach/test_vfs.h) stands in for the NIC; ADD moves a VF into the
//     pod's namespace as net1 (one RTM_NEWLINK with the name and MTU),
//     gives it an address from the node's block and a route, DEL brings it
//     back the same way.
//   - host-device (/usr/lib/cni/host-device, containernetworking-plugins)
//     moving a veth into the pod's namespace as net1 with the static IPAM
//     plugin (address, gateway, the same route); DEL moves it back.
//   - where the time goes, in the same loop: the engine alone
//     (AttachEngine::Handle called in this process with the same call, no
//     exec, no socket); what the kernel takes for the one step neither
//     plugin can avoid, moving a netdev into another network namespace and
//     back (one RTM_NEWLINK each, through host::Netlink; the engine and
//     host-device each move once per ADD and once per DEL); starting each plugin (VERSION, which both answer
//     without doing anything); and writing one attachment record (write,
//     fsync, rename, fsync of the directory; ADD writes two).
// 1. Sequential: --iterations ADD+DEL pairs per plugin (after --warmup
//    pairs that are not counted), the cases in a shuffled order each time.
// 2. Concurrent: --concurrency ADDs started at once, rdma-cni on VFs of one
//    PF (the engine serialises them), then as many DELs; the same with
//    host-device on as many veths. --rounds times; wall time per round and
//    the latency of each call.
// After every call (outside the timing) the bench checks that it did what a
// pod needs: ADD exited 0 with a result naming net1 and its address, net1
// is up in the pod and gone from the host; DEL exited 0, the pod has only
// lo and the netdev is back in the host under its name. Any failure ends
// the run with exit code 1; exit code 77 when it cannot run here (not
// root, no host-device).
//
// Everything it makes is its own: it runs in a network and mount namespace
// it unshares at start, so its veths, pod namespaces and their bind mounts
// go when it exits, even when killed; SIGINT/SIGTERM end it cleanly, and
// its directory --work-dir/rdma-attach-bench-* is removed on the way out,
// also after a failure. No traffic is sent.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <latch>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include "kube/command_line.h"
#include "agent/attach/attachments.h"
#include "agent/attach/cni_server.h"
#include "agent/attach/engine.h"
#include "agent/attach/test_vfs.h"
#include "agent/cni/protocol.h"
#include "agent/host/netns.h"
#include "agent/host/real_netlink.h"
#include "agent/host/subprocess_runner.h"

namespace {

namespace fs = std::filesystem;
namespace tv = attach::testing_vfs;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr int kCannotRun = 77;
constexpr char kPfPci[] = "0000:41:00.0";
constexpr char kIfname[] = "net1";

std::atomic<bool> g_stop{false};

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// ---- running a plugin ----

struct CallResult {
  int exit_code = -1;
  std::string out, err;
  double ms = 0;  // exec to exit
};

// Runs `binary` with exactly `env` and `input` on stdin, as a runtime runs a
// CNI plugin, and waits for it.
CallResult Exec(const std::string& binary, const std::vector<std::string>& env, const std::string& input) {
  CallResult r;
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) {
    r.err = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  // This process blocks SIGINT/SIGTERM for its signal thread and ignores
  // SIGPIPE; the plugin gets the default mask and SIGPIPE, as under a
  // runtime.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, pipe;
  sigemptyset(&none);
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &pipe);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  char* argv[] = {const_cast<char*>(binary.c_str()), nullptr};
  pid_t pid = -1;
  const auto start = Clock::now();
  int rc = ::posix_spawn(&pid, binary.c_str(), &actions, &attr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(in[1]), ::close(out[0]), ::close(err[0]);
    r.err = "exec " + binary + ": " + std::strerror(rc);
    return r;
  }
  for (size_t off = 0; off < input.size();) {  // a config fits in the pipe
    ssize_t n = ::write(in[1], input.data() + off, input.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  ::close(in[1]);
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  char buf[4096];
  for (int open_fds = 2; open_fds > 0;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.ms = Ms(Clock::now() - start);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// ---- pods ----

// A pod's network namespace, bind-mounted at a path as runtimes make them,
// and a netlink inside it for the checks.
struct Pod {
  std::string path;
  host::NetnsFd ns;
  std::unique_ptr<host::RealNetlink> nl;
  bool mounted = false;

  ~Pod() {
    nl.reset();
    if (mounted) ::umount2(path.c_str(), MNT_DETACH);
    if (!path.empty()) ::unlink(path.c_str());
  }
};

host::Result<std::unique_ptr<Pod>> MakePod(const std::string& path) {
  auto pod = std::make_unique<Pod>();
  pod->path = path;
  auto ns = host::NewAnonymousNetns();
  if (!ns.ok()) return ns.error();
  pod->ns = std::move(*ns);
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return host::SystemError("create " + path, errno);
  ::close(fd);
  const std::string from = "/proc/self/fd/" + std::to_string(pod->ns.get());
  if (::mount(from.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return host::SystemError("bind-mount a netns at " + path, errno);
  }
  pod->mounted = true;
  auto nl = host::RealNetlink::OpenInNetns(pod->ns.get());
  if (!nl.ok()) return nl.error();
  pod->nl = std::move(*nl);
  return pod;
}

// ---- what is attached ----

// One netdev to attach to one pod with one plugin.
struct Target {
  std::string binary;     // the plugin
  std::string host_name;  // the netdev's name in the host while detached
  std::string config;     // stdin
  std::string address;    // expected in the result; "" = any (rdma-cni picks it)
  Pod* pod = nullptr;
};

std::vector<std::string> CniEnv(const std::string& command, const std::string& container_id, const Target& t,
                                const std::string& cni_path) {
  return {"CNI_COMMAND=" + command,
          "CNI_CONTAINERID=" + container_id,
          "CNI_NETNS=" + t.pod->path,
          std::string("CNI_IFNAME=") + kIfname,
          "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=" + container_id +
              ";K8S_POD_INFRA_CONTAINER_ID=" + container_id,
          "CNI_PATH=" + cni_path,
          "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
}

// "" when an ADD did what a pod needs; else what is wrong. The address the
// result gives goes to *address.
std::string CheckAdded(const CallResult& r, const Target& t, host::Netlink& host_nl, std::string* address) {
  if (r.exit_code != 0) return "exit " + std::to_string(r.exit_code) + ": " + r.out + r.err;
  json result = json::parse(r.out, nullptr, false);
  if (!result.is_object() || !result.contains("interfaces") || !result.contains("ips") || result["ips"].empty()) {
    return "no result with interfaces and ips: " + r.out;
  }
  bool named = false;
  for (const auto& i : result["interfaces"]) named = named || i.value("name", "") == kIfname;
  if (!named) return std::string("the result names no ") + kIfname + ": " + r.out;
  *address = result["ips"][0].value("address", "");
  if (address->empty() || (!t.address.empty() && *address != t.address)) {
    return "address " + *address + " in the result, expected " + (t.address.empty() ? "one" : t.address);
  }
  auto in_pod = t.pod->nl->GetLink(kIfname);
  if (!in_pod.ok()) return std::string("no ") + kIfname + " in the pod: " + in_pod.error().message;
  if (!in_pod->up) return std::string(kIfname) + " is down in the pod";
  if (host_nl.GetLink(t.host_name).ok()) return t.host_name + " is still in the host";
  return "";
}

// "" when a DEL undid the ADD: the pod has only lo, the netdev is back.
std::string CheckDeleted(const CallResult& r, const Target& t, host::Netlink& host_nl) {
  if (r.exit_code != 0) return "exit " + std::to_string(r.exit_code) + ": " + r.out + r.err;
  auto links = t.pod->nl->ListLinks();
  if (!links.ok()) return "list the pod's links: " + links.error().message;
  for (const auto& l : *links)
    if (l.name != "lo") return "the pod still has " + l.name;
  if (auto back = host_nl.GetLink(t.host_name); !back.ok()) {
    return t.host_name + " is not back in the host: " + back.error().message;
  }
  return "";
}

// ---- figures ----

// Nearest rank: a value that was measured.
double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

struct Summary {
  size_t n = 0;
  double p50 = 0, p90 = 0, p99 = 0, min = 0, max = 0;
};

Summary Summarize(std::vector<double> v) {
  Summary s;
  std::sort(v.begin(), v.end());
  s.n = v.size();
  if (v.empty()) return s;
  s.p50 = Percentile(v, 50), s.p90 = Percentile(v, 90), s.p99 = Percentile(v, 99);
  s.min = v.front(), s.max = v.back();
  return s;
}

void PrintRow(const std::string& what, const std::vector<double>& samples) {
  Summary s = Summarize(samples);
  std::printf("  %-40s %4zu %8.2f %8.2f %8.2f %8.2f %8.2f\n", what.c_str(), s.n, s.p50, s.p90, s.p99, s.min, s.max);
}

void PrintHeader(const char* title) {
  std::printf("\n%s\n  %-40s %4s %8s %8s %8s %8s %8s\n", title, "ms", "n", "median", "p90", "p99", "min", "max");
}

std::string Ratio(const std::vector<double>& peer, const std::vector<double>& ours) {
  const double o = Summarize(ours).p50, p = Summarize(peer).p50;
  if (o <= 0 || p <= 0) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1fx", p / o);
  return buf;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string CommandOutput(const std::vector<std::string>& argv) {
  auto r = host::SubprocessRunner().Run(argv, std::chrono::seconds(5));
  return r.ok() && r->exit_code == 0 ? Trim(r->out) : "?";
}

// ---- the run ----

struct Options {
  int iterations = 50;
  int warmup = 2;
  int concurrency = 32;
  int rounds = 3;
  std::string rdma_cni;
  std::string cni_path = "/usr/lib/cni";
  std::string work_dir = "/tmp";
};

class Bench {
 public:
  Bench(Options o, std::string dir) : o_(std::move(o)), dir_(std::move(dir)) {}
  ~Bench() {
    if (server_) server_->Stop();
  }

  // Builds the node, the pods and the agent side; "" or what failed.
  std::string SetUp() {
    auto nl = host::RealNetlink::Open();
    if (!nl.ok()) return "netlink: " + nl.error().message;
    nl_ = std::move(*nl);
    sysfs_ = std::make_unique<tv::KernelLikeSysfs>(*nl_);
    // Names carry the pid, though nothing else lives in this namespace.
    const std::string tag = "ab" + std::to_string(::getpid() % 100000);
    const int n = o_.concurrency;
    if (auto st = tv::AddVethPf(*sysfs_, *nl_, kPfPci, tag + "pf", tag + "v", n); !st.ok()) {
      return "make the PF and its VFs: " + st.message();
    }
    fs::create_directories(dir_ + "/pods");
    auto home = host::CurrentNetns();
    if (!home.ok()) return home.error().message;
    home_ = std::move(*home);
    move_name_ = tag + "m";
    if (auto st = tv::Ip({"link", "add", move_name_, "type", "veth", "peer", "name", move_name_ + "p"}); !st.ok()) {
      return st.message();
    }
    if (auto st = tv::Ip({"link", "set", move_name_ + "p", "up"}); !st.ok()) return st.message();  // as the VFs' peers
    auto move_pod = MakePod(dir_ + "/pods/move");
    if (!move_pod.ok()) return move_pod.error().message;
    move_pod_ = std::move(*move_pod);
    for (int i = 0; i < n; ++i) {
      const std::string hd = tag + "h" + std::to_string(i);
      if (auto st = tv::Ip({"link", "add", hd, "type", "veth", "peer", "name", hd + "p"}); !st.ok())
        return st.message();
      if (auto st = tv::Ip({"link", "set", hd + "p", "up"}); !st.ok()) return st.message();
      auto ours = MakePod(dir_ + "/pods/rdma-" + std::to_string(i));
      auto peer = MakePod(dir_ + "/pods/hd-" + std::to_string(i));
      if (!ours.ok()) return ours.error().message;
      if (!peer.ok()) return peer.error().message;
      ours_.push_back(
          Target{o_.rdma_cni, tag + "v" + std::to_string(i), RdmaCniConfig(tv::VfPci(kPfPci, i)), "", ours->get()});
      peers_.push_back(
          Target{o_.cni_path + "/host-device", hd, HostDeviceConfig(hd, i), HostDeviceAddress(i), peer->get()});
      pods_.push_back(std::move(*ours));
      pods_.push_back(std::move(*peer));
    }
    store_ = std::make_unique<attach::AttachmentStore>(dir_ + "/attachments");
    attach::EngineOptions eo;
    eo.ip_blocks = [] {
      api::IpBlock b;
      b.network_namespace = "default";
      b.network = "roce-net";
      b.start = "10.56.0.16";
      b.end = "10.56.0.250";
      return std::vector<api::IpBlock>{b};
    };
    engine_ = std::make_unique<attach::AttachEngine>(
        attach::EngineHost{*sysfs_, *nl_,
                           [](int fd) -> host::Result<std::unique_ptr<host::Netlink>> {
                             auto nl = host::RealNetlink::OpenInNetns(fd);
                             if (!nl.ok()) return nl.error();
                             return std::unique_ptr<host::Netlink>(std::move(*nl));
                           }},
        *store_, eo);
    if (auto st = engine_->Start(); !st.ok()) return "start the engine: " + st.message();
    server_ = std::make_unique<attach::CniServer>(*engine_, socket_path());
    if (auto st = server_->Start(); !st.ok()) return "start the socket server: " + st.message();
    return "";
  }

  // The sequential figures; "" or the first failed check.
  std::string Sequential() {
    std::mt19937 order_rng(12);  // the same order in every run
    std::vector<int> order = {0, 1, 2, 3, 4, 5};
    for (int i = 0; i < o_.warmup + o_.iterations && !g_stop; ++i) {
      const bool counted = i >= o_.warmup;
      const std::string n = std::to_string(i);
      // A new order each iteration, so that no case always runs right
      // after the same other one.
      std::shuffle(order.begin(), order.end(), order_rng);
      for (int k : order) {
        std::string e;
        switch (k) {
          case 0:
            e = Pair(ours_[0], "rdma-" + n, counted ? &seq_add_ours_ : nullptr, counted ? &seq_del_ours_ : nullptr);
            break;
          case 1:
            e = Pair(peers_[0], "hd-" + n, counted ? &seq_add_peer_ : nullptr, counted ? &seq_del_peer_ : nullptr);
            break;
          case 2:
            e = EnginePair("engine-" + n, counted ? &seq_add_engine_ : nullptr, counted ? &seq_del_engine_ : nullptr);
            break;
          case 3:
            e = MovePair(counted ? &seq_move_in_ : nullptr, counted ? &seq_move_out_ : nullptr);
            break;
          case 4:
            e = Version(ours_[0], counted ? &seq_exec_ours_ : nullptr);
            if (e.empty()) e = Version(peers_[0], counted ? &seq_exec_peer_ : nullptr);
            break;
          case 5:
            e = StoreWrite(counted ? &seq_store_ : nullptr);
            break;
        }
        if (!e.empty()) return "iteration " + n + ": " + e;
      }
    }
    return "";
  }

  // The concurrent figures; "" or the first failed check.
  std::string Concurrent() {
    for (int r = 0; r < o_.rounds && !g_stop; ++r) {
      const std::string id = "r" + std::to_string(r);
      if (auto e = Burst(ours_, "rdma-c" + id, &con_ours_); !e.empty()) return "round " + id + ": " + e;
      if (auto e = Burst(peers_, "hd-c" + id, &con_peer_); !e.empty()) return "round " + id + ": " + e;
    }
    return "";
  }

  // "" when nothing the calls made is left: every netdev in the host, every
  // pod with only lo, no attachment record.
  std::string LeftBehind() {
    for (const auto* set : {&ours_, &peers_}) {
      for (const Target& t : *set) {
        if (auto e = CheckDeleted(CallResult{0, "", "", 0}, t, *nl_); !e.empty()) return e;
      }
    }
    if (!store_->All().empty()) return std::to_string(store_->All().size()) + " attachment records left";
    return "";
  }

  void Print() const {
    PrintHeader("Sequential: one call at a time, each an exec of the plugin (rdma-cni: shim -> socket -> agent)");
    PrintRow("ADD rdma-cni", seq_add_ours_);
    PrintRow("ADD host-device + static IPAM", seq_add_peer_);
    std::printf("  ADD median, host-device / rdma-cni: %s (above 1: rdma-cni is faster)\n",
                Ratio(seq_add_peer_, seq_add_ours_).c_str());
    PrintRow("DEL rdma-cni", seq_del_ours_);
    PrintRow("DEL host-device + static IPAM", seq_del_peer_);
    std::printf("  DEL median, host-device / rdma-cni: %s (above 1: rdma-cni is faster)\n",
                Ratio(seq_del_peer_, seq_del_ours_).c_str());
    std::printf("  where the time goes (the same loop):\n");
    PrintRow("ADD rdma-agent engine alone (in-process)", seq_add_engine_);
    PrintRow("DEL rdma-agent engine alone (in-process)", seq_del_engine_);
    PrintRow("kernel: one netdev move host -> pod", seq_move_in_);
    PrintRow("kernel: one netdev move pod -> host", seq_move_out_);
    PrintRow("exec alone: rdma-cni VERSION (no agent)", seq_exec_ours_);
    PrintRow("exec alone: host-device VERSION", seq_exec_peer_);
    PrintRow("attachment store: write one record", seq_store_);

    char title[200];
    std::snprintf(title, sizeof title,
                  "Concurrent: %d ADDs started at once (rdma-cni: VFs of one PF), then %d DELs; %d rounds",
                  o_.concurrency, o_.concurrency, o_.rounds);
    PrintHeader(title);
    auto burst = [](const std::string& name, const BurstFigures& c) {
      PrintRow("ADD " + name + ", wall time of a round", c.add_wall);
      PrintRow("ADD " + name + ", each call", c.add_calls);
      PrintRow("DEL " + name + ", wall time of a round", c.del_wall);
      PrintRow("DEL " + name + ", each call", c.del_calls);
    };
    burst("rdma-cni", con_ours_);
    burst("host-device", con_peer_);
    std::printf("  ADD wall time median, host-device / rdma-cni: %s\n",
                Ratio(con_peer_.add_wall, con_ours_.add_wall).c_str());
    std::printf("  DEL wall time median, host-device / rdma-cni: %s\n",
                Ratio(con_peer_.del_wall, con_ours_.del_wall).c_str());
  }

  size_t calls() const { return calls_; }

 private:
  struct BurstFigures {
    std::vector<double> add_wall, add_calls, del_wall, del_calls;
  };

  std::string socket_path() const { return dir_ + "/cni.sock"; }

  std::string RdmaCniConfig(const std::string& pci) const {
    json c = {{"cniVersion", "1.0.0"},
              {"name", "roce-net"},
              {"type", "rdma-cni"},
              {"network", {{"namespace", "default"}, {"name", "roce-net"}}},
              {"agentSocket", socket_path()},
              {"deviceID", pci},  // Multus injects both
              {"pciBusID", pci},
              {"ipam",
               {{"type", attach::kNodeBlockIpam},
                {"subnet", "10.56.0.0/24"},
                {"gateway", "10.56.0.1"},
                {"routes", json::array({{{"dst", "10.200.0.0/16"}, {"gw", "10.56.0.1"}}})}}}};
    return c.dump();
  }
  static std::string HostDeviceAddress(int i) { return "10.57.0." + std::to_string(16 + i) + "/24"; }
  static std::string HostDeviceConfig(const std::string& device, int i) {
    json c = {{"cniVersion", "1.0.0"},
              {"name", "hd-net"},
              {"type", "host-device"},
              {"device", device},
              {"ipam",
               {{"type", "static"},
                {"addresses", json::array({{{"address", HostDeviceAddress(i)}, {"gateway", "10.57.0.1"}}})},
                {"routes", json::array({{{"dst", "10.201.0.0/16"}, {"gw", "10.57.0.1"}}})}}}};
    return c.dump();
  }

  // ADD then DEL of one target; latencies appended where not null.
  std::string Pair(const Target& t, const std::string& cid, std::vector<double>* add, std::vector<double>* del) {
    CallResult a = Exec(t.binary, CniEnv("ADD", cid, t, o_.cni_path), t.config);
    std::string address;
    if (auto e = CheckAdded(a, t, *nl_, &address); !e.empty()) return "ADD " + t.binary + ": " + e;
    CallResult d = Exec(t.binary, CniEnv("DEL", cid, t, o_.cni_path), t.config);
    if (auto e = CheckDeleted(d, t, *nl_); !e.empty()) return "DEL " + t.binary + ": " + e;
    if (add) add->push_back(a.ms);
    if (del) del->push_back(d.ms);
    calls_ += 2;
    return "";
  }

  // The same call as Pair(ours_[0]) straight into the engine.
  std::string EnginePair(const std::string& cid, std::vector<double>* add, std::vector<double>* del) {
    const Target& t = ours_[0];
    auto invocation = [&](const std::string& command) {
      cni::Environment env;
      for (const std::string& kv : CniEnv(command, cid, t, o_.cni_path)) {
        const auto eq = kv.find('=');
        env[kv.substr(0, eq)] = kv.substr(eq + 1);
      }
      return cni::ParseInvocation(env, t.config);
    };
    auto add_inv = invocation("ADD"), del_inv = invocation("DEL");
    if (!add_inv.ok()) return "parse the ADD: " + add_inv.error().msg;
    if (!del_inv.ok()) return "parse the DEL: " + del_inv.error().msg;
    CallResult a, d;
    auto start = Clock::now();
    auto added = engine_->Handle(*add_inv);
    a.ms = Ms(Clock::now() - start);
    a.exit_code = added.ok() ? 0 : 1;
    a.out = added.ok() ? added->dump() : added.error().msg;
    std::string address;
    if (auto e = CheckAdded(a, t, *nl_, &address); !e.empty()) return "ADD engine: " + e;
    start = Clock::now();
    auto deleted = engine_->Handle(*del_inv);
    d.ms = Ms(Clock::now() - start);
    d.exit_code = deleted.ok() ? 0 : 1;
    if (!deleted.ok()) d.out = deleted.error().msg;
    if (auto e = CheckDeleted(d, t, *nl_); !e.empty()) return "DEL engine: " + e;
    if (add) add->push_back(a.ms);
    if (del) del->push_back(d.ms);
    return "";
  }

  // What starting the plugin costs: VERSION, which both answer without
  // doing anything (rdma-cni without asking the agent).
  std::string Version(const Target& t, std::vector<double>* into) {
    CallResult r =
        Exec(t.binary, {"CNI_COMMAND=VERSION", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, R"({"cniVersion":"1.0.0"})");
    if (r.exit_code != 0 || r.out.find("supportedVersions") == std::string::npos) {
      return "VERSION " + t.binary + ": exit " + std::to_string(r.exit_code) + ": " + r.out + r.err;
    }
    if (into) into->push_back(r.ms);
    return "";
  }

  // One attachment record written as ADD writes it (twice per ADD: when it
  // reserves the address and when it is done), then erased.
  std::string StoreWrite(std::vector<double>* into) {
    attach::Attachment a;
    a.container_id = "store-probe";
    a.ifname = kIfname;
    a.pci = tv::VfPci(kPfPci, 0);
    a.phase = attach::kPhaseAttached;
    const auto start = Clock::now();
    host::Status st = store_->Put(a);
    const double ms = Ms(Clock::now() - start);
    if (!st.ok()) return "write an attachment record: " + st.message();
    if (st = store_->Erase(a.Key()); !st.ok()) return "erase an attachment record: " + st.message();
    if (into) into->push_back(ms);
    return "";
  }

  // A netdev into a pod's namespace and back, straight through netlink.
  std::string MovePair(std::vector<double>* in, std::vector<double>* out) {
    auto start = Clock::now();
    host::Status st = nl_->MoveToNetnsFd(move_name_, move_pod_->ns.get());
    const double in_ms = Ms(Clock::now() - start);
    if (!st.ok()) return "move " + move_name_ + " into a pod: " + st.message();
    start = Clock::now();
    st = move_pod_->nl->MoveToNetnsFd(move_name_, home_.get());
    const double out_ms = Ms(Clock::now() - start);
    if (!st.ok()) return "move " + move_name_ + " back: " + st.message();
    if (in) in->push_back(in_ms);
    if (out) out->push_back(out_ms);
    return "";
  }

  // Every target's `command` started at once, one thread each; the wall
  // time from the start to the last exit, and each call's latency.
  std::vector<CallResult> AllAtOnce(const std::vector<Target>& targets, const std::string& command,
                                    const std::string& cid_prefix, double* wall_ms) {
    std::vector<CallResult> results(targets.size());
    std::latch ready(static_cast<std::ptrdiff_t>(targets.size()) + 1), go(1);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < targets.size(); ++i) {
      threads.emplace_back([&, i] {
        const Target& t = targets[i];
        auto env = CniEnv(command, cid_prefix + "-" + std::to_string(i), t, o_.cni_path);
        ready.count_down();
        go.wait();
        results[i] = Exec(t.binary, env, t.config);
      });
    }
    ready.arrive_and_wait();
    const auto start = Clock::now();
    go.count_down();
    for (auto& th : threads) th.join();
    *wall_ms = Ms(Clock::now() - start);
    return results;
  }

  std::string Burst(const std::vector<Target>& targets, const std::string& cid_prefix, BurstFigures* into) {
    double wall = 0;
    auto adds = AllAtOnce(targets, "ADD", cid_prefix, &wall);
    std::string error;
    std::set<std::string> addresses;
    for (size_t i = 0; i < targets.size(); ++i) {
      std::string address;
      if (auto e = CheckAdded(adds[i], targets[i], *nl_, &address); !e.empty() && error.empty()) {
        error = "concurrent ADD " + std::to_string(i) + " " + targets[i].binary + ": " + e;
      }
      if (!address.empty() && !addresses.insert(address).second && error.empty()) {
        error = "two concurrent ADDs got address " + address;
      }
    }
    into->add_wall.push_back(wall);
    for (const auto& r : adds) into->add_calls.push_back(r.ms);
    // The DELs run even after a failed ADD, so nothing stays attached.
    auto dels = AllAtOnce(targets, "DEL", cid_prefix, &wall);
    for (size_t i = 0; i < targets.size(); ++i) {
      if (auto e = CheckDeleted(dels[i], targets[i], *nl_); !e.empty() && error.empty()) {
        error = "concurrent DEL " + std::to_string(i) + " " + targets[i].binary + ": " + e;
      }
    }
    into->del_wall.push_back(wall);
    for (const auto& r : dels) into->del_calls.push_back(r.ms);
    calls_ += 2 * targets.size();
    return error;
  }

  const Options o_;
  const std::string dir_;
  std::unique_ptr<host::RealNetlink> nl_;
  std::unique_ptr<tv::KernelLikeSysfs> sysfs_;
  std::vector<std::unique_ptr<Pod>> pods_;
  std::vector<Target> ours_, peers_;  // index i: VF i / host-device veth i, each with a pod of its own
  std::unique_ptr<attach::AttachmentStore> store_;
  std::unique_ptr<attach::AttachEngine> engine_;
  std::unique_ptr<attach::CniServer> server_;
  host::NetnsFd home_;  // this process's namespace, the "host"
  std::string move_name_;
  std::unique_ptr<Pod> move_pod_;
  std::vector<double> seq_add_ours_, seq_del_ours_, seq_add_peer_, seq_del_peer_, seq_add_engine_, seq_del_engine_;
  std::vector<double> seq_move_in_, seq_move_out_, seq_exec_ours_, seq_exec_peer_, seq_store_;
  BurstFigures con_ours_, con_peer_;
  size_t calls_ = 0;  // plugin execs checked
};

std::string NextToThisBinary(const std::string& name) {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? name : (self.parent_path() / name).string();
}

std::string UtcNow() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  Options o;
  po::options_description desc("rdma-attach-bench (root)");
  desc.add_options()("help,h", "this text")(
      "iterations", po::value(&o.iterations)->default_value(o.iterations), "sequential ADD+DEL pairs per plugin")(
      "warmup", po::value(&o.warmup)->default_value(o.warmup), "pairs per plugin before the counted ones")(
      "concurrency", po::value(&o.concurrency)->default_value(o.concurrency), "ADDs started at once (VFs of one PF)")(
      "rounds", po::value(&o.rounds)->default_value(o.rounds), "concurrent rounds (0: none)")(
      "rdma-cni", po::value(&o.rdma_cni)->default_value(NextToThisBinary("rdma-cni")), "the shim binary")(
      "cni-path", po::value(&o.cni_path)->default_value(o.cni_path), "CNI_PATH, where host-device and static are")(
      "work-dir", po::value(&o.work_dir)->default_value(o.work_dir),
      "where the attachment records, the socket and the pods' netns files go (a directory of its own)");
  po::variables_map vm;
  if (auto exit = kube::ParseCommandLine(argc, argv, desc, vm, "rdma-attach-bench")) return *exit;
  if (o.iterations < 1 || o.warmup < 0 || o.concurrency < 1 || o.concurrency > 200 || o.rounds < 0) {
    std::cerr << "rdma-attach-bench: --iterations >= 1, --warmup >= 0, --concurrency 1..200, --rounds >= 0\n";
    return 2;
  }
  if (::geteuid() != 0) {
    std::cerr << "rdma-attach-bench: needs root (it creates network namespaces and veths)\n";
    return kCannotRun;
  }
  for (const std::string& bin : {o.rdma_cni, o.cni_path + "/host-device", o.cni_path + "/static"}) {
    if (::access(bin.c_str(), X_OK) != 0) {
      std::cerr << "rdma-attach-bench: no " << bin
                << " (rdma-cni: build it; host-device and static: scripts/install-deps.sh installs "
                   "containernetworking-plugins)\n";
      return kCannotRun;
    }
  }

  // Before any thread: a network and mount namespace of our own, so every
  // veth, pod namespace and bind mount goes with this process.
  if (::unshare(CLONE_NEWNET | CLONE_NEWNS) != 0 || ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    std::cerr << "rdma-attach-bench: unshare a network and mount namespace: " << std::strerror(errno) << "\n";
    return kCannotRun;
  }
  // A plugin that exits before reading its stdin must not kill the bench.
  std::signal(SIGPIPE, SIG_IGN);
  // SIGINT/SIGTERM/SIGHUP go to one thread that asks the run to stop; the
  // cleanup below still runs.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stop_signals, s);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::thread([stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    std::fprintf(stderr, "rdma-attach-bench: signal %d, stopping after the calls in flight\n", sig);
    g_stop = true;
  }).detach();

  std::string dir = (fs::path(o.work_dir) / "rdma-attach-bench-XXXXXX").string();
  if (!::mkdtemp(dir.data())) {
    std::cerr << "rdma-attach-bench: mkdtemp in " << o.work_dir << ": " << std::strerror(errno) << "\n";
    return kCannotRun;
  }
  // The engine logs every ADD and DEL at info, as in the agent: to a file,
  // so the figures include it without flooding the terminal.
  spdlog::set_default_logger(spdlog::basic_logger_mt("attach-bench", dir + "/agent.log"));
  spdlog::set_level(spdlog::level::info);

  utsname u{};
  ::uname(&u);
  std::printf("rdma-attach-bench %s: %d iterations (+%d warm-up), %d concurrent x %d rounds\n", UtcNow().c_str(),
              o.iterations, o.warmup, o.concurrency, o.rounds);
  std::printf("machine: %u CPUs, Linux %s, load average %s; %s\n", std::thread::hardware_concurrency(), u.release,
              CommandOutput({"cut", "-d", " ", "-f", "1-3", "/proc/loadavg"}).c_str(),
              CommandOutput({"dpkg-query", "-W", "-f", "containernetworking-plugins ${Version}",
                             "containernetworking-plugins"})
                  .c_str());
  std::fflush(stdout);

  int exit_code = 0;
  {
    Bench bench(o, dir);
    std::string error = bench.SetUp();
    if (error.empty()) error = bench.Sequential();
    if (error.empty()) error = bench.Concurrent();
    if (error.empty() && !g_stop) error = bench.LeftBehind();
    if (g_stop && error.empty()) error = "stopped by a signal";
    bench.Print();
    if (error.empty()) {
      std::printf("\nchecks: all %zu plugin calls did what a pod needs (ADD: net1 up in the pod with its address; "
                  "DEL: the netdev back in the host); nothing left behind\n",
                  bench.calls());
    } else {
      std::printf("\nFAILED: %s\n", error.c_str());
      exit_code = 1;
    }
  }
  spdlog::shutdown();
  if (exit_code != 0) {  // the agent's last words, before its log goes with the work dir
    std::ifstream log(dir + "/agent.log");
    std::vector<std::string> lines;
    for (std::string line; std::getline(log, line);) lines.push_back(line);
    std::fprintf(stderr, "rdma-attach-bench: the agent's last log lines:\n");
    for (size_t i = lines.size() > 20 ? lines.size() - 20 : 0; i < lines.size(); ++i) {
      std::fprintf(stderr, "  %s\n", lines[i].c_str());
    }
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return exit_code;
}
