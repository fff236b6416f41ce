#include "agent/cni/agent_client.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/cni/wire.h"

namespace cni {

namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

CniError AgentUnavailable(const std::string& socket_path, const std::string& why) {
  return CniError{kTryAgainLater, "rdma-agent is not answering on " + socket_path + ": " + why,
                  "is the rdma-agent pod running on this node? The runtime retries the pod's sandbox"};
}

CniError SocketFailure(const std::string& socket_path, const std::string& operation, int err) {
  return CniError{kIoFailure, operation + " " + socket_path + ": " + std::strerror(err), ""};
}

// Milliseconds left until deadline, at least 0, for poll().
int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// Waits until fd is ready for events or the deadline passes; false on timeout.
// EINTR restarts the wait with the time that is left.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, RemainingMs(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let the following call report the error
  }
}

std::string TimeoutText(std::chrono::milliseconds timeout) {
  return "no answer within " + std::to_string(timeout.count() / 1000.0).substr(0, 5) +
         " s (agentTimeoutSeconds in the network config)";
}

std::optional<CniError> Connect(int fd, const std::string& socket_path, Clock::time_point deadline,
                                std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    return CniError{kIoFailure, "socket path " + socket_path + " is too long for a unix socket", ""};
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) return std::nullopt;
  int err = errno;
  if (err == ENOENT) return AgentUnavailable(socket_path, "the socket does not exist");
  if (err == ECONNREFUSED) return AgentUnavailable(socket_path, "connection refused (nothing listens)");
  if (err == EAGAIN) return AgentUnavailable(socket_path, "the agent is busy (connection backlog full)");
  if (err != EINPROGRESS && err != EINTR) return SocketFailure(socket_path, "connect to", err);
  if (!WaitFor(fd, POLLOUT, deadline)) return AgentUnavailable(socket_path, TimeoutText(timeout));
  socklen_t len = sizeof(err);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err == 0) return std::nullopt;
  if (err == ECONNREFUSED) return AgentUnavailable(socket_path, "connection refused (nothing listens)");
  return SocketFailure(socket_path, "connect to", err);
}

std::optional<CniError> Send(int fd, const std::string& socket_path, const std::string& data,
                             Clock::time_point deadline, std::chrono::milliseconds timeout) {
  size_t sent = 0;
  while (sent < data.size()) {
    // MSG_NOSIGNAL: an agent that closes early must not kill the shim with SIGPIPE.
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EPIPE || errno == ECONNRESET) {
      return AgentUnavailable(socket_path, "the agent closed the connection before reading the request");
    }
    if (errno != EAGAIN) return SocketFailure(socket_path, "send to", errno);
    if (!WaitFor(fd, POLLOUT, deadline)) return AgentUnavailable(socket_path, TimeoutText(timeout));
  }
  shutdown(fd, SHUT_WR);  // the agent reads the request to EOF
  return std::nullopt;
}

Result<std::string> Receive(int fd, const std::string& socket_path, Clock::time_point deadline,
                            std::chrono::milliseconds timeout) {
  std::string reply;
  char buf[65536];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n > 0) {
      reply.append(buf, static_cast<size_t>(n));
      if (reply.size() > kMaxReplyBytes) {
        return CniError{kBadAgentReply, "rdma-agent's reply on " + socket_path + " is larger than " +
                                            std::to_string(kMaxReplyBytes) + " bytes", ""};
      }
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    if (errno == ECONNRESET) break;
    if (errno != EAGAIN) return SocketFailure(socket_path, "receive from", errno);
    if (!WaitFor(fd, POLLIN, deadline)) return AgentUnavailable(socket_path, TimeoutText(timeout));
  }
  if (reply.empty()) return AgentUnavailable(socket_path, "the agent closed the connection without answering");
  return reply;
}

}  // namespace

Result<std::string> CallAgent(const std::string& socket_path, const std::string& request,
                              std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return SocketFailure(socket_path, "create a socket for", errno);
  if (auto e = Connect(fd.get(), socket_path, deadline, timeout)) return *e;
  if (auto e = Send(fd.get(), socket_path, request, deadline, timeout)) return *e;
  return Receive(fd.get(), socket_path, deadline, timeout);
}

}  // namespace cni
