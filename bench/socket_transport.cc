#include "bench/socket_transport.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <mutex>

namespace bench {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

std::string Endpoint(const std::string& host, uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
};

Result<Address> Resolve(const std::string& host, uint16_t port, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  const char* node = host.empty() ? "0.0.0.0" : host.c_str();
  int rc = ::getaddrinfo(node, service.c_str(), &hints, &found);
  if (rc != 0) return Status::Error("resolve " + Endpoint(host, port) + ": " + ::gai_strerror(rc));
  Address a;
  std::memcpy(&a.storage, found->ai_addr, found->ai_addrlen);
  a.length = found->ai_addrlen;
  a.family = found->ai_family;
  ::freeaddrinfo(found);
  return a;
}

int TimeoutMs(double seconds) { return static_cast<int>(std::ceil(seconds * 1000)); }

// Waits until fd is ready for `events` or the timeout passes.
Status WaitReady(SocketApi& api, int fd, short events, double timeout_s, const std::string& what) {
  pollfd p{fd, events, 0};
  while (true) {
    int rc = api.Poll(&p, 1, TimeoutMs(timeout_s));
    if (rc > 0) return Status::Ok();
    if (rc == 0) return Status::Error(what + ": peer silent for " + SecondsText(timeout_s));
    if (errno != EINTR) return Status::Error(what + ": poll: " + ErrnoText(errno));
  }
}

class SocketConnection : public Connection {
 public:
  SocketConnection(SocketApi& api, int fd, double timeout_s, std::string peer)
      : api_(api), fd_(fd), timeout_s_(timeout_s), peer_(std::move(peer)) {}
  ~SocketConnection() override {
    if (fd_ >= 0) api_.Close(fd_);
  }

  Status Send(const void* data, size_t size) override {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      if (!api_.HonoursSocketTimeouts()) {
        Status ready = WaitReady(api_, fd_, POLLOUT, timeout_s_, "send to " + peer_);
        if (!ready.ok()) return ready;
      }
      ssize_t n = api_.Send(fd_, p, size, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Error("send to", errno);
      }
      p += n;
      size -= static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  Status ReceiveExactly(void* data, size_t size) override {
    char* p = static_cast<char*>(data);
    while (size > 0) {
      Result<size_t> n = ReceiveSome(p, size);
      if (!n.ok()) return n.status();
      if (n.value() == 0) return Status::Error("receive from " + peer_ + ": peer closed the connection");
      p += n.value();
      size -= n.value();
    }
    return Status::Ok();
  }

  Result<size_t> ReceiveSome(void* data, size_t size) override {
    while (true) {
      if (!api_.HonoursSocketTimeouts()) {
        Status ready = WaitReady(api_, fd_, POLLIN, timeout_s_, "receive from " + peer_);
        if (!ready.ok()) return ready;
      }
      ssize_t n = api_.Recv(fd_, data, size, 0);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno == EINTR) continue;
      return Error("receive from", errno);
    }
  }

  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    Status result = Status::Ok();
    if (api_.Shutdown(fd_, SHUT_WR) != 0) {
      result = Error("shut down connection to", errno);
    } else {
      char drain[4096];
      while (true) {
        Result<size_t> n = ReceiveSome(drain, sizeof drain);
        if (!n.ok()) {
          result = n.status().Wrap("close");
          break;
        }
        if (n.value() == 0) break;
      }
    }
    api_.Close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  Status Error(const std::string& op, int err) {
    if (err == EAGAIN || err == EWOULDBLOCK) {
      return Status::Error(op + " " + peer_ + ": peer silent for " + SecondsText(timeout_s_));
    }
    return Status::Error(op + " " + peer_ + ": " + ErrnoText(err));
  }

  SocketApi& api_;
  int fd_;
  double timeout_s_;
  std::string peer_;
};

// Applies per-socket settings shared by both sides.
void Tune(SocketApi& api, int fd, double timeout_s, bool no_delay) {
  int one = 1;
  if (no_delay) api.SetSockOpt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (api.HonoursSocketTimeouts()) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout_s);
    tv.tv_usec = static_cast<suseconds_t>((timeout_s - static_cast<double>(tv.tv_sec)) * 1e6);
    api.SetSockOpt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    api.SetSockOpt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
}

class SocketListener : public Listener {
 public:
  SocketListener(SocketApi& api, int fd, const TransportConfig& config, std::string where)
      : api_(api),
        fd_(fd),
        timeout_s_(config.timeout_s),
        accept_timeout_s_(config.accept_timeout_s > 0 ? config.accept_timeout_s : config.timeout_s),
        no_delay_(config.no_delay),
        where_(std::move(where)) {}
  ~SocketListener() override { api_.Close(fd_); }

  Result<std::unique_ptr<Connection>> Accept() override {
    // One accept at a time: poll then accept would otherwise race and block.
    std::lock_guard<std::mutex> lock(mu_);
    Status ready = WaitReady(api_, fd_, POLLIN, accept_timeout_s_, "accept on " + where_);
    if (!ready.ok()) return ready;
    int fd = -1;
    do {
      fd = api_.Accept(fd_, nullptr, nullptr);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return Status::Error("accept on " + where_ + ": " + ErrnoText(errno));
    Tune(api_, fd, timeout_s_, no_delay_);
    return std::unique_ptr<Connection>(std::make_unique<SocketConnection>(api_, fd, timeout_s_, "client of " + where_));
  }

 private:
  SocketApi& api_;
  std::mutex mu_;  // serialises Accept
  int fd_;
  double timeout_s_;
  double accept_timeout_s_;
  bool no_delay_;
  std::string where_;
};

class SocketTransport : public Transport {
 public:
  SocketTransport(SocketApi& api, const TransportConfig& config) : api_(api), config_(config) {}

  Result<std::unique_ptr<Listener>> Listen(const std::string& host, uint16_t port) override {
    std::string where = std::string(api_.Name()) + " " + Endpoint(host.empty() ? "0.0.0.0" : host, port);
    Result<Address> addr = Resolve(host, port, true);
    if (!addr.ok()) return addr.status().Wrap("listen on " + where);
    int fd = api_.Socket(addr.value().family, SOCK_STREAM, 0);
    if (fd < 0) return Status::Error("listen on " + where + ": socket: " + ErrnoText(errno));
    int one = 1;
    api_.SetSockOpt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (api_.Bind(fd, reinterpret_cast<const sockaddr*>(&addr.value().storage), addr.value().length) != 0 ||
        api_.Listen(fd, 1024) != 0) {
      int err = errno;
      api_.Close(fd);
      return Status::Error("listen on " + where + ": " + ErrnoText(err));
    }
    return std::unique_ptr<Listener>(std::make_unique<SocketListener>(api_, fd, config_, where));
  }

  Result<std::unique_ptr<Connection>> Connect(const std::string& host, uint16_t port) override {
    std::string where = std::string(api_.Name()) + " " + Endpoint(host, port);
    Result<Address> addr = Resolve(host, port, false);
    if (!addr.ok()) return addr.status().Wrap("connect to " + where);
    int fd = api_.Socket(addr.value().family, SOCK_STREAM, 0);
    if (fd < 0) return Status::Error("connect to " + where + ": socket: " + ErrnoText(errno));
    Tune(api_, fd, config_.timeout_s, config_.no_delay);  // SO_SNDTIMEO also bounds connect()
    int rc = 0;
    do {
      rc = api_.Connect(fd, reinterpret_cast<const sockaddr*>(&addr.value().storage), addr.value().length);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      int err = errno;
      api_.Close(fd);
      if (err == EINPROGRESS || err == EAGAIN) {
        return Status::Error("connect to " + where + ": no answer within " + SecondsText(config_.timeout_s));
      }
      return Status::Error("connect to " + where + ": " + ErrnoText(err));
    }
    return std::unique_ptr<Connection>(std::make_unique<SocketConnection>(api_, fd, config_.timeout_s, where));
  }

 private:
  SocketApi& api_;
  TransportConfig config_;
};

}  // namespace

std::unique_ptr<Transport> MakeSocketTransport(SocketApi& api, const TransportConfig& config) {
  return std::make_unique<SocketTransport>(api, config);
}

}  // namespace bench
