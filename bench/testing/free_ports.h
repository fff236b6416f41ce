// Finds two consecutive free TCP ports on 127.0.0.1 (control and data port
// of an rdma-bench server) for tests that run a real server in-process.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <random>

namespace bench::testing {

inline bool PortFree(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

inline uint16_t FreePortPair() {
  std::mt19937 rng(static_cast<unsigned>(::getpid()) ^ std::random_device{}());
  for (int attempt = 0; attempt < 200; ++attempt) {
    auto port = static_cast<uint16_t>(20000 + rng() % 30000);
    if (PortFree(port) && PortFree(static_cast<uint16_t>(port + 1))) return port;
  }
  return 0;
}

}  // namespace bench::testing
