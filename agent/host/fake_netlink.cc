#include "agent/host/fake_netlink.h"

#include <cerrno>

#include "agent/host/rtnetlink_codec.h"

namespace host {
namespace {

class FakeLinkEvents : public LinkEvents {
 public:
  explicit FakeLinkEvents(std::shared_ptr<FakeLinkEventQueue> q) : q_(std::move(q)) {}
  // Never blocks: a fake has no other thread to produce events meanwhile.
  Result<std::optional<LinkEvent>> Next(std::chrono::milliseconds) override {
    if (q_->events.empty()) return std::optional<LinkEvent>();
    LinkEvent e = std::move(q_->events.front());
    q_->events.pop_front();
    return std::optional<LinkEvent>(std::move(e));
  }

 private:
  std::shared_ptr<FakeLinkEventQueue> q_;
};

std::string VfName(const std::string& pf, uint32_t vf) { return pf + " vf " + std::to_string(vf); }

}  // namespace

void FakeNetlink::Publish(LinkEventType type, const Link& link) {
  for (auto& w : watchers_) {
    if (auto q = w.lock()) q->events.push_back(LinkEvent{type, link});
  }
}

void FakeNetlink::AddLink(Link link) {
  if (link.index == 0) link.index = next_index_++;
  if (link.num_vfs && link.vfs.size() < *link.num_vfs) {
    for (uint32_t i = static_cast<uint32_t>(link.vfs.size()); i < *link.num_vfs; ++i) {
      VfInfo vf;
      vf.vf = i;
      vf.mac = "00:00:00:00:00:00";
      vf.spoofchk = true;
      vf.trust = false;
      vf.link_state = VfLinkState::kAuto;
      link.vfs.push_back(vf);
    }
  }
  Publish(LinkEventType::kNewOrChanged, link);
  links_[link.index] = std::move(link);
}

void FakeNetlink::RemoveLink(const std::string& name) {
  for (auto it = links_.begin(); it != links_.end(); ++it) {
    if (it->second.name == name) {
      Publish(LinkEventType::kRemoved, it->second);
      links_.erase(it);
      return;
    }
  }
}

std::optional<Error> FakeNetlink::TakeFailure() {
  std::optional<Error> e = std::move(fail_next_);
  fail_next_.reset();
  return e;
}

Result<Link*> FakeNetlink::Find(const std::string& name, const std::string& what) {
  if (auto e = TakeFailure()) return Error{what + ": " + e->message, e->sys_errno};
  for (auto& [index, link] : links_)
    if (link.name == name) return &link;
  return Error{what + ": no such link", ENODEV};
}

Result<VfInfo*> FakeNetlink::FindVf(const std::string& pf, uint32_t vf, const std::string& what) {
  auto link = Find(pf, what);
  if (!link.ok()) return link.error();
  for (auto& v : (*link)->vfs)
    if (v.vf == vf) return &v;
  return Error{what + ": Invalid argument (no VF " + std::to_string(vf) + ")", EINVAL};
}

Result<std::vector<Link>> FakeNetlink::ListLinks() {
  if (auto e = TakeFailure()) return Error{"list links: " + e->message, e->sys_errno};
  std::vector<Link> out;
  for (const auto& [index, link] : links_) out.push_back(link);
  return out;
}

Result<Link> FakeNetlink::GetLink(const std::string& name) {
  auto link = Find(name, "get link " + name);
  if (!link.ok()) return link.error();
  return **link;
}

Result<Link> FakeNetlink::GetLinkByIndex(int index) {
  const std::string what = "get link #" + std::to_string(index);
  if (auto e = TakeFailure()) return Error{what + ": " + e->message, e->sys_errno};
  auto it = links_.find(index);
  if (it == links_.end()) return Error{what + ": no such link", ENODEV};
  return it->second;
}

Result<std::unique_ptr<LinkEvents>> FakeNetlink::WatchLinks() {
  if (auto e = TakeFailure()) return Error{"watch links: " + e->message, e->sys_errno};
  auto q = std::make_shared<FakeLinkEventQueue>();
  watchers_.push_back(q);
  return std::unique_ptr<LinkEvents>(new FakeLinkEvents(q));
}

Status FakeNetlink::SetMtu(const std::string& name, uint32_t mtu) {
  const std::string what = "set mtu " + std::to_string(mtu) + " on " + name;
  auto link = Find(name, what);
  if (!link.ok()) return link.error();
  if (mtu < 68 || mtu > 65535) return Error{what + ": Invalid argument", EINVAL};
  (*link)->mtu = mtu;
  Publish(LinkEventType::kNewOrChanged, **link);
  return Status::Ok();
}

Status FakeNetlink::SetName(const std::string& name, const std::string& new_name) {
  const std::string what = "rename " + name + " to " + new_name;
  auto link = Find(name, what);
  if (!link.ok()) return link.error();
  if (new_name.empty() || new_name.size() >= 16) return Error{what + ": Invalid argument", EINVAL};
  for (const auto& [index, other] : links_) {
    if (other.name == new_name && index != (*link)->index) return Error{what + ": File exists", EEXIST};
  }
  (*link)->name = new_name;
  Publish(LinkEventType::kNewOrChanged, **link);
  return Status::Ok();
}

Status FakeNetlink::SetUp(const std::string& name, bool up) {
  auto link = Find(name, std::string("set ") + name + (up ? " up" : " down"));
  if (!link.ok()) return link.error();
  (*link)->up = up;
  Publish(LinkEventType::kNewOrChanged, **link);
  return Status::Ok();
}

Status FakeNetlink::MoveToNetnsFd(const std::string& name, int netns_fd) {
  const std::string what = "move " + name + " to network namespace fd " + std::to_string(netns_fd);
  auto link = Find(name, what);
  if (!link.ok()) return link.error();
  if (netns_fd < 0) return Error{what + ": Bad file descriptor", EBADF};
  moved_.push_back(name);
  RemoveLink(name);
  return Status::Ok();
}

Status FakeNetlink::MoveToNetnsPid(const std::string& name, int pid) {
  const std::string what = "move " + name + " to the network namespace of pid " + std::to_string(pid);
  auto link = Find(name, what);
  if (!link.ok()) return link.error();
  if (pid <= 0) return Error{what + ": No such process", ESRCH};
  moved_.push_back(name);
  RemoveLink(name);
  return Status::Ok();
}

Status FakeNetlink::MoveToNetnsFdAs(const std::string& name, int netns_fd, const std::string& new_name,
                                    uint32_t mtu) {
  std::string what = "move " + name + " to network namespace fd " + std::to_string(netns_fd) + " as " + new_name;
  if (mtu != 0) what += " with mtu " + std::to_string(mtu);
  auto link = Find(name, what);
  if (!link.ok()) return link.error();
  if (netns_fd < 0) return Error{what + ": Bad file descriptor", EBADF};
  if (new_name.empty() || new_name.size() >= 16) return Error{what + ": Invalid argument", EINVAL};
  if (mtu != 0 && (mtu < 68 || mtu > 65535)) return Error{what + ": Invalid argument", EINVAL};
  moved_.push_back(name);
  moved_as_.push_back(MoveAs{name, netns_fd, new_name, mtu});
  RemoveLink(name);
  return Status::Ok();
}

Status FakeNetlink::SetVfMac(const std::string& pf, uint32_t vf, const std::string& mac) {
  const std::string what = "set mac " + mac + " on " + VfName(pf, vf);
  auto bytes = ParseMac(mac);
  if (!bytes.ok()) return Error{what + ": " + bytes.error().message, EINVAL};
  auto v = FindVf(pf, vf, what);
  if (!v.ok()) return v.error();
  (*v)->mac = mac;
  return Status::Ok();
}

Status FakeNetlink::SetVfTrust(const std::string& pf, uint32_t vf, bool on) {
  auto v = FindVf(pf, vf, "set trust on " + VfName(pf, vf));
  if (!v.ok()) return v.error();
  (*v)->trust = on;
  return Status::Ok();
}

Status FakeNetlink::SetVfSpoofchk(const std::string& pf, uint32_t vf, bool on) {
  auto v = FindVf(pf, vf, "set spoofchk on " + VfName(pf, vf));
  if (!v.ok()) return v.error();
  (*v)->spoofchk = on;
  return Status::Ok();
}

Status FakeNetlink::SetVfLinkState(const std::string& pf, uint32_t vf, VfLinkState state) {
  auto v = FindVf(pf, vf, "set link state on " + VfName(pf, vf));
  if (!v.ok()) return v.error();
  (*v)->link_state = state;
  return Status::Ok();
}

Status FakeNetlink::SetVfNodeGuid(const std::string& pf, uint32_t vf, uint64_t guid) {
  auto v = FindVf(pf, vf, "set node GUID " + FormatSysfsGuid(guid) + " on " + VfName(pf, vf));
  if (!v.ok()) return v.error();
  (*v)->node_guid = guid;
  return Status::Ok();
}

Status FakeNetlink::SetVfPortGuid(const std::string& pf, uint32_t vf, uint64_t guid) {
  auto v = FindVf(pf, vf, "set port GUID " + FormatSysfsGuid(guid) + " on " + VfName(pf, vf));
  if (!v.ok()) return v.error();
  (*v)->port_guid = guid;
  return Status::Ok();
}

Status FakeNetlink::SetVfVlan(const std::string& pf, uint32_t vf, uint32_t vlan, uint32_t qos) {
  auto v = FindVf(pf, vf, "set vlan " + std::to_string(vlan) + " on " + VfName(pf, vf));
  if (!v.ok()) return v.error();
  (*v)->vlan = vlan;
  (*v)->qos = qos;
  return Status::Ok();
}

Status FakeNetlink::SetVfRate(const std::string& pf, uint32_t vf, uint32_t min_tx_rate, uint32_t max_tx_rate) {
  auto v = FindVf(pf, vf, "set rate on " + VfName(pf, vf));
  if (!v.ok()) return v.error();
  (*v)->min_tx_rate = min_tx_rate;
  (*v)->max_tx_rate = max_tx_rate;
  return Status::Ok();
}

Status FakeNetlink::AddAddress(const std::string& link, const IpPrefix& address) {
  auto l = Find(link, "add address " + address.address + " to " + link);
  if (!l.ok()) return l.error();
  addresses_.emplace_back(link, address);
  return Status::Ok();
}

Status FakeNetlink::AddRoute(const Route& route) {
  auto l = Find(route.link, "add route via " + route.link);
  if (!l.ok()) return l.error();
  routes_.push_back(route);
  return Status::Ok();
}

Result<std::vector<RdmaDevice>> FakeNetlink::ListRdmaDevices() {
  if (auto e = TakeFailure()) return Error{"list RDMA devices: " + e->message, e->sys_errno};
  return rdma_;
}

Result<RdmaNetnsMode> FakeNetlink::GetRdmaNetnsMode() {
  if (auto e = TakeFailure()) return Error{"get RDMA netns mode: " + e->message, e->sys_errno};
  return netns_mode_;
}

Status FakeNetlink::SetRdmaNetnsMode(RdmaNetnsMode mode) {
  if (auto e = TakeFailure()) return Error{"set RDMA netns mode: " + e->message, e->sys_errno};
  netns_mode_ = mode;
  return Status::Ok();
}

Status FakeNetlink::MoveRdmaDeviceToNetns(const std::string& device, int netns_fd) {
  const std::string what = "move RDMA device " + device + " to network namespace fd " + std::to_string(netns_fd);
  if (auto e = TakeFailure()) return Error{what + ": " + e->message, e->sys_errno};
  if (netns_mode_ == RdmaNetnsMode::kShared) return Error{what + ": Operation not supported (shared mode)", EOPNOTSUPP};
  for (auto it = rdma_.begin(); it != rdma_.end(); ++it) {
    if (it->name == device) {
      rdma_.erase(it);
      return Status::Ok();
    }
  }
  return Error{what + ": no such RDMA device", ENODEV};
}

}  // namespace host
