// SimulatedRdmaNetlink: a Netlink whose RDMA network-namespace mode lives in
// a file, for hosts without the RDMA core.
//
// The e2e tests and the sandbox run the agent on a kernel with no ib_core, so
// RDMA netlink answers "Protocol not supported". The simulated node
// (sysfs-sim) serves the mode as <mount>/sim/rdma_netns_mode ("shared" or
// "exclusive"); this decorator reads and writes that file for
// Get/SetRdmaNetnsMode and forwards every link operation to the real Netlink
// unchanged. The other RDMA calls are not simulated yet and fail with
// EOPNOTSUPP, so nothing silently pretends to list or move RDMA devices.
// For the simulator and sandbox only (rdma-agent --simulated-rdma-netns-mode).
#pragma once

#include <string>

#include "agent/host/netlink.h"
#include "agent/host/real_sysfs.h"

namespace host {

class SimulatedRdmaNetlink : public Netlink {
 public:
  // `real` must outlive this; `mode_file` is an absolute path.
  SimulatedRdmaNetlink(Netlink& real, std::string mode_file);

  const std::string& mode_file() const { return mode_file_; }

  Result<std::vector<Link>> ListLinks() override { return real_.ListLinks(); }
  Result<Link> GetLink(const std::string& name) override { return real_.GetLink(name); }
  Result<Link> GetLinkByIndex(int index) override { return real_.GetLinkByIndex(index); }
  Result<std::unique_ptr<LinkEvents>> WatchLinks() override { return real_.WatchLinks(); }

  Status SetMtu(const std::string& link, uint32_t mtu) override { return real_.SetMtu(link, mtu); }
  Status SetName(const std::string& link, const std::string& new_name) override {
    return real_.SetName(link, new_name);
  }
  Status SetUp(const std::string& link, bool up) override { return real_.SetUp(link, up); }
  Status MoveToNetnsFd(const std::string& link, int netns_fd) override { return real_.MoveToNetnsFd(link, netns_fd); }
  Status MoveToNetnsPid(const std::string& link, int pid) override { return real_.MoveToNetnsPid(link, pid); }
  Status MoveToNetnsFdAs(const std::string& link, int netns_fd, const std::string& new_name, uint32_t mtu) override {
    return real_.MoveToNetnsFdAs(link, netns_fd, new_name, mtu);
  }

  Status SetVfMac(const std::string& pf, uint32_t vf, const std::string& mac) override {
    return real_.SetVfMac(pf, vf, mac);
  }
  Status SetVfTrust(const std::string& pf, uint32_t vf, bool on) override { return real_.SetVfTrust(pf, vf, on); }
  Status SetVfSpoofchk(const std::string& pf, uint32_t vf, bool on) override {
    return real_.SetVfSpoofchk(pf, vf, on);
  }
  Status SetVfLinkState(const std::string& pf, uint32_t vf, VfLinkState state) override {
    return real_.SetVfLinkState(pf, vf, state);
  }
  Status SetVfNodeGuid(const std::string& pf, uint32_t vf, uint64_t guid) override {
    return real_.SetVfNodeGuid(pf, vf, guid);
  }
  Status SetVfPortGuid(const std::string& pf, uint32_t vf, uint64_t guid) override {
    return real_.SetVfPortGuid(pf, vf, guid);
  }
  Status SetVfVlan(const std::string& pf, uint32_t vf, uint32_t vlan, uint32_t qos) override {
    return real_.SetVfVlan(pf, vf, vlan, qos);
  }
  Status SetVfRate(const std::string& pf, uint32_t vf, uint32_t min_tx_rate, uint32_t max_tx_rate) override {
    return real_.SetVfRate(pf, vf, min_tx_rate, max_tx_rate);
  }
  Status AddAddress(const std::string& link, const IpPrefix& address) override {
    return real_.AddAddress(link, address);
  }
  Status AddRoute(const Route& route) override { return real_.AddRoute(route); }

  // From the file; "shared" and "exclusive" are the only valid contents.
  Result<RdmaNetnsMode> GetRdmaNetnsMode() override;
  // One write() of "shared\n" or "exclusive\n", as `echo exclusive > FILE`.
  Status SetRdmaNetnsMode(RdmaNetnsMode mode) override;
  // Not simulated yet: EOPNOTSUPP.
  Result<std::vector<RdmaDevice>> ListRdmaDevices() override;
  Status MoveRdmaDeviceToNetns(const std::string& device, int netns_fd) override;

 private:
  Netlink& real_;
  std::string mode_file_;
  RealSysfs files_{"/"};  // reads the way the agent reads sysfs (trailing newline dropped)
};

}  // namespace host
