// The byte-moving interface every benchmark test runs over, so the stream,
// request/response and connect/close tests are written once and measured on
// kernel TCP, rsockets and verbs alike. A Transport makes Listeners (server)
// and Connections (client); a Connection behaves like a blocking stream
// socket whose every wait is bounded by the configured timeout, so a peer
// that vanishes produces an error, never a hang.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "bench/options.h"
#include "bench/status.h"

namespace bench {

// What a transport needs to know before it connects. Message-oriented
// transports (rdma) size their registered buffers from max_message.
struct TransportConfig {
  double timeout_s = 10;
  // How long Listener::Accept waits; 0 means timeout_s. The server's control
  // listener waits (nearly) forever for the next client.
  double accept_timeout_s = 0;
  size_t max_message = 64 * 1024;
  RdmaOp rdma_op = RdmaOp::kWrite;
  // TCP_NODELAY on tcp/rsocket data connections. On for request/response and
  // connect/close (as sockperf and netperf's RR tests do), off for streams
  // (as iperf3 and netperf's STREAM tests do).
  bool no_delay = true;
};

class Connection {
 public:
  virtual ~Connection() = default;
  // Hands all `size` bytes to the transport (returns once they may be reused).
  virtual Status Send(const void* data, size_t size) = 0;
  // Receives exactly `size` bytes; an orderly close by the peer before that
  // is an error.
  virtual Status ReceiveExactly(void* data, size_t size) = 0;
  // Receives at least 1 and at most `size` bytes; 0 means the peer closed.
  virtual Result<size_t> ReceiveSome(void* data, size_t size) = 0;
  // Orderly close: tells the peer there is no more data, then waits until
  // the peer has closed its side too (discarding anything still arriving).
  virtual Status Close() = 0;
};

class Listener {
 public:
  virtual ~Listener() = default;
  // Waits (up to the timeout) for the next client. Safe to call from several
  // threads at once.
  virtual Result<std::unique_ptr<Connection>> Accept() = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // host "" binds every IPv4 address.
  virtual Result<std::unique_ptr<Listener>> Listen(const std::string& host, uint16_t port) = 0;
  virtual Result<std::unique_ptr<Connection>> Connect(const std::string& host, uint16_t port) = 0;
};

}  // namespace bench
