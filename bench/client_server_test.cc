// A whole rdma-bench run in one process over loopback TCP: the client and a
// server thread speak the control protocol and run every test for a moment.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "bench/client.h"
#include "bench/control_channel.h"
#include "bench/result_schema.h"
#include "bench/socket_transport.h"
#include "bench/server.h"
#include "bench/testing/fake_verbs.h"
#include "bench/testing/free_ports.h"

namespace bench {
namespace {

std::unique_ptr<TransportFactory> FactoryWithDevices(std::vector<std::string> devices) {
  auto verbs = std::make_unique<testing::FakeVerbs>();
  verbs->devices = std::move(devices);
  return std::make_unique<TransportFactory>(std::move(verbs), "/nonexistent/class/infiniband");
}

class ClientServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.port = testing::FreePortPair();
    ASSERT_NE(options_.port, 0);
    options_.host = "127.0.0.1";
    options_.once = true;
    options_.timeout_s = 5;
  }

  // Starts a one-session server; the future holds how the session ended.
  std::future<Status> StartServer(TransportFactory& factory) {
    server_ = std::make_unique<BenchServer>(options_, factory);
    Status st = server_->Start();
    EXPECT_TRUE(st.ok()) << st.message();
    return std::async(std::launch::async, [this] { return server_->ServeOne(); });
  }

  Options ClientOptions() {
    Options o = options_;
    o.mode = Mode::kClient;
    o.duration_s = 0.05;
    o.repeat = 2;
    o.stream_sizes = {1024, 65536};
    o.streams = {1, 2};
    o.rr_sizes = {64};
    o.warmup = 10;
    o.connections = 5;
    o.parallel_clients = 2;
    return o;
  }

  Options options_;
  std::unique_ptr<BenchServer> server_;
};

TEST_F(ClientServerTest, TcpRunReportsEveryPointFromBothSides) {
  auto server_factory = FactoryWithDevices({});
  auto client_factory = FactoryWithDevices({});
  std::future<Status> served = StartServer(*server_factory);
  Result<Report> report = RunClient(ClientOptions(), *client_factory);
  ASSERT_TRUE(report.ok()) << report.status().message();
  Status server_status = served.get();
  EXPECT_TRUE(server_status.ok()) << server_status.message();

  const Report& r = report.value();
  ASSERT_EQ(r.stream.size(), 4u);  // 2 sizes x {1, 2} streams
  for (const StreamPoint& p : r.stream) {
    EXPECT_EQ(p.goodput_bps.size(), 2u);
    EXPECT_GT(p.bytes, 0u);
    EXPECT_GT(p.goodput.median, 0);
    EXPECT_LE(p.goodput.min, p.goodput.median);
    EXPECT_GE(p.goodput.max, p.goodput.median);
  }
  ASSERT_EQ(r.rr.size(), 1u);
  EXPECT_GT(r.rr[0].rtt_us.count, 0u);
  EXPECT_LE(r.rr[0].rtt_us.p50, r.rr[0].rtt_us.p99);
  ASSERT_EQ(r.connect.size(), 1u);
  EXPECT_EQ(r.connect[0].connect_us.count, 10u);  // 5 each from 2 clients
  EXPECT_EQ(r.connect[0].close_us.count, 10u);
  EXPECT_EQ(r.server_address, "127.0.0.1");
  Status valid = ValidateResult(ToJson(r));
  EXPECT_TRUE(valid.ok()) << valid.message();
}

TEST_F(ClientServerTest, FixedByteCountStreamsDeliverExactlyThatMuch) {
  auto server_factory = FactoryWithDevices({});
  auto client_factory = FactoryWithDevices({});
  std::future<Status> served = StartServer(*server_factory);
  Options o = ClientOptions();
  o.tests = {TestKind::kStream};
  o.stream_sizes = {4096};
  o.streams = {3};
  o.repeat = 1;
  o.bytes = 100000;  // not a multiple of the message size
  Result<Report> report = RunClient(o, *client_factory);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_TRUE(served.get().ok());
  EXPECT_EQ(report.value().stream[0].bytes, 300000u);
}

TEST_F(ClientServerTest, RdmaWithoutLocalDeviceFailsBeforeConnecting) {
  auto client_factory = FactoryWithDevices({});
  Options o = ClientOptions();
  o.transport = TransportKind::kRdma;
  Result<Report> report = RunClient(o, *client_factory);  // no server running at all
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("transport rdma: no RDMA device: ibv_get_device_list()"),
            std::string::npos)
      << report.status().message();
  EXPECT_NE(report.status().message().find("/nonexistent/class/infiniband does not exist"), std::string::npos);
}

TEST_F(ClientServerTest, ServerWithoutDeviceRefusesAndTheClientSaysWhy) {
  auto server_factory = FactoryWithDevices({});
  auto client_factory = FactoryWithDevices({"mlx5_0"});
  std::future<Status> served = StartServer(*server_factory);
  Options o = ClientOptions();
  o.transport = TransportKind::kRsocket;
  Result<Report> report = RunClient(o, *client_factory);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("peer reported: server "), std::string::npos) << report.status().message();
  EXPECT_NE(report.status().message().find("transport rsocket: no RDMA device"), std::string::npos);
  EXPECT_FALSE(served.get().ok());
}

TEST_F(ClientServerTest, NoServerIsAClearError) {
  auto client_factory = FactoryWithDevices({});
  Result<Report> report = RunClient(ClientOptions(), *client_factory);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("Connection refused"), std::string::npos) << report.status().message();
}

// A "server" that says hello and then never answers: the client must give up
// after its timeout with an error, not wait forever.
TEST_F(ClientServerTest, ServerThatGoesSilentIsAnErrorNotAHang) {
  auto api = MakeKernelSocketApi();
  TransportConfig config;
  config.timeout_s = 5;
  auto tcp = MakeSocketTransport(*api, config);
  auto listener = tcp->Listen("127.0.0.1", options_.port);
  ASSERT_TRUE(listener.ok());
  std::promise<void> client_done;
  std::thread fake_server([&] {
    auto c = listener.value()->Accept();
    ASSERT_TRUE(c.ok());
    ControlChannel channel(std::move(c).value());
    ASSERT_TRUE(channel.Expect("hello").ok());
    ASSERT_TRUE(channel.Send({{"type", "hello"}, {"host", "silent"}}).ok());
    client_done.get_future().wait();  // keep the connection open, say nothing
  });
  auto client_factory = FactoryWithDevices({});
  Options o = ClientOptions();
  o.timeout_s = 0.3;
  Result<Report> report = RunClient(o, *client_factory);
  client_done.set_value();
  fake_server.join();
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("peer silent"), std::string::npos) << report.status().message();
}

// A client that asks for a measurement and disappears: the server's session
// ends with an error after its timeout and the server can serve again.
TEST_F(ClientServerTest, ClientThatVanishesEndsTheSessionNotTheServer) {
  options_.timeout_s = 0.3;
  auto server_factory = FactoryWithDevices({});
  std::future<Status> served = StartServer(*server_factory);
  {
    auto api = MakeKernelSocketApi();
    auto tcp = MakeSocketTransport(*api, TransportConfig{});
    auto c = tcp->Connect("127.0.0.1", options_.port);
    ASSERT_TRUE(c.ok());
    ControlChannel channel(std::move(c).value());
    ASSERT_TRUE(channel.Send({{"type", "hello"}, {"schema", kControlProtocol}, {"transport", "tcp"}}).ok());
    ASSERT_TRUE(channel.Expect("hello").ok());
    ASSERT_TRUE(channel.Send({{"type", "run"}, {"test", "stream"}, {"params", {{"msg_size", 1024}, {"streams", 1}}}}).ok());
    ASSERT_TRUE(channel.Expect("listening").ok());
  }  // gone without connecting the data stream
  Status st = served.get();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("accept on tcp 127.0.0.1:" + std::to_string(options_.port + 1)), std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace bench
