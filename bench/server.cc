#include "bench/server.h"

#include <unistd.h>

#include <iostream>

#include "bench/control_channel.h"
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

json FiguresJson(const SideFigures& f) {
  return json{{"type", "result"},     {"bytes", f.bytes},       {"transactions", f.transactions},
              {"seconds", f.seconds}, {"cpu_user_s", f.cpu.user_s}, {"cpu_system_s", f.cpu.system_s}};
}

}  // namespace

BenchServer::BenchServer(const Options& options, TransportFactory& factory) : options_(options), factory_(factory) {}

Status BenchServer::Start() {
  static std::unique_ptr<SocketApi> kernel = MakeKernelSocketApi();
  TransportConfig config;
  config.timeout_s = options_.timeout_s;
  config.accept_timeout_s = 1e6;  // wait for clients for as long as we run
  control_transport_ = MakeSocketTransport(*kernel, config);
  Result<std::unique_ptr<Listener>> listener = control_transport_->Listen(options_.host, options_.port);
  if (!listener.ok()) return listener.status().Wrap("rdma-bench server");
  control_listener_ = std::move(listener).value();
  return Status::Ok();
}

Status BenchServer::ServeOne() {
  Result<std::unique_ptr<Connection>> control = control_listener_->Accept();
  if (!control.ok()) return control.status();
  return Serve(std::move(control).value());
}

Status BenchServer::Run() {
  Status st = Start();
  if (!st.ok()) return st;
  std::cerr << "rdma-bench server: listening on port " << options_.port << " (control) and " << options_.port + 1
            << " (data)\n";
  while (true) {
    st = ServeOne();
    if (options_.once) return st;
    if (!st.ok()) std::cerr << "rdma-bench server: session ended: " << st.message() << "\n";
  }
}

Status BenchServer::Serve(std::unique_ptr<Connection> control) {
  ControlChannel channel(std::move(control));
  Result<json> hello = channel.Expect("hello");
  if (!hello.ok()) return hello.status();
  auto refuse = [&](const Status& why) {
    channel.Send(json{{"type", "error"}, {"message", why.message()}});
    channel.Close();
    return why;
  };
  if (hello.value().value("schema", "") != kControlProtocol) {
    return refuse(Status::Error("client speaks " + hello.value().value("schema", std::string("?")) + ", server speaks " +
                                kControlProtocol));
  }
  Result<TransportKind> kind = ParseTransport(hello.value().value("transport", ""));
  if (!kind.ok()) return refuse(kind.status());
  Result<RdmaOp> op = ParseRdmaOp(hello.value().value("rdma_op", "write"));
  if (!op.ok()) return refuse(op.status());
  Status available = factory_.Check(kind.value());
  if (!available.ok()) return refuse(available.Wrap("server " + HostName()));
  Status st = channel.Send(json{{"type", "hello"}, {"host", HostName()}});
  if (!st.ok()) return st;
  std::cerr << "rdma-bench server: session from " << hello.value().value("host", std::string("?"))
            << " transport=" << TransportName(kind.value()) << "\n";

  while (true) {
    Result<json> message = channel.Receive();
    if (!message.ok()) return message.status();
    const json& m = message.value();
    std::string type = m["type"].get<std::string>();
    if (type == "bye") {
      std::cerr << "rdma-bench server: session done\n";
      return channel.Close();
    }
    if (type != "run") return refuse(Status::Error("control channel: unexpected \"" + type + "\" message"));

    std::string test = m.value("test", "");
    json params = m.value("params", json::object());
    TransportConfig config;
    config.timeout_s = options_.timeout_s;
    config.rdma_op = op.value();
    config.max_message = params.value("max_message", size_t{65536});
    config.no_delay = test != "stream";
    Result<std::unique_ptr<Transport>> transport = factory_.Make(kind.value(), config);
    if (!transport.ok()) return refuse(transport.status());
    Result<std::unique_ptr<Listener>> listener =
        transport.value()->Listen(options_.host, static_cast<uint16_t>(options_.port + 1));
    if (!listener.ok()) return refuse(listener.status());
    st = channel.Send(json{{"type", "listening"}});
    if (!st.ok()) return st;

    Result<SideFigures> figures = Status::Error("unknown test \"" + test + "\"");
    if (test == "stream") {
      StreamParams p;
      p.msg_size = params.value("msg_size", size_t{1});
      p.streams = params.value("streams", 1);
      figures = RunStreamReceiver(*listener.value(), p);
    } else if (test == "rr") {
      RrParams p;
      p.msg_size = params.value("msg_size", size_t{1});
      p.warmup = params.value("warmup", size_t{0});
      figures = RunRrServer(*listener.value(), p);
    } else if (test == "connect") {
      ConnectParams p;
      p.connections = params.value("connections", 1);
      p.parallel_clients = params.value("parallel_clients", 1);
      figures = RunConnectServer(*listener.value(), p);
    }
    if (!figures.ok()) return refuse(figures.status().Wrap("server " + HostName()));
    Result<json> finish = channel.Expect("finish");
    if (!finish.ok()) return finish.status();
    st = channel.Send(FiguresJson(figures.value()));
    if (!st.ok()) return st;
  }
}

}  // namespace bench
