// RealNetlink: Netlink over raw NETLINK_ROUTE and NETLINK_RDMA sockets in the
// caller's network namespace. One request at a time (calls are serialised).
#pragma once

#include <memory>
#include <mutex>

#include "agent/host/netlink.h"
#include "agent/host/netlink_socket.h"
#include "agent/host/rtnetlink_codec.h"

namespace host {

class RealNetlink : public Netlink {
 public:
  // Opens the route socket; the RDMA socket is opened on first use, so hosts
  // without the RDMA core still get links.
  static Result<std::unique_ptr<RealNetlink>> Open();
  // The same, bound to the network namespace of an open netns fd (the
  // socket stays in that namespace; the calling thread does not move).
  static Result<std::unique_ptr<RealNetlink>> OpenInNetns(int netns_fd);

  Result<std::vector<Link>> ListLinks() override;
  Result<Link> GetLink(const std::string& name) override;
  Result<Link> GetLinkByIndex(int index) override;
  Result<std::unique_ptr<LinkEvents>> WatchLinks() override;

  Status SetMtu(const std::string& link, uint32_t mtu) override;
  Status SetName(const std::string& link, const std::string& new_name) override;
  Status SetUp(const std::string& link, bool up) override;
  Status MoveToNetnsFd(const std::string& link, int netns_fd) override;
  Status MoveToNetnsPid(const std::string& link, int pid) override;
  Status MoveToNetnsFdAs(const std::string& link, int netns_fd, const std::string& new_name, uint32_t mtu) override;

  Status SetVfMac(const std::string& pf, uint32_t vf, const std::string& mac) override;
  Status SetVfTrust(const std::string& pf, uint32_t vf, bool on) override;
  Status SetVfSpoofchk(const std::string& pf, uint32_t vf, bool on) override;
  Status SetVfLinkState(const std::string& pf, uint32_t vf, VfLinkState state) override;
  Status SetVfNodeGuid(const std::string& pf, uint32_t vf, uint64_t guid) override;
  Status SetVfPortGuid(const std::string& pf, uint32_t vf, uint64_t guid) override;
  Status SetVfVlan(const std::string& pf, uint32_t vf, uint32_t vlan, uint32_t qos) override;
  Status SetVfRate(const std::string& pf, uint32_t vf, uint32_t min_tx_rate, uint32_t max_tx_rate) override;
  Status AddAddress(const std::string& link, const IpPrefix& address) override;
  Status AddRoute(const Route& route) override;

  Result<std::vector<RdmaDevice>> ListRdmaDevices() override;
  Result<RdmaNetnsMode> GetRdmaNetnsMode() override;
  Status SetRdmaNetnsMode(RdmaNetnsMode mode) override;
  Status MoveRdmaDeviceToNetns(const std::string& device, int netns_fd) override;

 private:
  explicit RealNetlink(std::unique_ptr<NetlinkSocket> route) : route_(std::move(route)) {}
  Result<Link> GetLinkLocked(int index, const std::string& name);
  Status ChangeLink(const std::string& link, const LinkChange& change, const std::string& what);
  Status ChangeVf(const std::string& pf, const VfChange& change, const std::string& what);
  Result<NetlinkSocket*> RdmaSocketLocked();

  std::mutex mu_;  // guards both sockets: one request in flight at a time
  std::unique_ptr<NetlinkSocket> route_;
  std::unique_ptr<NetlinkSocket> rdma_;
};

}  // namespace host
