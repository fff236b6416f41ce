#include "bench/socket_transport.h"

#include <gtest/gtest.h>

#include <thread>

#include "bench/testing/free_ports.h"

namespace bench {
namespace {

class SocketTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = testing::FreePortPair();
    ASSERT_NE(port_, 0);
    config_.timeout_s = 0.2;
    transport_ = MakeSocketTransport(*api_, config_);
  }
  std::unique_ptr<SocketApi> api_ = MakeKernelSocketApi();
  TransportConfig config_;
  std::unique_ptr<Transport> transport_;
  uint16_t port_ = 0;
};

TEST_F(SocketTransportTest, MovesBytesBothWaysAndClosesInOrder) {
  auto listener = transport_->Listen("127.0.0.1", port_);
  ASSERT_TRUE(listener.ok()) << listener.status().message();
  std::thread server([&] {
    auto c = listener.value()->Accept();
    ASSERT_TRUE(c.ok()) << c.status().message();
    char buf[5];
    ASSERT_TRUE(c.value()->ReceiveExactly(buf, 5).ok());
    ASSERT_TRUE(c.value()->Send(buf, 5).ok());
    Result<size_t> n = c.value()->ReceiveSome(buf, 5);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(n.value(), 0u);  // client closed
    EXPECT_TRUE(c.value()->Close().ok());
  });
  auto c = transport_->Connect("127.0.0.1", port_);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_TRUE(c.value()->Send("hello", 5).ok());
  char buf[5];
  ASSERT_TRUE(c.value()->ReceiveExactly(buf, 5).ok());
  EXPECT_EQ(std::string(buf, 5), "hello");
  EXPECT_TRUE(c.value()->Close().ok());
  server.join();
}

TEST_F(SocketTransportTest, SilentPeerGivesAnErrorNotAHang) {
  auto listener = transport_->Listen("127.0.0.1", port_);
  ASSERT_TRUE(listener.ok());
  auto c = transport_->Connect("127.0.0.1", port_);
  ASSERT_TRUE(c.ok());
  auto accepted = listener.value()->Accept();  // accepted, but never answers
  ASSERT_TRUE(accepted.ok());
  char buf[1];
  Result<size_t> n = c.value()->ReceiveSome(buf, 1);
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find("receive from tcp 127.0.0.1:" + std::to_string(port_) + ": peer silent"),
            std::string::npos)
      << n.status().message();
}

TEST_F(SocketTransportTest, PeerThatVanishesMidMessageIsReported) {
  auto listener = transport_->Listen("127.0.0.1", port_);
  ASSERT_TRUE(listener.ok());
  auto c = transport_->Connect("127.0.0.1", port_);
  ASSERT_TRUE(c.ok());
  {
    auto accepted = listener.value()->Accept();
    ASSERT_TRUE(accepted.ok());
    ASSERT_TRUE(accepted.value()->Send("ab", 2).ok());
  }  // destroyed: the socket closes without a word
  char buf[4];
  Status st = c.value()->ReceiveExactly(buf, 4);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("peer closed the connection"), std::string::npos) << st.message();
}

TEST_F(SocketTransportTest, ConnectionRefusedNamesTheEndpoint) {
  auto c = transport_->Connect("127.0.0.1", port_);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "connect to tcp 127.0.0.1:" + std::to_string(port_) + ": Connection refused");
}

TEST_F(SocketTransportTest, AcceptWithoutClientTimesOut) {
  auto listener = transport_->Listen("127.0.0.1", port_);
  ASSERT_TRUE(listener.ok());
  auto c = listener.value()->Accept();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("accept on tcp 127.0.0.1:"), std::string::npos) << c.status().message();
}

TEST_F(SocketTransportTest, UnknownHostIsAnError) {
  auto c = transport_->Connect("no-such-host.invalid", port_);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("resolve no-such-host.invalid"), std::string::npos) << c.status().message();
}

}  // namespace
}  // namespace bench
