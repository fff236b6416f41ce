// NetlinkSocket: one netlink socket (NETLINK_ROUTE, NETLINK_RDMA, ...) and
// the request/reply exchange on it: send a request, collect the replies until
// the kernel's acknowledgement or the end of a dump, and turn a kernel error
// (with its extended-ack text when there is one) into an Error.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "agent/host/netlink_message.h"

namespace host {

class NetlinkSocket {
 public:
  // `groups` subscribes to multicast groups (e.g. RTMGRP_LINK) for events.
  static Result<std::unique_ptr<NetlinkSocket>> Open(int protocol, uint32_t groups = 0);
  ~NetlinkSocket();
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;

  using ReplyHandler = std::function<Status(const NetlinkMessage&)>;
  // Sends the request (NLM_F_ACK is added unless it is a dump) and calls
  // `on_reply` for every data message that answers it. `what` names the
  // operation for error text ("set mtu 9000 on eth0").
  Status Transact(NetlinkRequest request, const std::string& what, const ReplyHandler& on_reply = {});

  // For event sockets: waits up to `timeout` for one datagram and calls
  // `on_message` for each message in it. Returns false on timeout.
  Result<bool> ReceiveEvents(std::chrono::milliseconds timeout, const ReplyHandler& on_message);

  int fd() const { return fd_; }

 private:
  explicit NetlinkSocket(int fd) : fd_(fd) {}
  Result<std::vector<uint8_t>> ReceiveDatagram();

  int fd_;
  uint32_t seq_ = 1;
};

}  // namespace host
