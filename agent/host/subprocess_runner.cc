#include "agent/host/subprocess_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

extern char** environ;

namespace host {

std::string CommandLine(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

namespace {

struct Pipe {
  int fd[2] = {-1, -1};
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  void CloseRead() { ::close(fd[0]), fd[0] = -1; }
  void CloseWrite() { ::close(fd[1]), fd[1] = -1; }
};

}  // namespace

Result<ProcessOutput> SubprocessRunner::Run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  const std::string cmd = CommandLine(argv);
  if (argv.empty()) return Error{"run: empty command", EINVAL};
  Pipe out, err;
  if (::pipe2(out.fd, O_CLOEXEC) != 0 || ::pipe2(err.fd, O_CLOEXEC) != 0) {
    return SystemError("run " + cmd + ": pipe", errno);
  }
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (devnull >= 0) posix_spawn_file_actions_adddup2(&actions, devnull, 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fd[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (devnull >= 0) ::close(devnull);
  if (rc != 0) return SystemError("run " + cmd, rc);
  out.CloseWrite();
  err.CloseWrite();

  ProcessOutput result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  // A pidfd tells us when the child exits even if something it started
  // keeps its output pipes open; then we take what is buffered and stop.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  bool exited = false;
  for (;;) {
    const bool pipes_open = out.fd[0] >= 0 || err.fd[0] >= 0;
    if (!pipes_open && (exited || pidfd < 0)) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[3] = {{out.fd[0], POLLIN, 0}, {err.fd[0], POLLIN, 0}, {exited ? -1 : pidfd, POLLIN, 0}};
    int n = ::poll(fds, 3, exited ? 0 : static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    if (n == 0 && exited) break;  // nothing more buffered
    Pipe* pipes[2] = {&out, &err};
    std::string* sinks[2] = {&result.out, &result.err};
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t got = ::read(fds[i].fd, buf, sizeof(buf));
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        pipes[i]->CloseRead();
      }
    }
    if (fds[2].fd >= 0 && fds[2].revents != 0) exited = true;
  }
  if (pidfd >= 0) ::close(pidfd);
  if (timed_out) ::kill(pid, SIGKILL);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return Error{"run " + cmd + ": timed out after " + std::to_string(timeout.count()) + " ms", ETIMEDOUT};
  }
  if (WIFEXITED(wstatus)) {
    result.exit_code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    result.exit_code = 128 + WTERMSIG(wstatus);
  }
  return result;
}

}  // namespace host
