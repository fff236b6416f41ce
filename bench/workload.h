// The three measurements rdma-bench makes, each as a client half and a
// server half running over any Transport:
//   stream   - N connections push messages of one size for a duration (or a
//              byte count); the receiver's bytes over its receive time is
//              the goodput.
//   rr       - one connection, request and response of one size, one at a
//              time; every round trip after the warm-up is timed (RTT, not
//              one-way latency).
//   connect  - P clients each open and close connections in a loop; connect
//              and close are timed separately, close being "shut down our
//              side until the peer's close is seen".
// Each half reports what it measured on its side, including process CPU.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/cpu_usage.h"
#include "bench/status.h"
#include "bench/transport.h"

namespace bench {

struct SideFigures {
  uint64_t bytes = 0;         // payload bytes received (stream) or moved (rr)
  uint64_t transactions = 0;  // rr round trips or connections
  double seconds = 0;         // time the side was busy with the measurement
  CpuTime cpu;
};

struct StreamParams {
  size_t msg_size = 0;
  int streams = 1;
  double duration_s = 1;
  size_t bytes = 0;  // per stream; when non-zero, replaces duration_s
};
// Client: connects params.streams times to host:port and sends.
Result<SideFigures> RunStreamSender(Transport& transport, const std::string& host, uint16_t port,
                                    const StreamParams& params);
// Server: accepts params.streams connections and reads until each closes.
// seconds spans the first byte received to the last close.
Result<SideFigures> RunStreamReceiver(Listener& listener, const StreamParams& params);

struct RrParams {
  size_t msg_size = 64;
  double duration_s = 1;
  size_t warmup = 1000;
};
struct RrClientFigures {
  std::vector<double> rtt_us;  // measured round trips, warm-up excluded
  SideFigures side;
};
Result<RrClientFigures> RunRrClient(Transport& transport, const std::string& host, uint16_t port,
                                    const RrParams& params);
// Server: accepts one connection and echoes requests until it closes.
Result<SideFigures> RunRrServer(Listener& listener, const RrParams& params);

struct ConnectParams {
  int connections = 100;  // per client
  int parallel_clients = 1;
};
struct ConnectClientFigures {
  std::vector<double> connect_us;
  std::vector<double> close_us;
  SideFigures side;  // seconds: wall time of all clients together
};
Result<ConnectClientFigures> RunConnectClient(Transport& transport, const std::string& host, uint16_t port,
                                              const ConnectParams& params);
// Server: accepts connections * parallel_clients connections, each closed by
// the client.
Result<SideFigures> RunConnectServer(Listener& listener, const ConnectParams& params);

}  // namespace bench
