// A VerbsApi for unit tests: devices, rdma_cm events and completions are
// scripted by the test; every call the transport makes is recorded so tests
// assert on what would have reached the hardware. Objects it hands out are
// plain structs owned by the fake.
#pragma once

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/verbs_api.h"

namespace bench::testing {

struct PostedSend {
  uint64_t wr_id;
  ibv_wr_opcode opcode;
  uint32_t imm_host;  // ntohl(imm_data)
  uint64_t remote_addr;
  uint32_t rkey;
  uint32_t length;
  std::string payload;
};

class FakeVerbs : public VerbsApi {
 public:
  std::vector<std::string> devices;
  int device_list_errno = 0;
  std::deque<CmEvent> events;      // played back by GetEvent, in order
  bool complete_sends = true;      // each PostSend queues a successful completion
  std::map<ibv_cq*, std::deque<ibv_wc>> completions;

  std::vector<PostedSend> sends;
  std::vector<ibv_recv_wr> receives;
  std::vector<ibv_qp_init_attr> qps;
  std::vector<std::vector<uint8_t>> connect_private_data;
  std::vector<std::vector<uint8_t>> accept_private_data;
  std::vector<ibv_mr*> mrs;
  std::vector<ibv_cq*> cqs;
  int migrated = 0;
  int disconnects = 0;
  int rejects = 0;
  int live_ids = 0;
  int live_channels = 0;

  ~FakeVerbs() override {
    for (ibv_mr* mr : all_mrs_) delete mr;
    for (ibv_cq* cq : all_cqs_) delete cq;
  }

  rdma_cm_id* NewId() {
    ids_.push_back(std::make_unique<rdma_cm_id>());
    ids_.back()->verbs = &context_;
    ++live_ids;
    return ids_.back().get();
  }

  // A receive completion as the HCA would report it.
  void Deliver(ibv_cq* cq, uint64_t wr_id, uint32_t imm_host, ibv_wc_opcode opcode, uint32_t byte_len = 0) {
    ibv_wc wc{};
    wc.wr_id = wr_id;
    wc.status = IBV_WC_SUCCESS;
    wc.opcode = opcode;
    wc.wc_flags = IBV_WC_WITH_IMM;
    wc.imm_data = htonl(imm_host);
    wc.byte_len = byte_len;
    completions[cq].push_back(wc);
  }

  std::vector<std::string> DeviceNames(int* error) override {
    *error = device_list_errno;
    return devices;
  }
  rdma_event_channel* CreateEventChannel() override {
    channels_.push_back(std::make_unique<rdma_event_channel>());
    ++live_channels;
    return channels_.back().get();
  }
  void DestroyEventChannel(rdma_event_channel*) override { --live_channels; }
  int CreateId(rdma_event_channel*, rdma_cm_id** id) override {
    *id = NewId();
    return 0;
  }
  int DestroyId(rdma_cm_id*) override {
    --live_ids;
    return 0;
  }
  int MigrateId(rdma_cm_id*, rdma_event_channel*) override {
    ++migrated;
    return 0;
  }
  int ResolveAddr(rdma_cm_id*, sockaddr*, int) override { return 0; }
  int ResolveRoute(rdma_cm_id*, int) override { return 0; }
  int BindAddr(rdma_cm_id*, sockaddr*) override { return 0; }
  int Listen(rdma_cm_id*, int) override { return 0; }
  int Connect(rdma_cm_id*, rdma_conn_param* p) override {
    auto* d = static_cast<const uint8_t*>(p->private_data);
    connect_private_data.emplace_back(d, d + p->private_data_len);
    return 0;
  }
  int Accept(rdma_cm_id*, rdma_conn_param* p) override {
    auto* d = static_cast<const uint8_t*>(p->private_data);
    accept_private_data.emplace_back(d, d + p->private_data_len);
    return 0;
  }
  int Reject(rdma_cm_id*) override {
    ++rejects;
    return 0;
  }
  int Disconnect(rdma_cm_id*) override {
    ++disconnects;
    return 0;
  }
  int GetEvent(rdma_event_channel*, int, CmEvent* event) override {
    if (events.empty()) {
      errno = ETIMEDOUT;
      return -1;
    }
    *event = events.front();
    events.pop_front();
    return 0;
  }

  ibv_pd* AllocPd(ibv_context*) override { return &pd_; }
  int DeallocPd(ibv_pd*) override { return 0; }
  ibv_comp_channel* CreateCompChannel(ibv_context*) override { return &comp_channel_; }
  int DestroyCompChannel(ibv_comp_channel*) override { return 0; }
  ibv_cq* CreateCq(ibv_context*, int, ibv_comp_channel*) override {
    auto* cq = new ibv_cq{};
    all_cqs_.push_back(cq);
    cqs.push_back(cq);
    return cq;
  }
  int DestroyCq(ibv_cq*) override { return 0; }
  int CreateQp(rdma_cm_id* id, ibv_pd*, ibv_qp_init_attr* attr) override {
    qps.push_back(*attr);
    qps_.push_back(std::make_unique<ibv_qp>());
    qps_.back()->send_cq = attr->send_cq;
    qps_.back()->recv_cq = attr->recv_cq;
    id->qp = qps_.back().get();
    return 0;
  }
  void DestroyQp(rdma_cm_id* id) override { id->qp = nullptr; }
  ibv_mr* RegMr(ibv_pd*, void* addr, size_t length, int access) override {
    auto* mr = new ibv_mr{};
    mr->addr = addr;
    mr->length = length;
    mr->lkey = 0x100 + static_cast<uint32_t>(all_mrs_.size());
    mr->rkey = (access & IBV_ACCESS_REMOTE_WRITE) ? 0xbeef0000u + static_cast<uint32_t>(all_mrs_.size()) : 0;
    all_mrs_.push_back(mr);
    mrs.push_back(mr);
    return mr;
  }
  int DeregMr(ibv_mr*) override { return 0; }
  int PostSend(ibv_qp* qp, ibv_send_wr* wr, ibv_send_wr**) override {
    PostedSend s{wr->wr_id, wr->opcode, ntohl(wr->imm_data), wr->wr.rdma.remote_addr, wr->wr.rdma.rkey, 0, ""};
    if (wr->num_sge > 0) {
      s.length = wr->sg_list[0].length;
      s.payload.assign(reinterpret_cast<const char*>(wr->sg_list[0].addr), s.length);
    }
    sends.push_back(s);
    if (complete_sends) {
      ibv_wc wc{};
      wc.wr_id = wr->wr_id;
      wc.status = IBV_WC_SUCCESS;
      completions[qp->send_cq].push_back(wc);
    }
    return 0;
  }
  int PostRecv(ibv_qp*, ibv_recv_wr* wr, ibv_recv_wr**) override {
    receives.push_back(*wr);
    return 0;
  }
  int PollCq(ibv_cq* cq, int n, ibv_wc* wc) override {
    auto& q = completions[cq];
    int taken = 0;
    while (taken < n && !q.empty()) {
      wc[taken++] = q.front();
      q.pop_front();
    }
    return taken;
  }
  int ReqNotifyCq(ibv_cq*) override { return 0; }
  int WaitCqEvent(ibv_comp_channel*, int) override {
    errno = ETIMEDOUT;  // nothing more will ever arrive
    return -1;
  }
  std::string WcStatusText(ibv_wc_status s) override {
    return s == IBV_WC_RETRY_EXC_ERR ? "transport retry counter exceeded" : "status " + std::to_string(s);
  }
  std::string EventText(rdma_cm_event_type t) override {
    switch (t) {
      case RDMA_CM_EVENT_ADDR_RESOLVED: return "RDMA_CM_EVENT_ADDR_RESOLVED";
      case RDMA_CM_EVENT_ROUTE_RESOLVED: return "RDMA_CM_EVENT_ROUTE_RESOLVED";
      case RDMA_CM_EVENT_CONNECT_REQUEST: return "RDMA_CM_EVENT_CONNECT_REQUEST";
      case RDMA_CM_EVENT_ESTABLISHED: return "RDMA_CM_EVENT_ESTABLISHED";
      case RDMA_CM_EVENT_REJECTED: return "RDMA_CM_EVENT_REJECTED";
      case RDMA_CM_EVENT_DISCONNECTED: return "RDMA_CM_EVENT_DISCONNECTED";
      default: return "event " + std::to_string(t);
    }
  }

 private:
  ibv_context context_{};
  ibv_pd pd_{};
  ibv_comp_channel comp_channel_{};
  std::vector<std::unique_ptr<rdma_event_channel>> channels_;
  std::vector<std::unique_ptr<rdma_cm_id>> ids_;
  std::vector<std::unique_ptr<ibv_qp>> qps_;
  std::vector<ibv_mr*> all_mrs_;
  std::vector<ibv_cq*> all_cqs_;
};

}  // namespace bench::testing
