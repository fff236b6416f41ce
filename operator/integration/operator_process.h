// Runs build/bin/rdma-operator as a child process for integration tests
// (started, SIGTERMed like a drained pod, restarted), with its log in a file
// and its /metrics on a port of its own so a test can count its writes.
// Header-only; used only by operator/integration.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "kube/client.h"
#include "kube/config.h"
#include "kube/http_transport.h"

extern char** environ;

namespace rdma_operator::testing {

// A port the kernel picks for bind(0), released at once.
inline int KernelPickedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

// A TCP port that was free a moment ago, never the same twice in one
// process (two operators started back to back).
inline int FreePort() {
  static std::set<int> handed_out;
  for (int attempt = 0; attempt < 20; ++attempt) {
    int port = KernelPickedPort();
    if (port != 0 && handed_out.insert(port).second) return port;
  }
  return 0;
}

// A client for the cluster a kubeconfig names, without a client-side rate
// limit (tests and benchmarks count the operator's requests, not their own
// waits). Null, with *error saying why, when the kubeconfig or its transport
// is unusable.
inline std::shared_ptr<kube::Client> UnthrottledClient(const std::string& kubeconfig, std::string* error) {
  auto config = kube::LoadKubeconfig({kubeconfig});
  if (!config.ok()) {
    *error = config.error().ToString();
    return nullptr;
  }
  auto transport = kube::HttpTransport::Create(*config);
  if (!transport.ok()) {
    *error = transport.error().ToString();
    return nullptr;
  }
  kube::ClientOptions options;
  options.qps = 0;
  return std::make_shared<kube::Client>(std::shared_ptr<kube::Transport>(std::move(*transport)), options);
}

// Runs a command, returns its stdout (stderr merged when merge_stderr) and
// sets *rc to its exit status.
inline std::string RunCommand(const std::string& cmd, int* rc, bool merge_stderr = true) {
  std::string full = cmd + (merge_stderr ? " 2>&1" : "");
  FILE* p = popen(full.c_str(), "r");
  std::string out;
  if (!p) {
    *rc = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int st = pclose(p);
  *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

class OperatorProcess {
 public:
  OperatorProcess(std::string binary, std::string kubeconfig, std::string log)
      : binary_(std::move(binary)), kubeconfig_(std::move(kubeconfig)), log_(std::move(log)) {}
  ~OperatorProcess() { Stop(); }

  // extra: more flags (e.g. --leader-elect). "" or an error.
  std::string Start(const std::vector<std::string>& extra = {}) {
    metrics_port_ = FreePort();
    std::vector<std::string> args = {binary_,
                                     "--kubeconfig",
                                     kubeconfig_,
                                     "--metrics-bind-address",
                                     "127.0.0.1:" + std::to_string(metrics_port_),
                                     "--health-probe-bind-address",
                                     "0"};
    if (std::find(extra.begin(), extra.end(), "--log-level") == extra.end())
      args.insert(args.end(), {"--log-level", "debug"});
    args.insert(args.end(), extra.begin(), extra.end());
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid_, binary_.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      pid_ = 0;
      return "cannot start " + binary_ + ": " + std::strerror(rc);
    }
    return "";
  }

  // SIGTERM (drain, release the lease) and reap.
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int st;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    pid_ = 0;
  }

  // SIGKILL (a crash or an OOM kill: nothing is flushed or released) and reap.
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int st;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    pid_ = 0;
  }

  // The value of a metric without labels from /metrics, or -1 when the
  // endpoint does not answer or the metric is not there yet.
  double Metric(const std::string& name) const {
    int rc = 0;
    std::string out = RunCommand("curl -sf http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics", &rc, false);
    if (rc != 0) return -1;
    size_t pos = 0;
    while ((pos = out.find(name + " ", pos)) != std::string::npos) {
      if (pos == 0 || out[pos - 1] == '\n') return std::stod(out.substr(pos + name.size() + 1));
      pos += name.size();
    }
    return -1;
  }

  const std::string& log() const { return log_; }
  pid_t pid() const { return pid_; }

 private:
  std::string binary_, kubeconfig_, log_;
  pid_t pid_ = 0;
  int metrics_port_ = 0;
};

}  // namespace rdma_operator::testing
