#include "bench/verbs_api.h"

#include <poll.h>

#include <cerrno>

namespace bench {
namespace {

class LibVerbsApi : public VerbsApi {
 public:
  std::vector<std::string> DeviceNames(int* error) override {
    std::vector<std::string> names;
    int count = 0;
    errno = 0;
    ibv_device** list = ::ibv_get_device_list(&count);
    if (list == nullptr) {
      *error = errno;
      return names;
    }
    for (int i = 0; i < count; ++i) names.emplace_back(::ibv_get_device_name(list[i]));
    ::ibv_free_device_list(list);
    *error = 0;
    return names;
  }

  rdma_event_channel* CreateEventChannel() override { return ::rdma_create_event_channel(); }
  void DestroyEventChannel(rdma_event_channel* c) override { ::rdma_destroy_event_channel(c); }
  int CreateId(rdma_event_channel* c, rdma_cm_id** id) override {
    return ::rdma_create_id(c, id, nullptr, RDMA_PS_TCP);
  }
  int DestroyId(rdma_cm_id* id) override { return ::rdma_destroy_id(id); }
  int MigrateId(rdma_cm_id* id, rdma_event_channel* c) override { return ::rdma_migrate_id(id, c); }
  int ResolveAddr(rdma_cm_id* id, sockaddr* dst, int t) override { return ::rdma_resolve_addr(id, nullptr, dst, t); }
  int ResolveRoute(rdma_cm_id* id, int t) override { return ::rdma_resolve_route(id, t); }
  int BindAddr(rdma_cm_id* id, sockaddr* a) override { return ::rdma_bind_addr(id, a); }
  int Listen(rdma_cm_id* id, int backlog) override { return ::rdma_listen(id, backlog); }
  int Connect(rdma_cm_id* id, rdma_conn_param* p) override { return ::rdma_connect(id, p); }
  int Accept(rdma_cm_id* id, rdma_conn_param* p) override { return ::rdma_accept(id, p); }
  int Reject(rdma_cm_id* id) override { return ::rdma_reject(id, nullptr, 0); }
  int Disconnect(rdma_cm_id* id) override { return ::rdma_disconnect(id); }

  int GetEvent(rdma_event_channel* channel, int timeout_ms, CmEvent* out) override {
    pollfd p{channel->fd, POLLIN, 0};
    int rc = 0;
    do {
      rc = ::poll(&p, 1, timeout_ms);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) return -1;
    if (rc == 0) {
      errno = ETIMEDOUT;
      return -1;
    }
    rdma_cm_event* event = nullptr;
    if (::rdma_get_cm_event(channel, &event) != 0) return -1;
    out->type = event->event;
    out->status = event->status;
    out->id = event->id;
    const auto* data = static_cast<const uint8_t*>(event->param.conn.private_data);
    out->private_data.assign(data, data == nullptr ? data : data + event->param.conn.private_data_len);
    ::rdma_ack_cm_event(event);
    return 0;
  }

  ibv_pd* AllocPd(ibv_context* c) override { return ::ibv_alloc_pd(c); }
  int DeallocPd(ibv_pd* pd) override { return ::ibv_dealloc_pd(pd); }
  ibv_comp_channel* CreateCompChannel(ibv_context* c) override { return ::ibv_create_comp_channel(c); }
  int DestroyCompChannel(ibv_comp_channel* c) override { return ::ibv_destroy_comp_channel(c); }
  ibv_cq* CreateCq(ibv_context* c, int n, ibv_comp_channel* ch) override {
    return ::ibv_create_cq(c, n, nullptr, ch, 0);
  }
  int DestroyCq(ibv_cq* cq) override { return ::ibv_destroy_cq(cq); }
  int CreateQp(rdma_cm_id* id, ibv_pd* pd, ibv_qp_init_attr* a) override { return ::rdma_create_qp(id, pd, a); }
  void DestroyQp(rdma_cm_id* id) override { ::rdma_destroy_qp(id); }
  ibv_mr* RegMr(ibv_pd* pd, void* addr, size_t len, int access) override { return ::ibv_reg_mr(pd, addr, len, access); }
  int DeregMr(ibv_mr* mr) override { return ::ibv_dereg_mr(mr); }
  int PostSend(ibv_qp* qp, ibv_send_wr* wr, ibv_send_wr** bad) override { return ::ibv_post_send(qp, wr, bad); }
  int PostRecv(ibv_qp* qp, ibv_recv_wr* wr, ibv_recv_wr** bad) override { return ::ibv_post_recv(qp, wr, bad); }
  int PollCq(ibv_cq* cq, int n, ibv_wc* wc) override { return ::ibv_poll_cq(cq, n, wc); }
  int ReqNotifyCq(ibv_cq* cq) override { return ::ibv_req_notify_cq(cq, 0); }
  int WaitCqEvent(ibv_comp_channel* channel, int timeout_ms) override {
    pollfd p{channel->fd, POLLIN, 0};
    int rc = 0;
    do {
      rc = ::poll(&p, 1, timeout_ms);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) return -1;
    if (rc == 0) {
      errno = ETIMEDOUT;
      return -1;
    }
    ibv_cq* cq = nullptr;
    void* context = nullptr;
    if (::ibv_get_cq_event(channel, &cq, &context) != 0) return -1;
    ::ibv_ack_cq_events(cq, 1);
    return 0;
  }
  std::string WcStatusText(ibv_wc_status s) override { return ::ibv_wc_status_str(s); }
  std::string EventText(rdma_cm_event_type t) override { return ::rdma_event_str(t); }
};

}  // namespace

std::unique_ptr<VerbsApi> MakeLibVerbsApi() { return std::make_unique<LibVerbsApi>(); }

}  // namespace bench
