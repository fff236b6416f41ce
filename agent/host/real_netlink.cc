#include "agent/host/real_netlink.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "agent/host/rtnetlink_codec.h"

namespace host {
namespace {

class RealLinkEvents : public LinkEvents {
 public:
  explicit RealLinkEvents(std::unique_ptr<NetlinkSocket> sock) : sock_(std::move(sock)) {}

  Result<std::optional<LinkEvent>> Next(std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (!pending_.empty()) {
        LinkEvent e = std::move(pending_.front());
        pending_.erase(pending_.begin());
        return std::optional<LinkEvent>(std::move(e));
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() < 0) left = std::chrono::milliseconds(0);
      auto got = sock_->ReceiveEvents(left, [this](const NetlinkMessage& m) -> Status {
        if (m.type != RTM_NEWLINK && m.type != RTM_DELLINK) return Status::Ok();
        auto link = DecodeLink(m);
        if (!link.ok()) return link.error();
        pending_.push_back(LinkEvent{m.type == RTM_DELLINK ? LinkEventType::kRemoved : LinkEventType::kNewOrChanged,
                                     std::move(*link)});
        return Status::Ok();
      });
      if (!got.ok()) return Error{"watch links: " + got.error().message, got.error().sys_errno};
      if (!*got && pending_.empty()) return std::optional<LinkEvent>();
    }
  }

 private:
  std::unique_ptr<NetlinkSocket> sock_;
  std::vector<LinkEvent> pending_;
};

}  // namespace

namespace {

// One-field changes: LinkChangeOf(&LinkChange::mtu, 9000).
template <typename Field, typename Value>
LinkChange LinkChangeOf(Field LinkChange::*field, Value v) {
  LinkChange c;
  c.*field = v;
  return c;
}

template <typename Field, typename Value>
VfChange VfChangeOf(uint32_t vf, Field VfChange::*field, Value v) {
  VfChange c;
  c.vf = vf;
  c.*field = v;
  return c;
}

std::string VfName(const std::string& pf, uint32_t vf) { return pf + " vf " + std::to_string(vf); }
}  // namespace

Result<std::unique_ptr<RealNetlink>> RealNetlink::Open() {
  auto sock = NetlinkSocket::Open(NETLINK_ROUTE);
  if (!sock.ok()) return sock.error();
  return std::unique_ptr<RealNetlink>(new RealNetlink(std::move(*sock)));
}

Result<std::unique_ptr<RealNetlink>> RealNetlink::OpenInNetns(int netns_fd) {
  // setns moves only the calling thread; the socket keeps the namespace it
  // was made in, so the thread goes there, opens it, and comes back.
  int home = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) return Error{std::string("open own network namespace: ") + std::strerror(errno), errno};
  if (::setns(netns_fd, CLONE_NEWNET) != 0) {
    int err = errno;
    ::close(home);
    return Error{std::string("enter network namespace: ") + std::strerror(err), err};
  }
  auto sock = NetlinkSocket::Open(NETLINK_ROUTE);
  const bool back = ::setns(home, CLONE_NEWNET) == 0;
  ::close(home);
  // A thread left in the pod's namespace would do the agent's later work
  // there; that must never happen silently.
  if (!back) std::abort();
  if (!sock.ok()) return sock.error();
  return std::unique_ptr<RealNetlink>(new RealNetlink(std::move(*sock)));
}

Result<std::vector<Link>> RealNetlink::ListLinks() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Link> links;
  Status st = route_->Transact(EncodeGetLink(0, ""), "list links", [&](const NetlinkMessage& m) -> Status {
    if (m.type != RTM_NEWLINK) return Status::Ok();
    auto link = DecodeLink(m);
    if (!link.ok()) return link.error();
    links.push_back(std::move(*link));
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  return links;
}

Result<Link> RealNetlink::GetLinkLocked(int index, const std::string& name) {
  const std::string what = index != 0 ? "get link #" + std::to_string(index) : "get link " + name;
  std::optional<Link> found;
  Status st = route_->Transact(EncodeGetLink(index, name), what, [&](const NetlinkMessage& m) -> Status {
    if (m.type != RTM_NEWLINK) return Status::Ok();
    auto link = DecodeLink(m);
    if (!link.ok()) return Error{what + ": " + link.error().message, link.error().sys_errno};
    found = std::move(*link);
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  if (!found) return Error{what + ": no such link", ENODEV};
  return std::move(*found);
}

Result<Link> RealNetlink::GetLink(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (name.empty()) return Error{"get link: empty link name", EINVAL};
  return GetLinkLocked(0, name);
}

Result<Link> RealNetlink::GetLinkByIndex(int index) {
  std::lock_guard<std::mutex> lock(mu_);
  if (index <= 0) return Error{"get link #" + std::to_string(index) + ": invalid index", EINVAL};
  return GetLinkLocked(index, "");
}

Result<std::unique_ptr<LinkEvents>> RealNetlink::WatchLinks() {
  auto sock = NetlinkSocket::Open(NETLINK_ROUTE, RTMGRP_LINK);
  if (!sock.ok()) return Error{"watch links: " + sock.error().message, sock.error().sys_errno};
  return std::unique_ptr<LinkEvents>(new RealLinkEvents(std::move(*sock)));
}

Status RealNetlink::ChangeLink(const std::string& link, const LinkChange& change, const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = GetLinkLocked(0, link);
  if (!found.ok()) return Error{what + ": " + found.error().message, found.error().sys_errno};
  return route_->Transact(EncodeSetLink(found->index, change), what);
}

Status RealNetlink::SetMtu(const std::string& link, uint32_t mtu) {
  return ChangeLink(link, LinkChangeOf(&LinkChange::mtu, mtu), "set mtu " + std::to_string(mtu) + " on " + link);
}

Status RealNetlink::SetName(const std::string& link, const std::string& new_name) {
  if (new_name.empty() || new_name.size() >= 16) {
    return Error{"rename " + link + " to \"" + new_name + "\": a name has 1 to 15 characters", EINVAL};
  }
  return ChangeLink(link, LinkChangeOf(&LinkChange::name, new_name), "rename " + link + " to " + new_name);
}

Status RealNetlink::SetUp(const std::string& link, bool up) {
  return ChangeLink(link, LinkChangeOf(&LinkChange::up, up), std::string("set ") + link + (up ? " up" : " down"));
}

Status RealNetlink::MoveToNetnsFd(const std::string& link, int netns_fd) {
  return ChangeLink(link, LinkChangeOf(&LinkChange::netns_fd, netns_fd),
                    "move " + link + " to network namespace fd " + std::to_string(netns_fd));
}

Status RealNetlink::MoveToNetnsPid(const std::string& link, int pid) {
  return ChangeLink(link, LinkChangeOf(&LinkChange::netns_pid, pid),
                    "move " + link + " to the network namespace of pid " + std::to_string(pid));
}

Status RealNetlink::MoveToNetnsFdAs(const std::string& link, int netns_fd, const std::string& new_name,
                                    uint32_t mtu) {
  std::string what = "move " + link + " to network namespace fd " + std::to_string(netns_fd) + " as " + new_name;
  if (mtu != 0) what += " with mtu " + std::to_string(mtu);
  if (new_name.empty() || new_name.size() >= 16) return Error{what + ": a name has 1 to 15 characters", EINVAL};
  LinkChange change;
  change.netns_fd = netns_fd;
  change.name = new_name;
  if (mtu != 0) change.mtu = mtu;
  return ChangeLink(link, change, what);
}

Status RealNetlink::ChangeVf(const std::string& pf, const VfChange& change, const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = GetLinkLocked(0, pf);
  if (!found.ok()) return Error{what + ": " + found.error().message, found.error().sys_errno};
  return route_->Transact(EncodeSetVf(found->index, change), what);
}

Status RealNetlink::SetVfMac(const std::string& pf, uint32_t vf, const std::string& mac) {
  const std::string what = "set mac " + mac + " on " + VfName(pf, vf);
  auto bytes = ParseMac(mac);
  if (!bytes.ok()) return Error{what + ": " + bytes.error().message, EINVAL};
  return ChangeVf(pf, VfChangeOf(vf, &VfChange::mac, *bytes), what);
}

Status RealNetlink::SetVfTrust(const std::string& pf, uint32_t vf, bool on) {
  return ChangeVf(pf, VfChangeOf(vf, &VfChange::trust, on),
                  std::string("set trust ") + (on ? "on" : "off") + " on " + VfName(pf, vf));
}

Status RealNetlink::SetVfSpoofchk(const std::string& pf, uint32_t vf, bool on) {
  return ChangeVf(pf, VfChangeOf(vf, &VfChange::spoofchk, on),
                  std::string("set spoofchk ") + (on ? "on" : "off") + " on " + VfName(pf, vf));
}

Status RealNetlink::SetVfLinkState(const std::string& pf, uint32_t vf, VfLinkState state) {
  static const char* names[] = {"auto", "enable", "disable"};
  return ChangeVf(pf, VfChangeOf(vf, &VfChange::link_state, state),
                  std::string("set link state ") + names[static_cast<int>(state)] + " on " + VfName(pf, vf));
}

Status RealNetlink::SetVfNodeGuid(const std::string& pf, uint32_t vf, uint64_t guid) {
  return ChangeVf(pf, VfChangeOf(vf, &VfChange::node_guid, guid),
                  "set node GUID " + FormatSysfsGuid(guid) + " on " + VfName(pf, vf));
}

Status RealNetlink::SetVfPortGuid(const std::string& pf, uint32_t vf, uint64_t guid) {
  return ChangeVf(pf, VfChangeOf(vf, &VfChange::port_guid, guid),
                  "set port GUID " + FormatSysfsGuid(guid) + " on " + VfName(pf, vf));
}

Status RealNetlink::SetVfVlan(const std::string& pf, uint32_t vf, uint32_t vlan, uint32_t qos) {
  VfChange c;
  c.vf = vf;
  c.vlan = VfChange::Vlan{vlan, qos};
  return ChangeVf(pf, c, "set vlan " + std::to_string(vlan) + " qos " + std::to_string(qos) + " on " + VfName(pf, vf));
}

Status RealNetlink::SetVfRate(const std::string& pf, uint32_t vf, uint32_t min_tx_rate, uint32_t max_tx_rate) {
  VfChange c;
  c.vf = vf;
  c.rate = VfChange::Rate{min_tx_rate, max_tx_rate};
  return ChangeVf(pf, c,
                  "set min_tx_rate " + std::to_string(min_tx_rate) + " max_tx_rate " + std::to_string(max_tx_rate) +
                      " on " + VfName(pf, vf));
}

Status RealNetlink::AddAddress(const std::string& link, const IpPrefix& address) {
  const std::string what =
      "add address " + address.address + "/" + std::to_string(address.prefix_length) + " to " + link;
  std::lock_guard<std::mutex> lock(mu_);
  auto found = GetLinkLocked(0, link);
  if (!found.ok()) return Error{what + ": " + found.error().message, found.error().sys_errno};
  auto req = EncodeAddAddress(found->index, address);
  if (!req.ok()) return Error{what + ": " + req.error().message, req.error().sys_errno};
  return route_->Transact(std::move(*req), what);
}

Status RealNetlink::AddRoute(const Route& route) {
  const std::string what = "add route " + route.destination.address + "/" +
                           std::to_string(route.destination.prefix_length) +
                           (route.gateway.empty() ? "" : " via " + route.gateway) + " dev " + route.link;
  std::lock_guard<std::mutex> lock(mu_);
  auto found = GetLinkLocked(0, route.link);
  if (!found.ok()) return Error{what + ": " + found.error().message, found.error().sys_errno};
  auto req = EncodeAddRoute(found->index, route);
  if (!req.ok()) return Error{what + ": " + req.error().message, req.error().sys_errno};
  return route_->Transact(std::move(*req), what);
}

Result<NetlinkSocket*> RealNetlink::RdmaSocketLocked() {
  if (!rdma_) {
    auto sock = NetlinkSocket::Open(NETLINK_RDMA);
    if (!sock.ok()) {
      return Error{sock.error().message + " (is the RDMA core, ib_core, loaded?)", sock.error().sys_errno};
    }
    rdma_ = std::move(*sock);
  }
  return rdma_.get();
}

Result<std::vector<RdmaDevice>> RealNetlink::ListRdmaDevices() {
  std::lock_guard<std::mutex> lock(mu_);
  auto sock = RdmaSocketLocked();
  if (!sock.ok()) return Error{"list RDMA devices: " + sock.error().message, sock.error().sys_errno};
  std::vector<RdmaDevice> devices;
  Status st = (*sock)->Transact(EncodeRdmaGetDevices(), "list RDMA devices", [&](const NetlinkMessage& m) -> Status {
    auto dev = DecodeRdmaDevice(m);
    if (!dev.ok()) return dev.error();
    devices.push_back(std::move(*dev));
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  return devices;
}

Result<RdmaNetnsMode> RealNetlink::GetRdmaNetnsMode() {
  std::lock_guard<std::mutex> lock(mu_);
  auto sock = RdmaSocketLocked();
  if (!sock.ok()) return Error{"get RDMA netns mode: " + sock.error().message, sock.error().sys_errno};
  std::optional<RdmaNetnsMode> mode;
  Status st = (*sock)->Transact(EncodeRdmaSysGet(), "get RDMA netns mode", [&](const NetlinkMessage& m) -> Status {
    auto got = DecodeRdmaNetnsMode(m);
    if (!got.ok()) return got.error();
    mode = *got;
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  if (!mode) return Error{"get RDMA netns mode: the kernel sent no answer", EPROTO};
  return *mode;
}

Status RealNetlink::SetRdmaNetnsMode(RdmaNetnsMode mode) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string what =
      std::string("set RDMA netns mode ") + (mode == RdmaNetnsMode::kExclusive ? "exclusive" : "shared");
  auto sock = RdmaSocketLocked();
  if (!sock.ok()) return Error{what + ": " + sock.error().message, sock.error().sys_errno};
  Status st = (*sock)->Transact(EncodeRdmaSysSetNetnsMode(mode), what);
  if (!st.ok() && st.sys_errno() == EBUSY) {
    return Error{st.message() + " (other network namespaces exist; set it at boot with ib_core netns_mode)", EBUSY};
  }
  return st;
}

Status RealNetlink::MoveRdmaDeviceToNetns(const std::string& device, int netns_fd) {
  const std::string what = "move RDMA device " + device + " to network namespace fd " + std::to_string(netns_fd);
  auto devices = ListRdmaDevices();
  if (!devices.ok()) return Error{what + ": " + devices.error().message, devices.error().sys_errno};
  std::lock_guard<std::mutex> lock(mu_);
  for (const RdmaDevice& d : *devices) {
    if (d.name != device) continue;
    auto sock = RdmaSocketLocked();
    if (!sock.ok()) return Error{what + ": " + sock.error().message, sock.error().sys_errno};
    return (*sock)->Transact(EncodeRdmaMoveToNetns(d.index, netns_fd), what);
  }
  return Error{what + ": no such RDMA device", ENODEV};
}

}  // namespace host
