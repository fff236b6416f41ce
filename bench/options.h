// Command line of rdma-bench: which side to run (server, client), which
// transport and tests, the sweeps, and where results go. Parsing is pure so
// every flag and every error message is unit-tested; main() only prints the
// usage when parsing fails.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/status.h"

namespace bench {

enum class Mode { kServer, kClient, kValidate, kSchema, kHelp };
enum class TestKind { kStream, kRequestResponse, kConnect };
enum class TransportKind { kTcp, kRdma, kRsocket };
// How the rdma transport moves payload: two-sided SEND/RECV, or one-sided
// RDMA WRITE (with immediate data so the receiver learns the length).
enum class RdmaOp { kSend, kWrite };

const char* TestName(TestKind test);            // "stream", "rr", "connect"
const char* TransportName(TransportKind kind);  // "tcp", "rdma", "rsocket"
const char* RdmaOpName(RdmaOp op);              // "send", "write"
Result<TransportKind> ParseTransport(const std::string& text);
Result<RdmaOp> ParseRdmaOp(const std::string& text);

struct Options {
  Mode mode = Mode::kHelp;

  // Both sides.
  std::string host;  // client: server address; server: address to bind
  uint16_t port = 18515;  // control port; data uses port + 1
  double timeout_s = 10;  // longest wait for the peer before giving up

  // Server.
  bool once = false;  // exit after one client session

  // Client.
  TransportKind transport = TransportKind::kTcp;
  RdmaOp rdma_op = RdmaOp::kWrite;
  std::vector<TestKind> tests = {TestKind::kStream, TestKind::kRequestResponse, TestKind::kConnect};
  std::vector<size_t> stream_sizes;  // default: 1 B .. 8 MiB, powers of two
  std::vector<size_t> rr_sizes = {64};
  std::vector<int> streams = {1};
  double duration_s = 1;   // per stream/rr measurement, unless bytes is set
  size_t bytes = 0;        // stream: stop after this many bytes per stream
  int repeat = 3;          // stream measurements per point (median + spread)
  size_t warmup = 1000;    // rr: round trips excluded from the histogram
  int connections = 200;   // connect: connections per parallel client
  int parallel_clients = 1;

  // Output.
  std::string json_path;   // "-" = stdout
  std::string csv_path;
  std::string svg_prefix;  // writes <prefix>-throughput.svg, <prefix>-latency-cdf.svg
  bool quiet = false;      // no table on stdout

  // validate mode.
  std::string validate_path;
};

// Parses arguments after argv[0]. Errors name the flag and the bad value.
Result<Options> ParseOptions(const std::vector<std::string>& args);

// The usage text printed for --help and after a bad flag.
std::string Usage();

}  // namespace bench
