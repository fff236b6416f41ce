#include "bench/rdma_transport.h"

#include <gtest/gtest.h>

#include <cstring>

#include "bench/rdma_wire.h"
#include "bench/testing/fake_verbs.h"

namespace bench {
namespace {

using testing::FakeVerbs;

constexpr uint64_t kServerRing = 0x7f0000100000ull;
constexpr uint32_t kServerRkey = 0x5eed;

CmEvent Event(rdma_cm_event_type type, std::vector<uint8_t> private_data = {}, rdma_cm_id* id = nullptr) {
  CmEvent e;
  e.type = type;
  e.id = id;
  e.private_data = std::move(private_data);
  return e;
}

class RdmaTransportTest : public ::testing::Test {
 protected:
  // Scripts a server that accepts with a ring of `slot_size` x 16 slots.
  void ScriptSuccessfulConnect(uint32_t slot_size = 64) {
    verbs_.events.push_back(Event(RDMA_CM_EVENT_ADDR_RESOLVED));
    verbs_.events.push_back(Event(RDMA_CM_EVENT_ROUTE_RESOLVED));
    verbs_.events.push_back(
        Event(RDMA_CM_EVENT_ESTABLISHED, EncodeRingInfo(RingInfo{kServerRing, kServerRkey, slot_size, kRdmaDepth})));
  }

  std::unique_ptr<Connection> Connect(RdmaOp op = RdmaOp::kWrite, size_t max_message = 64) {
    config_.rdma_op = op;
    config_.max_message = max_message;
    config_.timeout_s = 0.05;
    transport_ = MakeRdmaTransport(verbs_, config_);
    Result<std::unique_ptr<Connection>> c = transport_->Connect("127.0.0.1", 18516);
    EXPECT_TRUE(c.ok()) << c.status().message();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  ibv_cq* SendCq() const { return verbs_.cqs[verbs_.cqs.size() - 2]; }
  ibv_cq* RecvCq() const { return verbs_.cqs[verbs_.cqs.size() - 1]; }

  FakeVerbs verbs_;
  TransportConfig config_;
  std::unique_ptr<Transport> transport_;
};

TEST_F(RdmaTransportTest, ConnectCreatesAnRcQueuePairPostsReceivesAndAdvertisesTheRing) {
  ScriptSuccessfulConnect();
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_EQ(verbs_.qps.size(), 1u);
  EXPECT_EQ(verbs_.qps[0].qp_type, IBV_QPT_RC);
  EXPECT_EQ(verbs_.receives.size(), kRdmaDepth + kRdmaControlReceives);
  ASSERT_EQ(verbs_.connect_private_data.size(), 1u);
  std::optional<RingInfo> ring =
      DecodeRingInfo(verbs_.connect_private_data[0].data(), verbs_.connect_private_data[0].size());
  ASSERT_TRUE(ring.has_value());
  ibv_mr* recv_mr = verbs_.mrs[1];
  EXPECT_EQ(ring->addr, reinterpret_cast<uintptr_t>(recv_mr->addr));
  EXPECT_EQ(ring->rkey, recv_mr->rkey);
  EXPECT_NE(ring->rkey, 0u);  // the ring must be remotely writable
  EXPECT_EQ(ring->depth, kRdmaDepth);
}

TEST_F(RdmaTransportTest, WriteModePutsEachMessageInTheNextSlotOfThePeersRing) {
  ScriptSuccessfulConnect();
  auto conn = Connect(RdmaOp::kWrite);
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->Send("hello", 5).ok());
  ASSERT_TRUE(conn->Send("world!", 6).ok());
  ASSERT_EQ(verbs_.sends.size(), 2u);
  const auto& first = verbs_.sends[0];
  EXPECT_EQ(first.opcode, IBV_WR_RDMA_WRITE_WITH_IMM);
  EXPECT_EQ(first.remote_addr, kServerRing);
  EXPECT_EQ(first.rkey, kServerRkey);
  EXPECT_EQ(first.payload, "hello");
  Immediate imm = DecodeImmediate(first.imm_host);
  EXPECT_EQ(imm.kind, MessageKind::kData);
  EXPECT_EQ(imm.length, 5u);
  EXPECT_EQ(verbs_.sends[1].remote_addr, kServerRing + 64);
}

TEST_F(RdmaTransportTest, SendModeUsesTwoSidedSends) {
  ScriptSuccessfulConnect();
  auto conn = Connect(RdmaOp::kSend);
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->Send("x", 1).ok());
  ASSERT_EQ(verbs_.sends.size(), 1u);
  EXPECT_EQ(verbs_.sends[0].opcode, IBV_WR_SEND_WITH_IMM);
}

TEST_F(RdmaTransportTest, MessagesLargerThanASlotAreSplit) {
  ScriptSuccessfulConnect(64);
  auto conn = Connect(RdmaOp::kWrite, 64);
  ASSERT_NE(conn, nullptr);
  std::string big(200, 'z');
  ASSERT_TRUE(conn->Send(big.data(), big.size()).ok());
  ASSERT_EQ(verbs_.sends.size(), 4u);
  EXPECT_EQ(verbs_.sends[0].length, 64u);
  EXPECT_EQ(verbs_.sends[3].length, 8u);
}

TEST_F(RdmaTransportTest, SenderStopsWhenThePeerHasNoFreeSlotAndResumesOnCredit) {
  ScriptSuccessfulConnect();
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  for (uint32_t i = 0; i < kRdmaDepth; ++i) ASSERT_TRUE(conn->Send("m", 1).ok()) << i;
  // The peer consumed nothing: a 17th message would overwrite slot 0.
  Status st = conn->Send("m", 1);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("waiting for the peer to free a receive slot"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("peer silent"), std::string::npos);
  EXPECT_EQ(verbs_.sends.size(), kRdmaDepth);

  verbs_.Deliver(RecvCq(), kRdmaDepth, EncodeImmediate(Immediate{MessageKind::kCredit, 8, 0}), IBV_WC_RECV);
  ASSERT_TRUE(conn->Send("m", 1).ok());
  EXPECT_EQ(verbs_.sends.size(), kRdmaDepth + 1);
  EXPECT_EQ(verbs_.sends.back().remote_addr, kServerRing);  // slot 0 again
}

TEST_F(RdmaTransportTest, ReceiveReadsTheSlotTheWriteLandedInAndRepostsTheReceive) {
  ScriptSuccessfulConnect();
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  size_t posted = verbs_.receives.size();
  auto* ring = static_cast<char*>(verbs_.mrs[1]->addr);
  std::memcpy(ring, "hello", 5);                 // what the peer's RDMA WRITE put in slot 0
  std::memcpy(ring + 64, "again", 5);            // and slot 1
  verbs_.Deliver(RecvCq(), 3, EncodeImmediate(Immediate{MessageKind::kData, 0, 5}), IBV_WC_RECV_RDMA_WITH_IMM, 5);
  verbs_.Deliver(RecvCq(), 4, EncodeImmediate(Immediate{MessageKind::kData, 0, 5}), IBV_WC_RECV_RDMA_WITH_IMM, 5);
  char buf[16] = {};
  Result<size_t> n = conn->ReceiveSome(buf, sizeof buf);
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(std::string(buf, n.value()), "hello");
  ASSERT_TRUE(conn->ReceiveExactly(buf, 5).ok());
  EXPECT_EQ(std::string(buf, 5), "again");
  EXPECT_EQ(verbs_.receives.size(), posted + 2);
}

TEST_F(RdmaTransportTest, EndOfStreamReadsAsOrderlyClose) {
  ScriptSuccessfulConnect();
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  verbs_.Deliver(RecvCq(), 0, EncodeImmediate(Immediate{MessageKind::kEnd, 0, 0}), IBV_WC_RECV);
  char buf[8];
  Result<size_t> n = conn->ReceiveSome(buf, sizeof buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.value(), 0u);
  Status st = conn->ReceiveExactly(buf, 1);
  EXPECT_NE(st.message().find("peer closed the connection"), std::string::npos) << st.message();
}

TEST_F(RdmaTransportTest, CloseSendsEndWaitsForThePeersAndDisconnects) {
  ScriptSuccessfulConnect();
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  verbs_.Deliver(RecvCq(), 0, EncodeImmediate(Immediate{MessageKind::kEnd, 0, 0}), IBV_WC_RECV);
  verbs_.events.push_back(Event(RDMA_CM_EVENT_DISCONNECTED));
  Status st = conn->Close();
  EXPECT_TRUE(st.ok()) << st.message();
  ASSERT_FALSE(verbs_.sends.empty());
  EXPECT_EQ(DecodeImmediate(verbs_.sends.back().imm_host).kind, MessageKind::kEnd);
  EXPECT_EQ(verbs_.disconnects, 1);
  conn.reset();
  EXPECT_EQ(verbs_.live_ids, 0);
  EXPECT_EQ(verbs_.live_channels, 0);
}

TEST_F(RdmaTransportTest, VanishedPeerGivesAnErrorNotAHang) {
  ScriptSuccessfulConnect();
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  char buf[8];
  Result<size_t> n = conn->ReceiveSome(buf, sizeof buf);
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find("waiting for data rdma 127.0.0.1:18516: peer silent"), std::string::npos)
      << n.status().message();
  Status st = conn->Close();  // no end-of-stream and no DISCONNECTED either
  EXPECT_FALSE(st.ok());
}

TEST_F(RdmaTransportTest, FailedCompletionIsReportedWithItsStatusText) {
  ScriptSuccessfulConnect();
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  verbs_.complete_sends = false;
  ASSERT_TRUE(conn->Send("x", 1).ok());
  ibv_wc wc{};
  wc.wr_id = 1;
  wc.status = IBV_WC_RETRY_EXC_ERR;
  verbs_.completions[SendCq()].push_back(wc);
  char buf[1];
  Result<size_t> n = conn->ReceiveSome(buf, 1);
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find("transport retry counter exceeded"), std::string::npos)
      << n.status().message();
}

TEST_F(RdmaTransportTest, RejectedConnectionSaysSo) {
  verbs_.events.push_back(Event(RDMA_CM_EVENT_ADDR_RESOLVED));
  verbs_.events.push_back(Event(RDMA_CM_EVENT_ROUTE_RESOLVED));
  verbs_.events.push_back(Event(RDMA_CM_EVENT_REJECTED));
  config_.timeout_s = 0.05;
  auto transport = MakeRdmaTransport(verbs_, config_);
  Result<std::unique_ptr<Connection>> c = transport->Connect("10.0.0.2", 18516);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("connect to rdma 10.0.0.2:18516"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("got RDMA_CM_EVENT_REJECTED"), std::string::npos);
  EXPECT_EQ(verbs_.live_ids, 0);  // nothing leaked on the error path
}

TEST_F(RdmaTransportTest, UnresolvableAddressTimesOut) {
  config_.timeout_s = 0.05;
  auto transport = MakeRdmaTransport(verbs_, config_);
  Result<std::unique_ptr<Connection>> c = transport->Connect("10.0.0.2", 18516);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("no RDMA_CM_EVENT_ADDR_RESOLVED event"), std::string::npos)
      << c.status().message();
}

TEST_F(RdmaTransportTest, PeerThatIsNotRdmaBenchIsRefused) {
  verbs_.events.push_back(Event(RDMA_CM_EVENT_ADDR_RESOLVED));
  verbs_.events.push_back(Event(RDMA_CM_EVENT_ROUTE_RESOLVED));
  verbs_.events.push_back(Event(RDMA_CM_EVENT_ESTABLISHED, std::vector<uint8_t>(56, 0)));
  config_.timeout_s = 0.05;
  auto transport = MakeRdmaTransport(verbs_, config_);
  Result<std::unique_ptr<Connection>> c = transport->Connect("10.0.0.2", 18516);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("no rdma-bench ring description"), std::string::npos) << c.status().message();
}

TEST_F(RdmaTransportTest, ListenerAcceptsOnItsOwnEventChannelAndAnswersWithItsRing) {
  config_.timeout_s = 0.05;
  auto transport = MakeRdmaTransport(verbs_, config_);
  Result<std::unique_ptr<Listener>> listener = transport->Listen("", 18516);
  ASSERT_TRUE(listener.ok()) << listener.status().message();
  rdma_cm_id* child = verbs_.NewId();
  verbs_.events.push_back(Event(RDMA_CM_EVENT_CONNECT_REQUEST,
                                EncodeRingInfo(RingInfo{0x1000, 0x77, 64, kRdmaDepth}), child));
  verbs_.events.push_back(Event(RDMA_CM_EVENT_ESTABLISHED));
  Result<std::unique_ptr<Connection>> conn = listener.value()->Accept();
  ASSERT_TRUE(conn.ok()) << conn.status().message();
  EXPECT_EQ(verbs_.migrated, 1);
  ASSERT_EQ(verbs_.accept_private_data.size(), 1u);
  EXPECT_TRUE(DecodeRingInfo(verbs_.accept_private_data[0].data(), verbs_.accept_private_data[0].size()).has_value());
  ASSERT_TRUE(conn.value()->Send("ok", 2).ok());
  EXPECT_EQ(verbs_.sends.back().remote_addr, 0x1000u);
  EXPECT_EQ(verbs_.sends.back().rkey, 0x77u);
}

TEST_F(RdmaTransportTest, ListenerRejectsAClientThatIsNotRdmaBench) {
  config_.timeout_s = 0.05;
  auto transport = MakeRdmaTransport(verbs_, config_);
  Result<std::unique_ptr<Listener>> listener = transport->Listen("", 18516);
  ASSERT_TRUE(listener.ok());
  verbs_.events.push_back(Event(RDMA_CM_EVENT_CONNECT_REQUEST, {}, verbs_.NewId()));
  Result<std::unique_ptr<Connection>> conn = listener.value()->Accept();
  ASSERT_FALSE(conn.ok());
  EXPECT_NE(conn.status().message().find("no rdma-bench ring description"), std::string::npos)
      << conn.status().message();
  EXPECT_EQ(verbs_.rejects, 1);
  EXPECT_TRUE(verbs_.accept_private_data.empty());
}

TEST_F(RdmaTransportTest, AcceptWithoutClientTimesOut) {
  config_.timeout_s = 0.05;
  auto transport = MakeRdmaTransport(verbs_, config_);
  Result<std::unique_ptr<Listener>> listener = transport->Listen("", 18516);
  ASSERT_TRUE(listener.ok());
  Result<std::unique_ptr<Connection>> conn = listener.value()->Accept();
  ASSERT_FALSE(conn.ok());
  EXPECT_NE(conn.status().message().find("accept on rdma 0.0.0.0:18516"), std::string::npos)
      << conn.status().message();
}

}  // namespace
}  // namespace bench
