#include "agent/host/netlink_socket.h"

#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace host {

Result<std::unique_ptr<NetlinkSocket>> NetlinkSocket::Open(int protocol, uint32_t groups) {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (fd < 0) return SystemError("open netlink socket (protocol " + std::to_string(protocol) + ")", errno);
  std::unique_ptr<NetlinkSocket> sock(new NetlinkSocket(fd));
  int one = 1;
  // Extended acks carry the kernel's reason in words; capped acks keep the
  // echoed request short. Both are optional, so failures are ignored.
  ::setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  ::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  int rcvbuf = 1 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = groups;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return SystemError("bind netlink socket (protocol " + std::to_string(protocol) + ")", errno);
  }
  return sock;
}

NetlinkSocket::~NetlinkSocket() { ::close(fd_); }

Result<std::vector<uint8_t>> NetlinkSocket::ReceiveDatagram() {
  for (;;) {
    // Peek the size first: a dump entry for a PF with many VFs can exceed
    // any fixed buffer.
    ssize_t size = ::recv(fd_, nullptr, 0, MSG_PEEK | MSG_TRUNC);
    if (size < 0 && errno == EINTR) continue;
    if (size < 0) return SystemError("netlink receive", errno);
    std::vector<uint8_t> buf(static_cast<size_t>(size));
    ssize_t got = ::recv(fd_, buf.data(), buf.size(), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return SystemError("netlink receive", errno);
    buf.resize(static_cast<size_t>(got));
    return buf;
  }
}

Status NetlinkSocket::Transact(NetlinkRequest request, const std::string& what, const ReplyHandler& on_reply) {
  const uint32_t seq = seq_++;
  std::vector<uint8_t> msg = request.Finish(seq);
  nlmsghdr h;
  std::memcpy(&h, msg.data(), sizeof(h));
  const bool dump = (h.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  if (!dump) {
    h.nlmsg_flags |= NLM_F_ACK;
    std::memcpy(msg.data(), &h, sizeof(h));
  }
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = ::sendto(fd_, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel));
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return SystemError(what + ": netlink send", errno);

  Status handler_status;
  for (;;) {
    auto buf = ReceiveDatagram();
    if (!buf.ok()) return Error{what + ": " + buf.error().message, buf.error().sys_errno};
    auto msgs = ParseNetlinkMessages(*buf);
    if (!msgs.ok()) return Error{what + ": " + msgs.error().message, msgs.error().sys_errno};
    for (const NetlinkMessage& m : *msgs) {
      if (m.seq != seq) continue;  // a stale reply to an earlier, abandoned request
      if (m.type == NLMSG_DONE) {
        if (!dump) continue;
        // A dump can end with an error code in its DONE payload.
        if (m.payload.size() >= sizeof(int)) {
          int err;
          std::memcpy(&err, m.payload.data(), sizeof(err));
          if (err < 0) return SystemError(what, -err);
        }
        return handler_status;
      }
      if (m.type == NLMSG_ERROR) {
        auto ack = ParseNetlinkAck(m);
        if (!ack.ok()) return Error{what + ": " + ack.error().message, ack.error().sys_errno};
        if (ack->error != 0) {
          Error e = SystemError(what, ack->error);
          if (!ack->message.empty()) e.message += " (kernel: " + ack->message + ")";
          return e;
        }
        if (!dump) return handler_status;
        continue;
      }
      if (on_reply && handler_status.ok()) handler_status = on_reply(m);
    }
  }
}

Result<bool> NetlinkSocket::ReceiveEvents(std::chrono::milliseconds timeout, const ReplyHandler& on_message) {
  pollfd p{fd_, POLLIN, 0};
  int n;
  do {
    n = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return SystemError("wait for netlink events", errno);
  if (n == 0) return false;
  auto buf = ReceiveDatagram();
  if (!buf.ok()) return buf.error();
  auto msgs = ParseNetlinkMessages(*buf);
  if (!msgs.ok()) return msgs.error();
  for (const NetlinkMessage& m : *msgs) {
    Status st = on_message(m);
    if (!st.ok()) return st.error();
  }
  return true;
}

}  // namespace host
