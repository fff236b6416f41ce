// The rtnetlink and RDMA netlink messages the agent sends, and decoders for
// the answers. Pure functions (no socket) so encoding and decoding are unit
// tested byte for byte.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/host/netlink.h"
#include "agent/host/netlink_message.h"

namespace host {

// "aa:bb:cc:dd:ee:ff" <-> bytes.
std::string FormatMac(const uint8_t* bytes, size_t len);
Result<std::vector<uint8_t>> ParseMac(const std::string& text);

// GUIDs in the form sysfs prints node_guid: "0011:2233:4455:6677".
// ParseSysfsGuid also accepts the API's "00:11:22:33:44:55:66:77"
// (api::ParseGuid accepts only that; api::FormatGuid prints it).
std::string FormatSysfsGuid(uint64_t guid);
Result<uint64_t> ParseSysfsGuid(const std::string& text);

// RTM_GETLINK for one link (by index, or by name when index is 0) or a dump
// of all links (index 0, empty name); asks for VF info without VF stats.
NetlinkRequest EncodeGetLink(int index, const std::string& name);

// RTM_NEWLINK (set) on an existing link: only the fields given change.
struct LinkChange {
  std::optional<uint32_t> mtu;
  std::optional<std::string> name;
  std::optional<bool> up;
  std::optional<int> netns_fd;
  std::optional<int> netns_pid;
};
NetlinkRequest EncodeSetLink(int index, const LinkChange& change);

// RTM_NEWLINK (set) on a PF with one IFLA_VF_INFO entry.
struct VfChange {
  uint32_t vf = 0;
  std::optional<std::vector<uint8_t>> mac;
  std::optional<bool> trust;
  std::optional<bool> spoofchk;
  std::optional<VfLinkState> link_state;
  std::optional<uint64_t> node_guid;
  std::optional<uint64_t> port_guid;
  struct Vlan {
    uint32_t vlan = 0, qos = 0;
  };
  std::optional<Vlan> vlan;  // IFLA_VF_VLAN
  struct Rate {
    uint32_t min = 0, max = 0;
  };
  std::optional<Rate> rate;  // IFLA_VF_RATE, Mbps
};
NetlinkRequest EncodeSetVf(int pf_index, const VfChange& change);

// RTM_NEWADDR (create, exclusive) of address/prefix on link `index`;
// EINVAL for an address inet_pton cannot read.
Result<NetlinkRequest> EncodeAddAddress(int index, const IpPrefix& address);
// RTM_NEWROUTE (create, exclusive) in the main table out of link `index`.
Result<NetlinkRequest> EncodeAddRoute(int index, const Route& route);

// A RTM_NEWLINK or RTM_DELLINK message as a Link.
Result<Link> DecodeLink(const NetlinkMessage& msg);

// RDMA netlink.
NetlinkRequest EncodeRdmaGetDevices();  // RDMA_NLDEV_CMD_GET dump
NetlinkRequest EncodeRdmaSysGet();      // RDMA_NLDEV_CMD_SYS_GET
NetlinkRequest EncodeRdmaSysSetNetnsMode(RdmaNetnsMode mode);
NetlinkRequest EncodeRdmaMoveToNetns(uint32_t dev_index, int netns_fd);
Result<RdmaDevice> DecodeRdmaDevice(const NetlinkMessage& msg);
Result<RdmaNetnsMode> DecodeRdmaNetnsMode(const NetlinkMessage& msg);

}  // namespace host
