#include "bench/socket_api.h"

#include <rdma/rsocket.h>
#include <unistd.h>

namespace bench {
namespace {

class KernelSocketApi : public SocketApi {
 public:
  const char* Name() const override { return "tcp"; }
  bool HonoursSocketTimeouts() const override { return true; }
  int Socket(int d, int t, int p) override { return ::socket(d, t, p); }
  int Bind(int fd, const sockaddr* a, socklen_t l) override { return ::bind(fd, a, l); }
  int Listen(int fd, int b) override { return ::listen(fd, b); }
  int Accept(int fd, sockaddr* a, socklen_t* l) override { return ::accept(fd, a, l); }
  int Connect(int fd, const sockaddr* a, socklen_t l) override { return ::connect(fd, a, l); }
  ssize_t Send(int fd, const void* d, size_t n, int f) override { return ::send(fd, d, n, f | MSG_NOSIGNAL); }
  ssize_t Recv(int fd, void* d, size_t n, int f) override { return ::recv(fd, d, n, f); }
  int Shutdown(int fd, int how) override { return ::shutdown(fd, how); }
  int Close(int fd) override { return ::close(fd); }
  int SetSockOpt(int fd, int level, int name, const void* v, socklen_t l) override {
    return ::setsockopt(fd, level, name, v, l);
  }
  int Poll(pollfd* fds, nfds_t n, int t) override { return ::poll(fds, n, t); }
};

// rsockets keep their own state in librdmacm; every call needs the r-prefixed
// function, including poll and close.
class RsocketApi : public SocketApi {
 public:
  const char* Name() const override { return "rsocket"; }
  // rsetsockopt does not implement SO_RCVTIMEO/SO_SNDTIMEO.
  bool HonoursSocketTimeouts() const override { return false; }
  int Socket(int d, int t, int p) override { return ::rsocket(d, t, p); }
  int Bind(int fd, const sockaddr* a, socklen_t l) override { return ::rbind(fd, a, l); }
  int Listen(int fd, int b) override { return ::rlisten(fd, b); }
  int Accept(int fd, sockaddr* a, socklen_t* l) override { return ::raccept(fd, a, l); }
  int Connect(int fd, const sockaddr* a, socklen_t l) override { return ::rconnect(fd, a, l); }
  ssize_t Send(int fd, const void* d, size_t n, int f) override { return ::rsend(fd, d, n, f); }
  ssize_t Recv(int fd, void* d, size_t n, int f) override { return ::rrecv(fd, d, n, f); }
  int Shutdown(int fd, int how) override { return ::rshutdown(fd, how); }
  int Close(int fd) override { return ::rclose(fd); }
  int SetSockOpt(int fd, int level, int name, const void* v, socklen_t l) override {
    return ::rsetsockopt(fd, level, name, v, l);
  }
  int Poll(pollfd* fds, nfds_t n, int t) override { return ::rpoll(fds, n, t); }
};

}  // namespace

std::unique_ptr<SocketApi> MakeKernelSocketApi() { return std::make_unique<KernelSocketApi>(); }
std::unique_ptr<SocketApi> MakeRsocketApi() { return std::make_unique<RsocketApi>(); }

}  // namespace bench
