#include "e2e/scenarios/agent_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "agent/host/subprocess_runner.h"

extern char** environ;

namespace e2e {

std::string AgentProcess::Start() {
  std::vector<std::string> argv = {binary_};
  argv.insert(argv.end(), args_.begin(), args_.end());
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    bool overridden = false;
    for (const auto& x : env_) {
      const std::string name = x.substr(0, x.find('=')) + "=";  // "NAME=", also for a bare "NAME"
      if (std::strncmp(*e, name.c_str(), name.size()) == 0) overridden = true;
    }
    if (!overridden) env.push_back(*e);
  }
  env.insert(env.end(), env_.begin(), env_.end());
  std::vector<char*> av, ev;
  for (auto& a : argv) av.push_back(a.data());
  av.push_back(nullptr);
  for (auto& e : env) ev.push_back(e.data());
  ev.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  int rc = posix_spawn(&pid_, binary_.c_str(), &fa, nullptr, av.data(), ev.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    pid_ = 0;
    return "start " + binary_ + ": " + std::strerror(rc);
  }
  return "";
}

void AgentProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int st;
  ::waitpid(pid_, &st, 0);
  pid_ = 0;
}

int AgentProcess::Stop() {
  if (pid_ <= 0) return 0;
  ::kill(pid_, SIGTERM);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  pid_ = 0;
  return st;
}

int RunCommand(const std::vector<std::string>& argv) {
  auto done = host::SubprocessRunner().Run(argv, std::chrono::minutes(1));
  return done.ok() ? done->exit_code : -1;
}

}  // namespace e2e
