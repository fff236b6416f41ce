#include "bench/rdma_transport.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <mutex>

#include "bench/rdma_wire.h"

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

// Busy-poll this long before sleeping on the completion channel: long enough
// to catch a round trip on a fast fabric, short enough not to eat a core.
constexpr auto kSpin = std::chrono::microseconds(20);

enum WrId : uint64_t { kWrData = 1, kWrControl = 2 };

std::string Endpoint(const std::string& host, uint16_t port) {
  return "rdma " + (host.empty() ? std::string("0.0.0.0") : host) + ":" + std::to_string(port);
}

int TimeoutMs(double seconds) { return static_cast<int>(std::ceil(seconds * 1000)); }

Result<sockaddr_storage> ResolveAddress(const std::string& host, uint16_t port, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  int rc = ::getaddrinfo(host.empty() ? "0.0.0.0" : host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0) return Status::Error(std::string("resolve address: ") + ::gai_strerror(rc));
  sockaddr_storage addr{};
  std::memcpy(&addr, found->ai_addr, found->ai_addrlen);
  ::freeaddrinfo(found);
  return addr;
}

// Waits for the next rdma_cm event on channel and checks it is `expected`.
Result<CmEvent> ExpectEvent(VerbsApi& verbs, rdma_event_channel* channel, rdma_cm_event_type expected,
                            double timeout_s) {
  CmEvent event;
  if (verbs.GetEvent(channel, TimeoutMs(timeout_s), &event) != 0) {
    if (errno == ETIMEDOUT) {
      return Status::Error("no " + verbs.EventText(expected) + " event within " + SecondsText(timeout_s));
    }
    return Status::Error("rdma_get_cm_event: " + std::string(std::strerror(errno)));
  }
  if (event.type != expected) {
    std::string cause = verbs.EventText(event.type);
    if (event.type == RDMA_CM_EVENT_REJECTED) cause += " (is rdma-bench server running with that port?)";
    return Status::Error("expected " + verbs.EventText(expected) + ", got " + cause + " (status " +
                         std::to_string(event.status) + ")");
  }
  return event;
}

// One RC queue pair, its buffers and completion queues. Not thread-safe:
// each connection is used by one thread at a time.
class RdmaConnection : public Connection {
 public:
  RdmaConnection(VerbsApi& verbs, const TransportConfig& config, std::string peer)
      : verbs_(verbs),
        config_(config),
        peer_(std::move(peer)),
        slot_size_(static_cast<uint32_t>(std::clamp<size_t>(config.max_message, 64, kMaxSlotSize))) {}

  ~RdmaConnection() override { Release(); }

  // Takes ownership of the rdma_cm channel and id.
  void Adopt(rdma_event_channel* channel, rdma_cm_id* id) {
    channel_ = channel;
    id_ = id;
  }

  // Allocates the PD, CQs, QP and registered buffers and posts the receives.
  Status SetUp() {
    ibv_context* context = id_->verbs;
    if (context == nullptr) return Error("set up", "rdma_cm id has no device");
    pd_ = verbs_.AllocPd(context);
    if (pd_ == nullptr) return Errno("ibv_alloc_pd");
    comp_channel_ = verbs_.CreateCompChannel(context);
    if (comp_channel_ == nullptr) return Errno("ibv_create_comp_channel");
    int entries = static_cast<int>(kRdmaDepth + kRdmaControlReceives);
    send_cq_ = verbs_.CreateCq(context, entries, comp_channel_);
    if (send_cq_ == nullptr) return Errno("ibv_create_cq (send)");
    recv_cq_ = verbs_.CreateCq(context, entries, comp_channel_);
    if (recv_cq_ == nullptr) return Errno("ibv_create_cq (receive)");

    ibv_qp_init_attr attr{};
    attr.qp_type = IBV_QPT_RC;
    attr.send_cq = send_cq_;
    attr.recv_cq = recv_cq_;
    attr.cap.max_send_wr = kRdmaDepth + kRdmaControlReceives;
    attr.cap.max_recv_wr = kRdmaDepth + kRdmaControlReceives;
    attr.cap.max_send_sge = 1;
    attr.cap.max_recv_sge = 1;
    if (verbs_.CreateQp(id_, pd_, &attr) != 0) return Errno("rdma_create_qp");
    qp_created_ = true;

    send_buffer_.assign(size_t{slot_size_} * kRdmaDepth, 0);
    recv_buffer_.assign(size_t{slot_size_} * (kRdmaDepth + kRdmaControlReceives), 0);
    send_mr_ = verbs_.RegMr(pd_, send_buffer_.data(), send_buffer_.size(), IBV_ACCESS_LOCAL_WRITE);
    if (send_mr_ == nullptr) return Errno("ibv_reg_mr (send buffer)");
    recv_mr_ = verbs_.RegMr(pd_, recv_buffer_.data(), recv_buffer_.size(),
                            IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
    if (recv_mr_ == nullptr) return Errno("ibv_reg_mr (receive ring)");
    for (uint32_t slot = 0; slot < kRdmaDepth + kRdmaControlReceives; ++slot) {
      Status st = PostReceive(slot);
      if (!st.ok()) return st;
    }
    return Status::Ok();
  }

  std::vector<uint8_t> LocalRing() const {
    RingInfo ring;
    ring.addr = reinterpret_cast<uintptr_t>(recv_buffer_.data());
    ring.rkey = recv_mr_->rkey;
    ring.slot_size = slot_size_;
    ring.depth = kRdmaDepth;
    return EncodeRingInfo(ring);
  }

  Status SetPeerRing(const std::vector<uint8_t>& data) {
    std::optional<RingInfo> ring = DecodeRingInfo(data.data(), data.size());
    if (!ring) return Error("connect", "peer sent no rdma-bench ring description (not rdma-bench, or another version)");
    peer_ring_ = *ring;
    send_credits_ = ring->depth;
    chunk_ = std::min(slot_size_, ring->slot_size);
    return Status::Ok();
  }

  rdma_conn_param ConnParam(const std::vector<uint8_t>& private_data) const {
    rdma_conn_param param{};
    param.private_data = private_data.data();
    param.private_data_len = static_cast<uint8_t>(private_data.size());
    param.responder_resources = 1;
    param.initiator_depth = 1;
    param.retry_count = 7;
    param.rnr_retry_count = 7;  // 7 = retry forever; credits make RNR rare
    return param;
  }

  Status Send(const void* data, size_t size) override {
    const auto* p = static_cast<const uint8_t*>(data);
    while (size > 0) {
      uint32_t chunk = static_cast<uint32_t>(std::min<size_t>(size, chunk_));
      while (send_credits_ == 0 || data_in_flight_ >= kRdmaDepth || SendQueueFull()) {
        Status st = WaitForProgress("waiting for the peer to free a receive slot");
        if (!st.ok()) return st;
      }
      uint32_t slot = static_cast<uint32_t>(send_seq_ % kRdmaDepth);
      uint8_t* staging = send_buffer_.data() + size_t{slot} * slot_size_;
      std::memcpy(staging, p, chunk);
      uint32_t peer_slot = static_cast<uint32_t>(send_seq_ % peer_ring_.depth);
      Immediate imm{MessageKind::kData, TakeOwedCredits(), chunk};
      Status st = Post(kWrData, staging, chunk, imm, config_.rdma_op == RdmaOp::kWrite, peer_slot);
      if (!st.ok()) return st;
      --send_credits_;
      ++data_in_flight_;
      ++send_seq_;
      p += chunk;
      size -= chunk;
    }
    return Status::Ok();
  }

  Status ReceiveExactly(void* data, size_t size) override {
    auto* p = static_cast<uint8_t*>(data);
    while (size > 0) {
      Result<size_t> n = ReceiveSome(p, size);
      if (!n.ok()) return n.status();
      if (n.value() == 0) return Error("receive from", "peer closed the connection");
      p += n.value();
      size -= n.value();
    }
    return Status::Ok();
  }

  Result<size_t> ReceiveSome(void* data, size_t size) override {
    while (arrived_.empty()) {
      if (peer_closed_) return size_t{0};
      Status st = WaitForProgress("waiting for data");
      if (!st.ok()) return st;
    }
    Arrival& a = arrived_.front();
    size_t n = std::min<size_t>(size, a.length - a.offset);
    std::memcpy(data, recv_buffer_.data() + size_t{a.slot} * slot_size_ + a.offset, n);
    a.offset += static_cast<uint32_t>(n);
    if (a.offset == a.length) {
      uint32_t wr_slot = a.wr_slot;
      arrived_.pop_front();
      Status st = Consumed(wr_slot);
      if (!st.ok()) return st;
    }
    return n;
  }

  Status Close() override {
    if (closed_ || id_ == nullptr) return Status::Ok();
    closed_ = true;
    Status st = SendControl(MessageKind::kEnd);
    while (st.ok() && !peer_closed_) {
      while (st.ok() && !arrived_.empty()) {
        uint32_t wr_slot = arrived_.front().wr_slot;
        arrived_.pop_front();
        st = Consumed(wr_slot);
      }
      if (st.ok() && !peer_closed_) st = WaitForProgress("closing: waiting for the peer's end of stream");
    }
    while (st.ok() && data_in_flight_ + control_in_flight_ > 0) st = WaitForProgress("closing: draining sends");
    verbs_.Disconnect(id_);  // fails harmlessly if the peer disconnected first
    while (st.ok()) {
      CmEvent event;
      if (verbs_.GetEvent(channel_, TimeoutMs(config_.timeout_s), &event) != 0) {
        st = Error("close", "no DISCONNECTED event within " + SecondsText(config_.timeout_s));
      } else if (event.type == RDMA_CM_EVENT_DISCONNECTED) {
        break;
      }
    }
    Release();
    return st.Wrap("close " + peer_);
  }

 private:
  struct Arrival {
    uint32_t slot;     // where the payload is in recv_buffer_
    uint32_t wr_slot;  // which receive to re-post once consumed (send mode)
    uint32_t length;
    uint32_t offset = 0;
  };

  bool SendQueueFull() const { return data_in_flight_ + control_in_flight_ >= kRdmaDepth + kRdmaControlReceives; }

  uint32_t TakeOwedCredits() {
    uint32_t credits = std::min(owed_credits_, kMaxCredits);
    owed_credits_ -= credits;
    return credits;
  }

  Status PostReceive(uint32_t slot) {
    ibv_sge sge{};
    sge.addr = reinterpret_cast<uintptr_t>(recv_buffer_.data()) + uint64_t{slot} * slot_size_;
    sge.length = slot_size_;
    sge.lkey = recv_mr_->lkey;
    ibv_recv_wr wr{};
    wr.wr_id = slot;
    wr.sg_list = &sge;
    wr.num_sge = 1;
    ibv_recv_wr* bad = nullptr;
    if (verbs_.PostRecv(id_->qp, &wr, &bad) != 0) return Errno("ibv_post_recv");
    return Status::Ok();
  }

  Status Post(WrId wr_id, const uint8_t* data, uint32_t length, const Immediate& imm, bool rdma_write,
              uint32_t peer_slot) {
    ibv_sge sge{};
    sge.addr = reinterpret_cast<uintptr_t>(data);
    sge.length = length;
    sge.lkey = send_mr_->lkey;
    ibv_send_wr wr{};
    wr.wr_id = wr_id;
    wr.sg_list = length > 0 ? &sge : nullptr;
    wr.num_sge = length > 0 ? 1 : 0;
    wr.opcode = rdma_write ? IBV_WR_RDMA_WRITE_WITH_IMM : IBV_WR_SEND_WITH_IMM;
    wr.send_flags = IBV_SEND_SIGNALED;
    wr.imm_data = htonl(EncodeImmediate(imm));
    if (rdma_write) {
      wr.wr.rdma.remote_addr = peer_ring_.addr + uint64_t{peer_slot} * peer_ring_.slot_size;
      wr.wr.rdma.rkey = peer_ring_.rkey;
    }
    ibv_send_wr* bad = nullptr;
    if (verbs_.PostSend(id_->qp, &wr, &bad) != 0) return Errno("ibv_post_send");
    return Status::Ok();
  }

  // Credit and end-of-stream messages: zero-length SEND_WITH_IMM into one of
  // the peer's control receives; they use no credit.
  Status SendControl(MessageKind kind) {
    while (SendQueueFull()) {
      Status st = WaitForProgress("waiting for a send queue entry");
      if (!st.ok()) return st;
    }
    Status st = Post(kWrControl, nullptr, 0, Immediate{kind, TakeOwedCredits(), 0}, false, 0);
    if (st.ok()) ++control_in_flight_;
    return st;
  }

  // A data message has been copied out: re-post its receive (send mode; in
  // write mode receives are re-posted on arrival) and owe the peer a credit,
  // returned on our next message or in a credit message once half the ring
  // is owed.
  Status Consumed(uint32_t wr_slot) {
    if (config_.rdma_op == RdmaOp::kSend) {
      Status st = PostReceive(wr_slot);
      if (!st.ok()) return st;
    }
    ++owed_credits_;
    if (owed_credits_ >= kRdmaDepth / 2) return SendControl(MessageKind::kCredit);
    return Status::Ok();
  }

  // Polls both completion queues once. *progress is set when anything
  // completed.
  Status PollOnce(bool* progress) {
    ibv_wc wc[16];
    int n = verbs_.PollCq(send_cq_, 16, wc);
    if (n < 0) return Errno("ibv_poll_cq (send)");
    for (int i = 0; i < n; ++i) {
      if (wc[i].status != IBV_WC_SUCCESS) return CompletionError("send", wc[i]);
      if (wc[i].wr_id == kWrData) {
        --data_in_flight_;
      } else {
        --control_in_flight_;
      }
    }
    *progress = n > 0;
    n = verbs_.PollCq(recv_cq_, 16, wc);
    if (n < 0) return Errno("ibv_poll_cq (receive)");
    for (int i = 0; i < n; ++i) {
      if (wc[i].status != IBV_WC_SUCCESS) return CompletionError("receive", wc[i]);
      if (!(wc[i].wc_flags & IBV_WC_WITH_IMM)) return Error("receive from", "message without immediate data");
      Immediate imm = DecodeImmediate(ntohl(wc[i].imm_data));
      send_credits_ += imm.credits;
      uint32_t wr_slot = static_cast<uint32_t>(wc[i].wr_id);
      if (imm.kind == MessageKind::kData) {
        bool write = wc[i].opcode == IBV_WC_RECV_RDMA_WITH_IMM;
        uint32_t slot = write ? static_cast<uint32_t>(arrived_seq_ % kRdmaDepth) : wr_slot;
        if (imm.length > slot_size_) return Error("receive from", "message larger than a slot");
        arrived_.push_back(Arrival{slot, wr_slot, imm.length});
        ++arrived_seq_;
        if (write) {
          Status st = PostReceive(wr_slot);
          if (!st.ok()) return st;
        }
      } else {
        if (imm.kind == MessageKind::kEnd) peer_closed_ = true;
        Status st = PostReceive(wr_slot);
        if (!st.ok()) return st;
      }
    }
    *progress = *progress || n > 0;
    return Status::Ok();
  }

  // Returns once at least one completion was processed, or an error when
  // nothing happened for the timeout.
  Status WaitForProgress(const std::string& what) {
    bool progress = false;
    auto spin_until = Clock::now() + kSpin;
    do {
      Status st = PollOnce(&progress);
      if (!st.ok() || progress) return st;
    } while (Clock::now() < spin_until);
    auto deadline = Clock::now() + std::chrono::duration<double>(config_.timeout_s);
    while (true) {
      if (verbs_.ReqNotifyCq(send_cq_) != 0 || verbs_.ReqNotifyCq(recv_cq_) != 0) return Errno("ibv_req_notify_cq");
      // A completion may have arrived before the CQs were armed.
      Status st = PollOnce(&progress);
      if (!st.ok() || progress) return st;
      auto left = std::chrono::duration<double>(deadline - Clock::now()).count();
      if (left <= 0 || verbs_.WaitCqEvent(comp_channel_, TimeoutMs(left)) != 0) {
        if (left <= 0 || errno == ETIMEDOUT) {
          return Error(what, "peer silent for " + SecondsText(config_.timeout_s));
        }
        return Errno("ibv_get_cq_event");
      }
    }
  }

  Status CompletionError(const std::string& direction, const ibv_wc& wc) {
    return Error(direction + " completion from", verbs_.WcStatusText(wc.status) + " (status " +
                                                     std::to_string(static_cast<int>(wc.status)) + ")");
  }

  Status Error(const std::string& op, const std::string& cause) const {
    return Status::Error(op + " " + peer_ + ": " + cause);
  }
  Status Errno(const std::string& call) const {
    return Status::Error("rdma connection " + peer_ + ": " + call + ": " + std::strerror(errno));
  }

  void Release() {
    if (qp_created_) verbs_.DestroyQp(id_);
    qp_created_ = false;
    if (send_mr_ != nullptr) verbs_.DeregMr(send_mr_);
    if (recv_mr_ != nullptr) verbs_.DeregMr(recv_mr_);
    if (send_cq_ != nullptr) verbs_.DestroyCq(send_cq_);
    if (recv_cq_ != nullptr) verbs_.DestroyCq(recv_cq_);
    if (comp_channel_ != nullptr) verbs_.DestroyCompChannel(comp_channel_);
    if (pd_ != nullptr) verbs_.DeallocPd(pd_);
    if (id_ != nullptr) verbs_.DestroyId(id_);
    if (channel_ != nullptr) verbs_.DestroyEventChannel(channel_);
    send_mr_ = recv_mr_ = nullptr;
    send_cq_ = recv_cq_ = nullptr;
    comp_channel_ = nullptr;
    pd_ = nullptr;
    id_ = nullptr;
    channel_ = nullptr;
  }

  VerbsApi& verbs_;
  TransportConfig config_;
  std::string peer_;
  uint32_t slot_size_;
  uint32_t chunk_ = 0;

  rdma_event_channel* channel_ = nullptr;
  rdma_cm_id* id_ = nullptr;
  ibv_pd* pd_ = nullptr;
  ibv_comp_channel* comp_channel_ = nullptr;
  ibv_cq* send_cq_ = nullptr;
  ibv_cq* recv_cq_ = nullptr;
  bool qp_created_ = false;
  ibv_mr* send_mr_ = nullptr;
  ibv_mr* recv_mr_ = nullptr;
  std::vector<uint8_t> send_buffer_;
  std::vector<uint8_t> recv_buffer_;

  RingInfo peer_ring_;
  uint32_t send_credits_ = 0;     // data messages the peer has room for
  uint32_t owed_credits_ = 0;     // slots we freed and have not reported
  uint32_t data_in_flight_ = 0;   // data sends without completion
  uint32_t control_in_flight_ = 0;
  uint64_t send_seq_ = 0;
  uint64_t arrived_seq_ = 0;
  std::deque<Arrival> arrived_;   // received, not yet fully read
  bool peer_closed_ = false;
  bool closed_ = false;
};

class RdmaListener : public Listener {
 public:
  RdmaListener(VerbsApi& verbs, const TransportConfig& config, std::string where)
      : verbs_(verbs), config_(config), where_(std::move(where)) {}
  ~RdmaListener() override {
    if (id_ != nullptr) verbs_.DestroyId(id_);
    if (channel_ != nullptr) verbs_.DestroyEventChannel(channel_);
  }

  Status Start(const std::string& host, uint16_t port) {
    channel_ = verbs_.CreateEventChannel();
    if (channel_ == nullptr) return Errno("rdma_create_event_channel");
    if (verbs_.CreateId(channel_, &id_) != 0) {
      id_ = nullptr;
      return Errno("rdma_create_id");
    }
    Result<sockaddr_storage> addr = ResolveAddress(host, port, true);
    if (!addr.ok()) return addr.status().Wrap("listen on " + where_);
    if (verbs_.BindAddr(id_, reinterpret_cast<sockaddr*>(&addr.value())) != 0) return Errno("rdma_bind_addr");
    if (verbs_.Listen(id_, 128) != 0) return Errno("rdma_listen");
    return Status::Ok();
  }

  Result<std::unique_ptr<Connection>> Accept() override {
    std::lock_guard<std::mutex> lock(mu_);
    Result<CmEvent> request = ExpectEvent(verbs_, channel_, RDMA_CM_EVENT_CONNECT_REQUEST,
                                          config_.accept_timeout_s > 0 ? config_.accept_timeout_s : config_.timeout_s);
    if (!request.ok()) return request.status().Wrap("accept on " + where_);
    rdma_cm_id* id = request.value().id;
    auto conn = std::make_unique<RdmaConnection>(verbs_, config_, "client of " + where_);
    // Give the connection its own event channel so its DISCONNECTED event
    // does not land on the listener's.
    rdma_event_channel* channel = verbs_.CreateEventChannel();
    if (channel == nullptr) {
      verbs_.DestroyId(id);
      return Errno("rdma_create_event_channel");
    }
    if (verbs_.MigrateId(id, channel) != 0) {
      Status st = Errno("rdma_migrate_id");
      verbs_.DestroyId(id);
      verbs_.DestroyEventChannel(channel);
      return st;
    }
    conn->Adopt(channel, id);
    Status st = conn->SetUp();
    if (st.ok()) st = conn->SetPeerRing(request.value().private_data);
    if (!st.ok()) {
      verbs_.Reject(id);  // the client learns at once instead of timing out
      return st.Wrap("accept on " + where_);
    }
    std::vector<uint8_t> ring = conn->LocalRing();
    rdma_conn_param param = conn->ConnParam(ring);
    if (verbs_.Accept(id, &param) != 0) return Errno("rdma_accept");
    Result<CmEvent> established = ExpectEvent(verbs_, channel, RDMA_CM_EVENT_ESTABLISHED, config_.timeout_s);
    if (!established.ok()) return established.status().Wrap("accept on " + where_);
    return std::unique_ptr<Connection>(std::move(conn));
  }

 private:
  Status Errno(const std::string& call) const {
    return Status::Error("listen on " + where_ + ": " + call + ": " + std::strerror(errno));
  }

  VerbsApi& verbs_;
  TransportConfig config_;
  std::string where_;
  std::mutex mu_;  // serialises Accept: events on channel_ are consumed in order
  rdma_event_channel* channel_ = nullptr;
  rdma_cm_id* id_ = nullptr;
};

class RdmaTransport : public Transport {
 public:
  RdmaTransport(VerbsApi& verbs, const TransportConfig& config) : verbs_(verbs), config_(config) {}

  Result<std::unique_ptr<Listener>> Listen(const std::string& host, uint16_t port) override {
    auto listener = std::make_unique<RdmaListener>(verbs_, config_, Endpoint(host, port));
    Status st = listener->Start(host, port);
    if (!st.ok()) return st;
    return std::unique_ptr<Listener>(std::move(listener));
  }

  Result<std::unique_ptr<Connection>> Connect(const std::string& host, uint16_t port) override {
    std::string where = Endpoint(host, port);
    auto fail = [&](const std::string& what) {
      return Status::Error("connect to " + where + ": " + what + ": " + std::strerror(errno));
    };
    rdma_event_channel* channel = verbs_.CreateEventChannel();
    if (channel == nullptr) return fail("rdma_create_event_channel");
    rdma_cm_id* id = nullptr;
    if (verbs_.CreateId(channel, &id) != 0) {
      Status st = fail("rdma_create_id");
      verbs_.DestroyEventChannel(channel);
      return st;
    }
    auto conn = std::make_unique<RdmaConnection>(verbs_, config_, where);
    conn->Adopt(channel, id);  // released with conn on every error below

    Result<sockaddr_storage> addr = ResolveAddress(host, port, false);
    if (!addr.ok()) return addr.status().Wrap("connect to " + where);
    int ms = TimeoutMs(config_.timeout_s);
    if (verbs_.ResolveAddr(id, reinterpret_cast<sockaddr*>(&addr.value()), ms) != 0) return fail("rdma_resolve_addr");
    Result<CmEvent> ev = ExpectEvent(verbs_, channel, RDMA_CM_EVENT_ADDR_RESOLVED, config_.timeout_s);
    if (!ev.ok()) return ev.status().Wrap("connect to " + where);
    if (verbs_.ResolveRoute(id, ms) != 0) return fail("rdma_resolve_route");
    ev = ExpectEvent(verbs_, channel, RDMA_CM_EVENT_ROUTE_RESOLVED, config_.timeout_s);
    if (!ev.ok()) return ev.status().Wrap("connect to " + where);

    Status st = conn->SetUp();
    if (!st.ok()) return st.Wrap("connect to " + where);
    std::vector<uint8_t> ring = conn->LocalRing();
    rdma_conn_param param = conn->ConnParam(ring);
    if (verbs_.Connect(id, &param) != 0) return fail("rdma_connect");
    ev = ExpectEvent(verbs_, channel, RDMA_CM_EVENT_ESTABLISHED, config_.timeout_s);
    if (!ev.ok()) return ev.status().Wrap("connect to " + where);
    st = conn->SetPeerRing(ev.value().private_data);
    if (!st.ok()) return st;
    return std::unique_ptr<Connection>(std::move(conn));
  }

 private:
  VerbsApi& verbs_;
  TransportConfig config_;
};

}  // namespace

std::unique_ptr<Transport> MakeRdmaTransport(VerbsApi& verbs, const TransportConfig& config) {
  return std::make_unique<RdmaTransport>(verbs, config);
}

}  // namespace bench
