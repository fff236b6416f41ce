#include "agent/attach/cni_server.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "agent/cni/wire.h"

namespace attach {
namespace {

using Clock = std::chrono::steady_clock;

// Requests are a CNI config plus the environment: far below this.
constexpr size_t kMaxRequestBytes = 1 << 20;

void WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the shim went away; nothing to tell it
    off += static_cast<size_t>(n);
  }
}

}  // namespace

CniServer::CniServer(AttachEngine& engine, std::string socket_path, std::chrono::milliseconds read_timeout)
    : engine_(engine), path_(std::move(socket_path)), read_timeout_(read_timeout) {}

CniServer::~CniServer() { Stop(); }

host::Status CniServer::Start() {
  sockaddr_un addr{};
  if (path_.size() >= sizeof(addr.sun_path)) return host::Error{"CNI socket path too long: " + path_, ENAMETOOLONG};
  std::error_code ec;
  const auto dir = std::filesystem::path(path_).parent_path();
  std::filesystem::create_directories(dir, ec);
  if (ec) return host::Error{"create " + dir.string() + ": " + ec.message(), ec.value()};
  ::chmod(dir.c_str(), 0700);
  ::unlink(path_.c_str());  // a socket left by an earlier agent
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return host::Error{std::string("socket: ") + std::strerror(errno), errno};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  const mode_t old = ::umask(0177);
  int rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::umask(old);
  if (rc != 0 || ::listen(listen_fd_, 128) != 0) {
    int err = errno;
    ::close(listen_fd_);
    listen_fd_ = -1;
    return host::Error{"listen on " + path_ + ": " + std::strerror(err), err};
  }
  acceptor_ = std::thread([this] { AcceptLoop(); });
  spdlog::info("op=cni-serve socket={}", path_);
  return host::Status::Ok();
}

void CniServer::Stop() {
  if (listen_fd_ < 0) return;
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listen_fd_);
  listen_fd_ = -1;
  std::vector<std::thread> calls;
  {
    std::lock_guard<std::mutex> lock(mu_);
    calls.swap(calls_);
  }
  for (auto& t : calls) t.join();
}

void CniServer::AcceptLoop() {
  while (!stopping_) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (!stopping_) spdlog::error("op=cni-accept socket={} error=\"{}\"", path_, std::strerror(errno));
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    calls_.emplace_back([this, fd] { Serve(fd); });
    // Threads of finished calls are joined as new ones come: their number
    // stays at the calls in flight plus a few.
    if (calls_.size() > 64) {
      std::vector<std::thread> old;
      old.swap(calls_);
      calls_.push_back(std::move(old.back()));
      old.pop_back();
      for (auto& t : old) t.join();
    }
  }
}

void CniServer::Serve(int fd) {
  std::string request;
  const auto deadline = Clock::now() + read_timeout_;
  bool complete = false;
  char buf[16384];
  while (request.size() <= kMaxRequestBytes) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    if (n == 0) {
      complete = true;
      break;
    }
    request.append(buf, static_cast<size_t>(n));
  }
  std::string reply;
  if (!complete) {
    reply = cni::EncodeError({cni::kDecodeFailure, "rdma-agent: the request was not complete (too big, or no EOF in time)", ""});
  } else {
    auto inv = cni::DecodeRequest(request);
    if (!inv.ok()) {
      reply = cni::EncodeError(inv.error());
    } else {
      auto answer = engine_.Handle(*inv);
      reply = answer.ok() ? cni::EncodeResult(answer.value()) : cni::EncodeError(answer.error());
      if (!answer.ok()) {
        spdlog::warn("op=cni-{} container={} ifname={} code={} error=\"{}\"", cni::CommandName(inv->command),
                     inv->container_id, inv->ifname, answer.error().code, answer.error().msg);
      }
    }
  }
  WriteAll(fd, reply);
  ::close(fd);
}

}  // namespace attach
