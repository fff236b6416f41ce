// The socket calls the stream-socket transport makes, behind one interface:
// the kernel's BSD sockets for `--transport tcp`, and librdmacm's rsockets
// (rsocket, rconnect, rsend, ...) for `--transport rsocket`, which mirror
// them call for call. Returns and errno follow the socket conventions.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <memory>

namespace bench {

class SocketApi {
 public:
  virtual ~SocketApi() = default;
  virtual const char* Name() const = 0;
  // True when SO_RCVTIMEO/SO_SNDTIMEO bound blocking calls; otherwise the
  // transport polls before each blocking call.
  virtual bool HonoursSocketTimeouts() const = 0;
  virtual int Socket(int domain, int type, int protocol) = 0;
  virtual int Bind(int fd, const sockaddr* addr, socklen_t len) = 0;
  virtual int Listen(int fd, int backlog) = 0;
  virtual int Accept(int fd, sockaddr* addr, socklen_t* len) = 0;
  virtual int Connect(int fd, const sockaddr* addr, socklen_t len) = 0;
  virtual ssize_t Send(int fd, const void* data, size_t size, int flags) = 0;
  virtual ssize_t Recv(int fd, void* data, size_t size, int flags) = 0;
  virtual int Shutdown(int fd, int how) = 0;
  virtual int Close(int fd) = 0;
  virtual int SetSockOpt(int fd, int level, int name, const void* value, socklen_t len) = 0;
  virtual int Poll(pollfd* fds, nfds_t count, int timeout_ms) = 0;
};

std::unique_ptr<SocketApi> MakeKernelSocketApi();
std::unique_ptr<SocketApi> MakeRsocketApi();

}  // namespace bench
