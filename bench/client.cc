#include "bench/client.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "bench/control_channel.h"
#include "bench/size_list.h"
#include "bench/socket_api.h"
#include "bench/socket_transport.h"
#include "bench/workload.h"

namespace bench {
namespace {

using nlohmann::json;

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

std::string UtcNow() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Micros(double us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f us", us);
  return buf;
}

SideFigures ParseFigures(const json& m) {
  SideFigures f;
  f.bytes = m.value("bytes", uint64_t{0});
  f.transactions = m.value("transactions", uint64_t{0});
  f.seconds = m.value("seconds", 0.0);
  f.cpu.user_s = m.value("cpu_user_s", 0.0);
  f.cpu.system_s = m.value("cpu_system_s", 0.0);
  return f;
}

// One measurement: ask the server to get ready, run our half, collect theirs.
class Session {
 public:
  Session(const Options& options, TransportFactory& factory, ControlChannel& channel)
      : options_(options), factory_(factory), channel_(channel) {}

  template <typename ClientFigures, typename RunHalf>
  Result<std::pair<ClientFigures, SideFigures>> Measure(const std::string& test, json params, size_t max_message,
                                                        RunHalf run_half) {
    params["max_message"] = max_message;
    Status st = channel_.Send(json{{"type", "run"}, {"test", test}, {"params", params}});
    if (!st.ok()) return st;
    Result<json> listening = channel_.Expect("listening");
    if (!listening.ok()) return listening.status();
    TransportConfig config;
    config.timeout_s = options_.timeout_s;
    config.rdma_op = options_.rdma_op;
    config.max_message = max_message;
    config.no_delay = test != "stream";
    Result<std::unique_ptr<Transport>> transport = factory_.Make(options_.transport, config);
    if (!transport.ok()) return transport.status();
    Result<ClientFigures> mine = run_half(*transport.value(), static_cast<uint16_t>(options_.port + 1));
    if (!mine.ok()) {
      channel_.Send(json{{"type", "error"}, {"message", mine.status().message()}});
      return mine.status();
    }
    st = channel_.Send(json{{"type", "finish"}});
    if (!st.ok()) return st;
    Result<json> theirs = channel_.Expect("result");
    if (!theirs.ok()) return theirs.status();
    return std::make_pair(std::move(mine).value(), ParseFigures(theirs.value()));
  }

 private:
  const Options& options_;
  TransportFactory& factory_;
  ControlChannel& channel_;
};

}  // namespace

Result<Report> RunClient(const Options& o, TransportFactory& factory,
                         const std::function<void(const std::string&)>& progress) {
  // Fail before touching the network when this host cannot run the transport.
  Status st = factory.Check(o.transport);
  if (!st.ok()) return st;

  static std::unique_ptr<SocketApi> kernel = MakeKernelSocketApi();
  TransportConfig control_config;
  control_config.timeout_s = o.timeout_s;
  std::unique_ptr<Transport> control_transport = MakeSocketTransport(*kernel, control_config);
  Result<std::unique_ptr<Connection>> control = control_transport->Connect(o.host, o.port);
  if (!control.ok()) return control.status().Wrap("rdma-bench server control channel");
  ControlChannel channel(std::move(control).value());
  st = channel.Send(json{{"type", "hello"},
                         {"schema", kControlProtocol},
                         {"host", HostName()},
                         {"transport", TransportName(o.transport)},
                         {"rdma_op", RdmaOpName(o.rdma_op)}});
  if (!st.ok()) return st;
  Result<json> hello = channel.Expect("hello");
  if (!hello.ok()) return hello.status();

  Report report;
  report.started_at = UtcNow();
  report.client_host = HostName();
  report.server_host = hello.value().value("host", std::string("?"));
  report.server_address = o.host;
  report.transport = TransportName(o.transport);
  report.rdma_op = RdmaOpName(o.rdma_op);
  report.duration_s = o.duration_s;
  report.repeat = o.repeat;
  Session session(o, factory, channel);
  auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };

  for (TestKind test : o.tests) {
    if (test == TestKind::kStream) {
      for (size_t size : o.stream_sizes) {
        for (int streams : o.streams) {
          StreamPoint point;
          point.msg_size = size;
          point.streams = streams;
          StreamParams p{size, streams, o.duration_s, o.bytes};
          for (int rep = 0; rep < o.repeat; ++rep) {
            auto run = [&](Transport& t, uint16_t port) { return RunStreamSender(t, o.host, port, p); };
            auto figures = session.Measure<SideFigures>("stream", json{{"msg_size", size}, {"streams", streams}},
                                                        std::min<size_t>(size, 1 << 20), run);
            if (!figures.ok()) return figures.status();
            const SideFigures& server = figures.value().second;
            double bps = server.seconds > 0 ? static_cast<double>(server.bytes) * 8 / server.seconds : 0;
            point.goodput_bps.push_back(bps);
            point.bytes += server.bytes;
            point.cpu.client = point.cpu.client + figures.value().first.cpu;
            point.cpu.server = point.cpu.server + server.cpu;
          }
          point.goodput = Summarize(point.goodput_bps);
          say("stream " + FormatSize(size) + " x" + std::to_string(streams) + ": " +
              FormatBitsPerSecond(point.goodput.median) + " (" + FormatBitsPerSecond(point.goodput.min) + " .. " +
              FormatBitsPerSecond(point.goodput.max) + ")");
          report.stream.push_back(std::move(point));
        }
      }
    } else if (test == TestKind::kRequestResponse) {
      for (size_t size : o.rr_sizes) {
        RrParams p{size, o.duration_s, o.warmup};
        auto run = [&](Transport& t, uint16_t port) { return RunRrClient(t, o.host, port, p); };
        auto figures = session.Measure<RrClientFigures>("rr", json{{"msg_size", size}, {"warmup", o.warmup}}, size, run);
        if (!figures.ok()) return figures.status();
        const RrClientFigures& mine = figures.value().first;
        RrPoint point;
        point.msg_size = size;
        point.warmup = o.warmup;
        point.rtt_us = ComputePercentiles(mine.rtt_us);
        point.histogram = LogHistogram(mine.rtt_us);
        point.cdf = Cdf(mine.rtt_us);
        point.transactions_per_s =
            mine.side.seconds > 0 ? static_cast<double>(mine.side.transactions) / mine.side.seconds : 0;
        point.cpu.client = mine.side.cpu;
        point.cpu.server = figures.value().second.cpu;
        say("rr " + FormatSize(size) + ": RTT p50 " + Micros(point.rtt_us.p50) + ", p99 " + Micros(point.rtt_us.p99));
        report.rr.push_back(std::move(point));
      }
    } else {
      ConnectParams p{o.connections, o.parallel_clients};
      auto run = [&](Transport& t, uint16_t port) { return RunConnectClient(t, o.host, port, p); };
      auto figures = session.Measure<ConnectClientFigures>(
          "connect", json{{"connections", o.connections}, {"parallel_clients", o.parallel_clients}}, 64, run);
      if (!figures.ok()) return figures.status();
      const ConnectClientFigures& mine = figures.value().first;
      ConnectPoint point;
      point.parallel_clients = o.parallel_clients;
      point.connections = o.connections;
      point.connect_us = ComputePercentiles(mine.connect_us);
      point.close_us = ComputePercentiles(mine.close_us);
      point.connections_per_s =
          mine.side.seconds > 0 ? static_cast<double>(mine.side.transactions) / mine.side.seconds : 0;
      point.cpu.client = mine.side.cpu;
      point.cpu.server = figures.value().second.cpu;
      say("connect x" + std::to_string(o.parallel_clients) + ": connect p50 " + Micros(point.connect_us.p50) +
          ", close p50 " + Micros(point.close_us.p50));
      report.connect.push_back(std::move(point));
    }
  }
  st = channel.Send(json{{"type", "bye"}});
  if (st.ok()) st = channel.Close();
  if (!st.ok()) return st;
  return report;
}

}  // namespace bench
