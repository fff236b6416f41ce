#include "e2e/sim/sim_node_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "agent/host/real_sysfs.h"

extern char** environ;

namespace sim {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

host::Result<std::unique_ptr<SimNodeProcess>> SimNodeProcess::Start(const SimNodeOptions& o) {
  const std::string what = "start simulated node in " + o.work_dir;
  std::error_code ec;
  std::filesystem::create_directories(o.work_dir, ec);
  if (ec) return host::Error{what + ": " + ec.message(), EIO};
  std::ofstream(o.work_dir + "/node.json") << o.config_json;

  std::vector<std::string> args = {o.bin_dir + "/sysfs-sim", "--config", o.work_dir + "/node.json", "--state",
                                   o.work_dir + "/state",    "--mount",  o.work_dir + "/fs",        "--dev-dir",
                                   o.work_dir + "/dev",      "--foreground"};
  if (!o.netns.empty()) args.insert(args.end(), {"--netns", o.netns});
  if (!o.fabric_netns.empty()) args.insert(args.end(), {"--fabric-netns", o.fabric_netns});
  if (!o.fabric_bridge.empty()) args.insert(args.end(), {"--fabric-bridge", o.fabric_bridge});

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return host::SystemError(what + ": pipe", errno);
  const std::string err_log = o.work_dir + "/sysfs-sim.err";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, err_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    return host::SystemError(what + ": run " + args[0], rc);
  }
  std::unique_ptr<SimNodeProcess> node(new SimNodeProcess());
  node->work_dir_ = o.work_dir;
  node->bin_dir_ = o.bin_dir;
  node->pid_ = pid;
  // sysfs-sim prints one "ready" line once mounted; EOF means it died.
  std::string line;
  char c;
  ssize_t n;
  while ((n = ::read(out[0], &c, 1)) == 1 && c != '\n') line += c;
  ::close(out[0]);
  if (line.rfind("sysfs-sim: ready", 0) != 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    node->pid_ = -1;
    std::string err = ReadFile(err_log);
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return host::Error{
        what + ": sysfs-sim did not start: " + (err.empty() ? "exit status " + std::to_string(status) : err), EIO};
  }
  return node;
}

SimNodeProcess::~SimNodeProcess() { Stop(); }

host::Status SimNodeProcess::Stop() {
  if (pid_ <= 0) return host::Status::Ok();
  ::kill(pid_, SIGTERM);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return host::Error{"stop simulated node in " + work_dir_ + ": sysfs-sim exit status " + std::to_string(status) +
                           ": " + ReadFile(work_dir_ + "/sysfs-sim.err"),
                       EIO};
  }
  return host::Status::Ok();
}

host::Status SimNodeProcess::Reboot() { return host::RealSysfs(host_root()).Write("sim/control", "reboot"); }

}  // namespace sim
