#include "bench/options.h"

#include <charconv>
#include <cmath>

#include "bench/size_list.h"

namespace bench {
namespace {

Result<long long> ParseInteger(const std::string& flag, const std::string& text, long long min,
                               long long max) {
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status::Error(flag + " \"" + text + "\": not an integer");
  }
  if (value < min || value > max) {
    return Status::Error(flag + " \"" + text + "\": must be between " + std::to_string(min) +
                         " and " + std::to_string(max));
  }
  return value;
}

Result<double> ParseSeconds(const std::string& flag, const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (...) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(value) || value <= 0) {
    return Status::Error(flag + " \"" + text + "\": expected a positive number of seconds");
  }
  return value;
}

// "4" -> {4}; "1-4" -> {1,2,3,4}; "1,2,8" -> {1,2,8}.
Result<std::vector<int>> ParseStreamCounts(const std::string& text) {
  std::vector<int> counts;
  size_t dash = text.find('-');
  if (dash != std::string::npos) {
    auto from = ParseInteger("--streams", text.substr(0, dash), 1, 1024);
    if (!from.ok()) return from.status();
    auto to = ParseInteger("--streams", text.substr(dash + 1), 1, 1024);
    if (!to.ok()) return to.status();
    if (from.value() > to.value()) return Status::Error("--streams \"" + text + "\": start is larger than end");
    for (long long n = from.value(); n <= to.value(); ++n) counts.push_back(static_cast<int>(n));
    return counts;
  }
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    auto n = ParseInteger("--streams", text.substr(start, comma == std::string::npos ? std::string::npos : comma - start), 1, 1024);
    if (!n.ok()) return n.status();
    counts.push_back(static_cast<int>(n.value()));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return counts;
}

Result<std::vector<TestKind>> ParseTests(const std::string& text) {
  if (text == "all") return std::vector<TestKind>{TestKind::kStream, TestKind::kRequestResponse, TestKind::kConnect};
  std::vector<TestKind> tests;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item == "stream") {
      tests.push_back(TestKind::kStream);
    } else if (item == "rr") {
      tests.push_back(TestKind::kRequestResponse);
    } else if (item == "connect") {
      tests.push_back(TestKind::kConnect);
    } else {
      return Status::Error("--test \"" + item + "\": unknown test (use stream, rr, connect or all)");
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return tests;
}

}  // namespace

const char* TestName(TestKind test) {
  switch (test) {
    case TestKind::kStream: return "stream";
    case TestKind::kRequestResponse: return "rr";
    case TestKind::kConnect: return "connect";
  }
  return "?";
}

const char* TransportName(TransportKind kind) {
  switch (kind) {
    case TransportKind::kTcp: return "tcp";
    case TransportKind::kRdma: return "rdma";
    case TransportKind::kRsocket: return "rsocket";
  }
  return "?";
}

const char* RdmaOpName(RdmaOp op) { return op == RdmaOp::kSend ? "send" : "write"; }

Result<TransportKind> ParseTransport(const std::string& text) {
  if (text == "tcp") return TransportKind::kTcp;
  if (text == "rdma") return TransportKind::kRdma;
  if (text == "rsocket") return TransportKind::kRsocket;
  return Status::Error("--transport \"" + text + "\": unknown transport (use tcp, rdma or rsocket)");
}

Result<RdmaOp> ParseRdmaOp(const std::string& text) {
  if (text == "send") return RdmaOp::kSend;
  if (text == "write") return RdmaOp::kWrite;
  return Status::Error("--rdma-op \"" + text + "\": unknown operation (use send or write)");
}

Result<Options> ParseOptions(const std::vector<std::string>& args) {
  Options o;
  if (args.empty()) return Status::Error("missing mode (server, client, validate or schema)");
  const std::string& mode = args[0];
  size_t i = 1;
  if (mode == "--help" || mode == "-h" || mode == "help") {
    o.mode = Mode::kHelp;
    return o;
  } else if (mode == "server") {
    o.mode = Mode::kServer;
  } else if (mode == "client") {
    o.mode = Mode::kClient;
    if (i >= args.size() || args[i].rfind("-", 0) == 0) {
      return Status::Error("client: missing server address (rdma-bench client HOST ...)");
    }
    o.host = args[i++];
  } else if (mode == "validate") {
    o.mode = Mode::kValidate;
    if (i >= args.size()) return Status::Error("validate: missing JSON file (rdma-bench validate FILE)");
    o.validate_path = args[i++];
  } else if (mode == "schema") {
    o.mode = Mode::kSchema;
  } else {
    return Status::Error("unknown mode \"" + mode + "\" (use server, client, validate or schema)");
  }

  bool stream_sizes_set = false;
  for (; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--help" || flag == "-h") {
      o.mode = Mode::kHelp;
      return o;
    }
    if (flag == "--quiet") { o.quiet = true; continue; }
    if (flag == "--once") { o.once = true; continue; }
    if (i + 1 >= args.size()) return Status::Error(flag + ": missing value");
    const std::string& value = args[++i];
    Status st = Status::Ok();
    auto take = [&st](auto result, auto& into) {
      if (result.ok()) {
        into = std::move(result).value();
      } else {
        st = result.status();
      }
    };
    if (flag == "--port" || flag == "-p") {
      long long port = 0;
      take(ParseInteger(flag, value, 1, 65534), port);
      o.port = static_cast<uint16_t>(port);
    } else if (flag == "--bind") {
      o.host = value;
    } else if (flag == "--timeout") {
      take(ParseSeconds(flag, value), o.timeout_s);
    } else if (flag == "--transport" || flag == "-t") {
      take(ParseTransport(value), o.transport);
    } else if (flag == "--rdma-op") {
      take(ParseRdmaOp(value), o.rdma_op);
    } else if (flag == "--test") {
      take(ParseTests(value), o.tests);
    } else if (flag == "--sizes") {
      take(ParseSizeSweep(value), o.stream_sizes);
      stream_sizes_set = true;
    } else if (flag == "--rr-sizes") {
      take(ParseSizeSweep(value), o.rr_sizes);
    } else if (flag == "--streams") {
      take(ParseStreamCounts(value), o.streams);
    } else if (flag == "--duration") {
      take(ParseSeconds(flag, value), o.duration_s);
    } else if (flag == "--bytes") {
      take(ParseSize(value), o.bytes);
    } else if (flag == "--repeat") {
      long long n = 0;
      take(ParseInteger(flag, value, 1, 1000), n);
      o.repeat = static_cast<int>(n);
    } else if (flag == "--warmup") {
      long long n = 0;
      take(ParseInteger(flag, value, 0, 100000000), n);
      o.warmup = static_cast<size_t>(n);
    } else if (flag == "--connections") {
      long long n = 0;
      take(ParseInteger(flag, value, 1, 10000000), n);
      o.connections = static_cast<int>(n);
    } else if (flag == "--parallel-clients") {
      long long n = 0;
      take(ParseInteger(flag, value, 1, 1024), n);
      o.parallel_clients = static_cast<int>(n);
    } else if (flag == "--json") {
      o.json_path = value;
    } else if (flag == "--csv") {
      o.csv_path = value;
    } else if (flag == "--svg") {
      o.svg_prefix = value;
    } else {
      return Status::Error("unknown flag \"" + flag + "\"");
    }
    if (!st.ok()) return st;
  }
  if (!stream_sizes_set) {
    o.stream_sizes = ParseSizeSweep("1-8M").value();
  }
  return o;
}

std::string Usage() {
  return R"(rdma-bench: RDMA vs TCP throughput, round-trip latency, connect/close time and CPU.

usage:
  rdma-bench server [--bind ADDR] [--port P] [--once] [--timeout S]
  rdma-bench client HOST [--port P] [--transport tcp|rdma|rsocket] [flags]
  rdma-bench validate FILE.json     check a result file against the JSON schema
  rdma-bench schema                 print the JSON schema of result files

The client drives the run over a TCP control connection on port P (default
18515); payload uses port P+1. The client prints what both sides measured.

client flags:
  --transport T        tcp (kernel sockets, default), rdma (verbs over rdma_cm,
                       RC queue pair) or rsocket (librdmacm rsockets)
  --rdma-op OP         rdma payload operation: write (RDMA WRITE, default) or send
  --test LIST          stream,rr,connect or all (default all)
  --sizes SWEEP        stream message sizes: 1-8M (powers of two, default) or 64,1K,1M
  --rr-sizes SWEEP     request/response sizes (default 64); reports round-trip
                       time (RTT) percentiles, not one-way latency
  --streams N|A-B|LIST parallel streams (default 1)
  --duration S         seconds per stream and rr measurement (default 1)
  --bytes SIZE         stream: send this many bytes per stream instead of a duration
  --repeat N           stream measurements per point; median and min..max (default 3)
  --warmup N           rr round trips excluded from the statistics (default 1000)
  --connections N      connect test: connections per client (default 200)
  --parallel-clients N connect test: clients connecting at once (default 1)
  --json FILE          write results as JSON (schema rdma-bench/v1); - for stdout
  --csv FILE           write results as CSV
  --svg PREFIX         write PREFIX-throughput.svg and PREFIX-latency-cdf.svg
  --quiet              no table on stdout
  --timeout S          give up when the peer is silent this long (default 10)
)";
}

}  // namespace bench
