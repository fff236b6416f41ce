// CniServer: rdma-agent's end of the rdma-cni socket (agent/cni/wire.h).
// One request per connection: read to EOF (bounded in size and time),
// decode and validate it exactly as the shim does, let the AttachEngine
// answer, write the reply, close. Each connection gets its own thread, so
// ADDs for VFs of different PFs run in parallel (the engine serialises per
// PF).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/attach/engine.h"
#include "agent/host/result.h"

namespace attach {

class CniServer {
 public:
  CniServer(AttachEngine& engine, std::string socket_path,
            std::chrono::milliseconds read_timeout = std::chrono::seconds(10));
  ~CniServer();

  // Creates the socket's directory (0700), replaces a stale socket file,
  // listens (0600) and starts accepting.
  host::Status Start();
  // Stops accepting and waits for calls in flight.
  void Stop();

  const std::string& socket_path() const { return path_; }

 private:
  void AcceptLoop();
  void Serve(int fd);

  AttachEngine& engine_;
  const std::string path_;
  const std::chrono::milliseconds read_timeout_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> calls_;
};

}  // namespace attach
