// FakeNetlink: links, VFs and RDMA devices in memory for unit tests.
//
// Operations change the stored links the way the kernel would (a rename
// changes the name, a move to another namespace removes the link from view)
// and queue the matching link events. FailNext makes the next call fail,
// for testing how callers report netlink errors.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/host/netlink.h"

namespace host {

// Events not yet read by one FakeNetlink::WatchLinks subscriber.
struct FakeLinkEventQueue {
  std::deque<LinkEvent> events;
};

class FakeNetlink : public Netlink {
 public:
  // Adds or replaces a link; its index is kept if given, else assigned.
  void AddLink(Link link);
  void RemoveLink(const std::string& name);
  void AddRdmaDevice(RdmaDevice dev) { rdma_.push_back(std::move(dev)); }
  void FailNext(Error error) { fail_next_ = std::move(error); }
  // Names of links moved out of this namespace, in order.
  const std::vector<std::string>& moved() const { return moved_; }
  // What each MoveToNetnsFdAs asked for, in order.
  struct MoveAs {
    std::string link;
    int netns_fd = -1;
    std::string new_name;
    uint32_t mtu = 0;
  };
  const std::vector<MoveAs>& moved_as() const { return moved_as_; }
  RdmaNetnsMode rdma_netns_mode() const { return netns_mode_; }

  Result<std::vector<Link>> ListLinks() override;
  Result<Link> GetLink(const std::string& name) override;
  Result<Link> GetLinkByIndex(int index) override;
  Result<std::unique_ptr<LinkEvents>> WatchLinks() override;

  Status SetMtu(const std::string& link, uint32_t mtu) override;
  Status SetName(const std::string& link, const std::string& new_name) override;
  Status SetUp(const std::string& link, bool up) override;
  Status MoveToNetnsFd(const std::string& link, int netns_fd) override;
  Status MoveToNetnsPid(const std::string& link, int pid) override;
  // The link leaves this namespace. The name and MTU are checked as the
  // kernel would check them, but before the move (a fake has no target
  // namespace to leave a half-moved link in).
  Status MoveToNetnsFdAs(const std::string& link, int netns_fd, const std::string& new_name, uint32_t mtu) override;

  Status SetVfMac(const std::string& pf, uint32_t vf, const std::string& mac) override;
  Status SetVfTrust(const std::string& pf, uint32_t vf, bool on) override;
  Status SetVfSpoofchk(const std::string& pf, uint32_t vf, bool on) override;
  Status SetVfLinkState(const std::string& pf, uint32_t vf, VfLinkState state) override;
  Status SetVfNodeGuid(const std::string& pf, uint32_t vf, uint64_t guid) override;
  Status SetVfPortGuid(const std::string& pf, uint32_t vf, uint64_t guid) override;
  Status SetVfVlan(const std::string& pf, uint32_t vf, uint32_t vlan, uint32_t qos) override;
  Status SetVfRate(const std::string& pf, uint32_t vf, uint32_t min_tx_rate, uint32_t max_tx_rate) override;
  // Recorded, per link name: addresses() and routes() show them.
  Status AddAddress(const std::string& link, const IpPrefix& address) override;
  Status AddRoute(const Route& route) override;
  const std::vector<std::pair<std::string, IpPrefix>>& addresses() const { return addresses_; }
  const std::vector<Route>& routes() const { return routes_; }

  Result<std::vector<RdmaDevice>> ListRdmaDevices() override;
  Result<RdmaNetnsMode> GetRdmaNetnsMode() override;
  Status SetRdmaNetnsMode(RdmaNetnsMode mode) override;
  Status MoveRdmaDeviceToNetns(const std::string& device, int netns_fd) override;

 private:
  std::optional<Error> TakeFailure();
  Result<Link*> Find(const std::string& name, const std::string& what);
  Result<VfInfo*> FindVf(const std::string& pf, uint32_t vf, const std::string& what);
  void Publish(LinkEventType type, const Link& link);

  std::map<int, Link> links_;  // by ifindex
  int next_index_ = 100;
  std::vector<RdmaDevice> rdma_;
  RdmaNetnsMode netns_mode_ = RdmaNetnsMode::kShared;
  std::optional<Error> fail_next_;
  std::vector<std::string> moved_;
  std::vector<MoveAs> moved_as_;
  std::vector<std::pair<std::string, IpPrefix>> addresses_;
  std::vector<Route> routes_;
  std::vector<std::weak_ptr<FakeLinkEventQueue>> watchers_;
};

}  // namespace host
