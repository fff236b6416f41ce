// Starts, stops and restarts the test API server (e2e/testapi) for kube/
// integration tests, and tells whether the tests run against it or against a
// real cluster (RDMA_TEST_KUBECONFIG set). Header-only; used only by
// integration tests.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

extern char** environ;

namespace kube::testing {

// The kubeconfig of the real cluster the integration tests were asked to
// run against ($RDMA_TEST_KUBECONFIG), or "" when they start kube-testapi.
// $KUBECONFIG is never read: it names whatever cluster the developer's
// shell works with, and the tests create and delete objects there.
inline std::string RealClusterKubeconfig() {
  const char* kc = std::getenv("RDMA_TEST_KUBECONFIG");
  return kc != nullptr ? kc : "";
}

class TestApiProcess {
 public:
  // binary: path to kube-testapi; dir: data dir (kept across restarts).
  TestApiProcess(std::string binary, std::string dir, std::vector<std::string> extra_args = {})
      : binary_(std::move(binary)), dir_(std::move(dir)), extra_(std::move(extra_args)) {}
  ~TestApiProcess() { Stop(); }

  // Starts the server (on the previous port after a Stop); returns "" or an error.
  std::string Start() {
    std::vector<std::string> args = {binary_, "--listen", "127.0.0.1:" + std::to_string(port_), "--tls",
                                     "--data-dir", dir_ + "/data", "--kubeconfig-out", kubeconfig(),
                                     "--log-level", "warn"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    int out[2];
    if (pipe(out) != 0) return "pipe failed";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    std::string log = dir_ + "/testapi.log";
    posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid_, binary_.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    if (rc != 0) {
      close(out[0]);
      pid_ = 0;
      return "cannot start " + binary_ + ": " + std::strerror(rc);
    }
    // The server prints its URL once it listens and the kubeconfig is written.
    std::string line;
    char c;
    while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
    close(out[0]);
    auto colon = line.rfind(':');
    if (line.rfind("https://", 0) != 0 || colon == std::string::npos) {
      Stop();
      return "kube-testapi did not start (see " + log + "), printed: \"" + line + "\"";
    }
    url_ = line;
    port_ = std::stoi(line.substr(colon + 1));
    return "";
  }

  // SIGTERM and wait (the server checkpoints its data dir on the way out).
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int st;
    waitpid(pid_, &st, 0);
    pid_ = 0;
  }

  std::string Restart() {
    Stop();
    return Start();
  }

  std::string kubeconfig() const { return dir_ + "/kubeconfig"; }
  std::string ca_file() const { return dir_ + "/data/ca.crt.pub"; }
  const std::string& url() const { return url_; }

 private:
  std::string binary_, dir_;
  std::vector<std::string> extra_;
  pid_t pid_ = 0;
  int port_ = 0;
  std::string url_;
};

}  // namespace kube::testing
