// Netlink: the agent's view of network links and RDMA devices.
//
// rtnetlink (links, their VFs, namespace moves) and RDMA netlink (RDMA
// devices, the RDMA network-namespace mode), with nothing else. Links are
// named by their netdev name in the caller's network namespace; errors name
// the link, the operation and the kernel's reason.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/host/result.h"

namespace host {

enum class VfLinkState { kAuto = 0, kEnable = 1, kDisable = 2 };

struct VfInfo {
  uint32_t vf = 0;
  std::string mac;               // "aa:bb:cc:dd:ee:ff"; "00:00:00:00:00:00" when unset
  std::optional<bool> spoofchk;  // none when the driver does not report it
  std::optional<bool> trust;
  std::optional<VfLinkState> link_state;
  std::optional<uint64_t> node_guid;  // InfiniBand/RoCE drivers that report GUIDs
  std::optional<uint64_t> port_guid;
  uint32_t vlan = 0;  // IFLA_VF_VLAN; 0 = none
  uint32_t qos = 0;
  uint32_t min_tx_rate = 0;  // IFLA_VF_RATE, Mbps; 0 = no limit
  uint32_t max_tx_rate = 0;
};

// An address on a link, or a route destination: "10.0.0.5/24", "fd00::/64".
struct IpPrefix {
  std::string address;  // as inet_pton reads it
  uint8_t prefix_length = 0;
};

// A route in the main table through `link`; no gateway: on-link.
struct Route {
  IpPrefix destination;  // 0.0.0.0/0 for the default route
  std::string gateway;   // "" for on-link
  std::string link;
};

struct Link {
  int index = 0;
  std::string name;
  uint32_t flags = 0;  // IFF_*
  bool up = false;     // IFF_UP (administratively up)
  uint32_t mtu = 0;
  std::string mac;        // hardware address as hex bytes with ':'
  uint16_t arp_type = 0;  // ARPHRD_ETHER (1) or ARPHRD_INFINIBAND (32)
  uint8_t operstate = 0;  // IF_OPER_*
  std::string kind;       // "veth", "bridge", ...; "" for plain hardware
  std::optional<uint32_t> num_vfs;
  std::vector<VfInfo> vfs;
};

enum class LinkEventType { kNewOrChanged, kRemoved };
struct LinkEvent {
  LinkEventType type = LinkEventType::kNewOrChanged;
  Link link;
};

// A subscription to link events in the caller's network namespace.
class LinkEvents {
 public:
  virtual ~LinkEvents() = default;
  // The next event, or none after `timeout`. An ENOBUFS error means events
  // were lost: the caller re-lists links and carries on.
  virtual Result<std::optional<LinkEvent>> Next(std::chrono::milliseconds timeout) = 0;
};

struct RdmaDevice {
  uint32_t index = 0;
  std::string name;  // "mlx5_0"
  uint64_t node_guid = 0;
  uint64_t sys_image_guid = 0;
  std::string fw_version;
  uint32_t port_count = 0;
};

enum class RdmaNetnsMode { kExclusive = 0, kShared = 1 };

class Netlink {
 public:
  virtual ~Netlink() = default;

  virtual Result<std::vector<Link>> ListLinks() = 0;
  virtual Result<Link> GetLink(const std::string& name) = 0;  // ENODEV when absent
  virtual Result<Link> GetLinkByIndex(int index) = 0;
  virtual Result<std::unique_ptr<LinkEvents>> WatchLinks() = 0;

  virtual Status SetMtu(const std::string& link, uint32_t mtu) = 0;
  virtual Status SetName(const std::string& link, const std::string& new_name) = 0;
  virtual Status SetUp(const std::string& link, bool up) = 0;
  // Into the namespace of an open /proc/<pid>/ns/net or /run/netns/<name> fd.
  virtual Status MoveToNetnsFd(const std::string& link, int netns_fd) = 0;
  virtual Status MoveToNetnsPid(const std::string& link, int pid) = 0;
  // One RTM_NEWLINK, as `ip link set dev <link> netns <fd> name <new_name>
  // mtu <mtu>`: the kernel moves the link into the namespace first, then
  // sets the MTU (0: unchanged) and the name there. When `link`'s name is
  // taken in the target, the kernel moves it under new_name directly; when
  // both names are taken there, EEXIST and the link stays where it was. A
  // failure after the move (new_name taken in the target, an MTU the device
  // refuses) leaves the link in the target, under its old name (or under
  // new_name when the old one was taken there): the caller looks there.
  virtual Status MoveToNetnsFdAs(const std::string& link, int netns_fd, const std::string& new_name,
                                 uint32_t mtu) = 0;

  // VF settings through the PF netdev, as `ip link set <pf> vf <n> ...`.
  virtual Status SetVfMac(const std::string& pf, uint32_t vf, const std::string& mac) = 0;
  virtual Status SetVfTrust(const std::string& pf, uint32_t vf, bool on) = 0;
  virtual Status SetVfSpoofchk(const std::string& pf, uint32_t vf, bool on) = 0;
  virtual Status SetVfLinkState(const std::string& pf, uint32_t vf, VfLinkState state) = 0;
  virtual Status SetVfNodeGuid(const std::string& pf, uint32_t vf, uint64_t guid) = 0;
  virtual Status SetVfPortGuid(const std::string& pf, uint32_t vf, uint64_t guid) = 0;
  // VLAN 0 with qos 0 removes the VLAN.
  virtual Status SetVfVlan(const std::string& pf, uint32_t vf, uint32_t vlan, uint32_t qos) = 0;
  // Mbps; 0 = no limit.
  virtual Status SetVfRate(const std::string& pf, uint32_t vf, uint32_t min_tx_rate, uint32_t max_tx_rate) = 0;

  // Addresses and routes (RTM_NEWADDR / RTM_NEWROUTE), for the attach engine
  // inside a pod's namespace. EEXIST when already there.
  virtual Status AddAddress(const std::string& link, const IpPrefix& address) = 0;
  virtual Status AddRoute(const Route& route) = 0;

  // RDMA netlink (NETLINK_RDMA). Fails with a clear error on hosts without
  // the RDMA core.
  virtual Result<std::vector<RdmaDevice>> ListRdmaDevices() = 0;
  virtual Result<RdmaNetnsMode> GetRdmaNetnsMode() = 0;
  virtual Status SetRdmaNetnsMode(RdmaNetnsMode mode) = 0;
  virtual Status MoveRdmaDeviceToNetns(const std::string& device, int netns_fd) = 0;
};

}  // namespace host
