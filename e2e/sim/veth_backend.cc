#include "e2e/sim/veth_backend.h"

#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/host/netlink.h"
#include "agent/host/rtnetlink_codec.h"

namespace sim {

using host::Error;
using host::NetlinkMessage;
using host::NetlinkRequest;
using host::NetlinkSocket;
using host::Result;
using host::Status;

namespace {

Result<int> LinkIndex(NetlinkSocket& sock, const std::string& name) {
  NetlinkRequest get(RTM_GETLINK, NLM_F_REQUEST);
  ifinfomsg q{};
  q.ifi_family = AF_UNSPEC;
  get.AddHeader(q);
  get.AddString(IFLA_IFNAME, name);
  int index = 0;
  Status st = sock.Transact(std::move(get), "find link " + name, [&](const NetlinkMessage& m) -> Status {
    if (m.type == RTM_NEWLINK && m.payload.size() >= sizeof(ifinfomsg)) {
      ifinfomsg got;
      std::memcpy(&got, m.payload.data(), sizeof(got));
      index = got.ifi_index;
    }
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  return index;
}

}  // namespace

Result<std::unique_ptr<VethBackend>> VethBackend::Open(int fabric_netns_fd, const std::string& fabric_bridge) {
  std::unique_ptr<VethBackend> b(new VethBackend());
  b->fabric_fd_ = fabric_netns_fd;
  auto node = NetlinkSocket::Open(NETLINK_ROUTE);
  if (!node.ok()) return node.error();
  b->node_ = std::move(*node);
  auto events = NetlinkSocket::Open(NETLINK_ROUTE, RTMGRP_LINK);
  if (!events.ok()) return events.error();
  b->events_ = std::move(*events);
  if (fabric_netns_fd < 0) {
    auto peer = NetlinkSocket::Open(NETLINK_ROUTE);
    if (!peer.ok()) return peer.error();
    b->peer_ = std::move(*peer);
    Status st = b->FindBridge(fabric_bridge);
    if (!st.ok()) return st.error();
    return b;
  }
  // A netlink socket belongs to the namespace it is created in: step into
  // the fabric namespace just long enough to open one.
  int self = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) return host::SystemError("open own network namespace", errno);
  if (::setns(fabric_netns_fd, CLONE_NEWNET) != 0) {
    int err = errno;
    ::close(self);
    return host::SystemError("enter fabric network namespace", err);
  }
  auto peer = NetlinkSocket::Open(NETLINK_ROUTE);
  int back = ::setns(self, CLONE_NEWNET);
  ::close(self);
  if (back != 0) return host::SystemError("return to node network namespace", errno);
  if (!peer.ok()) return peer.error();
  b->peer_ = std::move(*peer);
  Status st = b->FindBridge(fabric_bridge);
  if (!st.ok()) return st.error();
  return b;
}

Status VethBackend::FindBridge(const std::string& bridge) {
  if (bridge.empty()) return Status::Ok();
  auto index = LinkIndex(*peer_, bridge);
  if (!index.ok()) {
    return Error{
        "fabric bridge " + bridge + ": " + index.error().message + " (create it in the fabric namespace first)",
        index.error().sys_errno};
  }
  bridge_index_ = *index;
  return Status::Ok();
}

Result<Netdev> VethBackend::Create(const std::string& name, const std::string& mac) {
  const std::string what = "create veth " + name;
  NetlinkRequest req(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  req.AddHeader(ifi);
  req.AddString(IFLA_IFNAME, name);
  auto bytes = host::ParseMac(mac);
  if (!bytes.ok()) return Error{what + ": " + bytes.error().message, EINVAL};
  req.AddAttr(IFLA_ADDRESS, bytes->data(), bytes->size());
  size_t info = req.BeginNested(IFLA_LINKINFO);
  req.AddString(IFLA_INFO_KIND, "veth");
  size_t data = req.BeginNested(IFLA_INFO_DATA);
  size_t peer = req.BeginNested(VETH_INFO_PEER);
  ifinfomsg peer_ifi{};
  peer_ifi.ifi_family = AF_UNSPEC;
  req.AddHeader(peer_ifi);  // no name: the kernel picks vethN where it lands
  if (fabric_fd_ >= 0) req.AddU32(IFLA_NET_NS_FD, static_cast<uint32_t>(fabric_fd_));
  req.EndNested(peer);
  req.EndNested(data);
  req.EndNested(info);
  Status st = node_->Transact(std::move(req), what);
  if (!st.ok()) return st.error();

  // Learn both indexes: ours from the reply, the peer's from IFLA_LINK.
  NetlinkRequest get(RTM_GETLINK, NLM_F_REQUEST);
  ifinfomsg q{};
  q.ifi_family = AF_UNSPEC;
  get.AddHeader(q);
  get.AddString(IFLA_IFNAME, name);
  Netdev nd;
  nd.name = name;
  st = node_->Transact(std::move(get), what, [&](const NetlinkMessage& m) -> Status {
    if (m.type != RTM_NEWLINK || m.payload.size() < sizeof(ifinfomsg)) return Status::Ok();
    ifinfomsg got;
    std::memcpy(&got, m.payload.data(), sizeof(got));
    nd.ifindex = got.ifi_index;
    auto attrs = host::ParseAttributes(m.payload.subspan(NLMSG_ALIGN(sizeof(ifinfomsg))));
    if (!attrs.ok()) return attrs.error();
    if (const host::NetlinkAttr* link = host::FindAttr(*attrs, IFLA_LINK))
      nd.peer_ifindex = static_cast<int>(link->U32().value_or(0));
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  if (nd.ifindex == 0 || nd.peer_ifindex == 0) return Error{what + ": could not read back its indexes", EPROTO};
  // The fabric end is up from the start, like a switch port; it cannot be
  // brought up in the creating request (veth refuses while half made).
  NetlinkRequest up(RTM_NEWLINK, NLM_F_REQUEST);
  ifinfomsg up_ifi{};
  up_ifi.ifi_family = AF_UNSPEC;
  up_ifi.ifi_index = nd.peer_ifindex;
  up_ifi.ifi_flags = IFF_UP;
  up_ifi.ifi_change = IFF_UP;
  up.AddHeader(up_ifi);
  if (bridge_index_ != 0) up.AddU32(IFLA_MASTER, static_cast<uint32_t>(bridge_index_));
  st = peer_->Transact(std::move(up), what + ": bring up its fabric end");
  if (!st.ok()) {
    Destroy(nd);
    return st.error();
  }
  return nd;
}

Status VethBackend::Destroy(const Netdev& nd) {
  NetlinkRequest req(RTM_DELLINK, NLM_F_REQUEST);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = nd.peer_ifindex;
  req.AddHeader(ifi);
  Status st = peer_->Transact(std::move(req), "delete veth " + nd.name);
  if (!st.ok() && st.sys_errno() == ENODEV) return Status::Ok();  // already gone
  return st;
}

Status VethBackend::DestroyAll(const std::vector<Netdev>& netdevs) {
  if (netdevs.empty()) return Status::Ok();
  // Unique among simulators sharing a fabric namespace: pid and a counter.
  const uint32_t group = 0x40000000u | ((static_cast<uint32_t>(::getpid()) & 0x3fffff) << 8) | (next_group_++ & 0xff);
  for (const Netdev& nd : netdevs) {
    NetlinkRequest tag(RTM_NEWLINK, NLM_F_REQUEST);
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    ifi.ifi_index = nd.peer_ifindex;
    tag.AddHeader(ifi);
    tag.AddU32(IFLA_GROUP, group);
    Status st = peer_->Transact(std::move(tag), "delete veth " + nd.name);
    if (!st.ok() && st.sys_errno() != ENODEV) return st;
  }
  NetlinkRequest del(RTM_DELLINK, NLM_F_REQUEST);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  del.AddHeader(ifi);
  del.AddU32(IFLA_GROUP, group);
  Status st = peer_->Transact(std::move(del), "delete " + std::to_string(netdevs.size()) + " VF veths");
  if (!st.ok() && st.sys_errno() == ENODEV) return Status::Ok();
  return st;
}

std::string VethBackend::CurrentName(const Netdev& nd) {
  char buf[IF_NAMESIZE];
  if (::if_indextoname(static_cast<unsigned>(nd.ifindex), buf) == nullptr) return "";
  return buf;
}

bool VethBackend::LinksChanged() {
  bool changed = false;
  for (;;) {
    auto got = events_->ReceiveEvents(std::chrono::milliseconds(0), [&](const NetlinkMessage& m) {
      if (m.type == RTM_NEWLINK || m.type == RTM_DELLINK) changed = true;
      return Status::Ok();
    });
    if (!got.ok()) return true;  // lost events (ENOBUFS): assume anything changed
    if (!*got) return changed;
  }
}

}  // namespace sim
