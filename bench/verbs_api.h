// Every libibverbs and librdmacm call the rdma transport makes, behind one
// interface. The real implementation forwards to the libraries; unit tests
// use a fake that records calls and plays back events and completions, so the
// transport's logic is tested up to the verbs boundary on machines without
// an RDMA device. Return values and errno follow the libraries.
#pragma once

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bench {

// The parts of an rdma_cm_event the transport uses, copied out so the event
// can be acknowledged at once.
struct CmEvent {
  rdma_cm_event_type type = RDMA_CM_EVENT_ADDR_ERROR;
  int status = 0;
  rdma_cm_id* id = nullptr;
  std::vector<uint8_t> private_data;
};

class VerbsApi {
 public:
  virtual ~VerbsApi() = default;

  // Names of the devices ibv_get_device_list() returns (empty if none).
  // Sets *error to errno when the call itself fails.
  virtual std::vector<std::string> DeviceNames(int* error) = 0;

  virtual rdma_event_channel* CreateEventChannel() = 0;
  virtual void DestroyEventChannel(rdma_event_channel* channel) = 0;
  virtual int CreateId(rdma_event_channel* channel, rdma_cm_id** id) = 0;  // RDMA_PS_TCP
  virtual int DestroyId(rdma_cm_id* id) = 0;
  virtual int MigrateId(rdma_cm_id* id, rdma_event_channel* channel) = 0;
  virtual int ResolveAddr(rdma_cm_id* id, sockaddr* dst, int timeout_ms) = 0;
  virtual int ResolveRoute(rdma_cm_id* id, int timeout_ms) = 0;
  virtual int BindAddr(rdma_cm_id* id, sockaddr* addr) = 0;
  virtual int Listen(rdma_cm_id* id, int backlog) = 0;
  virtual int Connect(rdma_cm_id* id, rdma_conn_param* param) = 0;
  virtual int Accept(rdma_cm_id* id, rdma_conn_param* param) = 0;
  virtual int Reject(rdma_cm_id* id) = 0;
  virtual int Disconnect(rdma_cm_id* id) = 0;
  // Waits up to timeout_ms for the next event on the channel, copies it into
  // *event and acknowledges it. Returns -1 with errno ETIMEDOUT on timeout.
  virtual int GetEvent(rdma_event_channel* channel, int timeout_ms, CmEvent* event) = 0;

  virtual ibv_pd* AllocPd(ibv_context* context) = 0;
  virtual int DeallocPd(ibv_pd* pd) = 0;
  virtual ibv_comp_channel* CreateCompChannel(ibv_context* context) = 0;
  virtual int DestroyCompChannel(ibv_comp_channel* channel) = 0;
  virtual ibv_cq* CreateCq(ibv_context* context, int entries, ibv_comp_channel* channel) = 0;
  virtual int DestroyCq(ibv_cq* cq) = 0;
  virtual int CreateQp(rdma_cm_id* id, ibv_pd* pd, ibv_qp_init_attr* attr) = 0;
  virtual void DestroyQp(rdma_cm_id* id) = 0;
  virtual ibv_mr* RegMr(ibv_pd* pd, void* addr, size_t length, int access) = 0;
  virtual int DeregMr(ibv_mr* mr) = 0;
  virtual int PostSend(ibv_qp* qp, ibv_send_wr* wr, ibv_send_wr** bad) = 0;
  virtual int PostRecv(ibv_qp* qp, ibv_recv_wr* wr, ibv_recv_wr** bad) = 0;
  virtual int PollCq(ibv_cq* cq, int entries, ibv_wc* wc) = 0;
  // Arms cq so its next completion raises an event on its completion channel.
  virtual int ReqNotifyCq(ibv_cq* cq) = 0;
  // Waits up to timeout_ms for a completion event, takes and acknowledges it.
  // Returns -1 with errno ETIMEDOUT on timeout.
  virtual int WaitCqEvent(ibv_comp_channel* channel, int timeout_ms) = 0;
  virtual std::string WcStatusText(ibv_wc_status status) = 0;
  virtual std::string EventText(rdma_cm_event_type type) = 0;
};

std::unique_ptr<VerbsApi> MakeLibVerbsApi();

}  // namespace bench
