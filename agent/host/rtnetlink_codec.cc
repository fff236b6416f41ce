#include "agent/host/rtnetlink_codec.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <rdma/rdma_netlink.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <optional>

namespace host {

std::string FormatMac(const uint8_t* bytes, size_t len) {
  std::string out;
  char buf[4];
  for (size_t i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof(buf), i == 0 ? "%02x" : ":%02x", bytes[i]);
    out += buf;
  }
  return out;
}

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Hex digits with optional ':' separators; `digits` of them exactly.
Result<uint64_t> ParseHex(const std::string& text, size_t digits, const std::string& what) {
  uint64_t v = 0;
  size_t n = 0;
  for (char c : text) {
    if (c == ':') continue;
    int d = HexDigit(c);
    if (d < 0)
      return Error{"parse " + what + " \"" + text + "\": '" + std::string(1, c) + "' is not a hex digit", EINVAL};
    v = (v << 4) | static_cast<uint64_t>(d);
    ++n;
  }
  if (n != digits) {
    return Error{"parse " + what + " \"" + text + "\": expected " + std::to_string(digits) + " hex digits, found " +
                     std::to_string(n),
                 EINVAL};
  }
  return v;
}

}  // namespace

Result<std::vector<uint8_t>> ParseMac(const std::string& text) {
  if (text.size() != 17) return Error{"parse MAC address \"" + text + "\": expected aa:bb:cc:dd:ee:ff", EINVAL};
  for (size_t i = 2; i < 17; i += 3) {
    if (text[i] != ':') return Error{"parse MAC address \"" + text + "\": expected aa:bb:cc:dd:ee:ff", EINVAL};
  }
  auto v = ParseHex(text, 12, "MAC address");
  if (!v.ok()) return v.error();
  std::vector<uint8_t> out(6);
  for (int i = 0; i < 6; ++i) out[static_cast<size_t>(i)] = static_cast<uint8_t>(*v >> (8 * (5 - i)));
  return out;
}

std::string FormatSysfsGuid(uint64_t guid) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%04x:%04x:%04x:%04x", static_cast<unsigned>(guid >> 48) & 0xffff,
                static_cast<unsigned>(guid >> 32) & 0xffff, static_cast<unsigned>(guid >> 16) & 0xffff,
                static_cast<unsigned>(guid) & 0xffff);
  return buf;
}

Result<uint64_t> ParseSysfsGuid(const std::string& text) { return ParseHex(text, 16, "GUID"); }

NetlinkRequest EncodeGetLink(int index, const std::string& name) {
  const bool dump = index == 0 && name.empty();
  NetlinkRequest req(RTM_GETLINK, NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0));
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  req.AddHeader(ifi);
  if (index == 0 && !name.empty()) req.AddString(IFLA_IFNAME, name);
  req.AddU32(IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS);
  return req;
}

NetlinkRequest EncodeSetLink(int index, const LinkChange& change) {
  NetlinkRequest req(RTM_NEWLINK, NLM_F_REQUEST);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  if (change.up) {
    ifi.ifi_change = IFF_UP;
    ifi.ifi_flags = *change.up ? IFF_UP : 0;
  }
  req.AddHeader(ifi);
  if (change.mtu) req.AddU32(IFLA_MTU, *change.mtu);
  if (change.name) req.AddString(IFLA_IFNAME, *change.name);
  if (change.netns_fd) req.AddU32(IFLA_NET_NS_FD, static_cast<uint32_t>(*change.netns_fd));
  if (change.netns_pid) req.AddU32(IFLA_NET_NS_PID, static_cast<uint32_t>(*change.netns_pid));
  return req;
}

NetlinkRequest EncodeSetVf(int pf_index, const VfChange& c) {
  NetlinkRequest req(RTM_NEWLINK, NLM_F_REQUEST);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = pf_index;
  req.AddHeader(ifi);
  size_t list = req.BeginNested(IFLA_VFINFO_LIST);
  size_t info = req.BeginNested(IFLA_VF_INFO);
  if (c.mac) {
    ifla_vf_mac m{};
    m.vf = c.vf;
    for (size_t i = 0; i < c.mac->size() && i < sizeof(m.mac); ++i) m.mac[i] = (*c.mac)[i];
    req.AddStruct(IFLA_VF_MAC, m);
  }
  if (c.spoofchk) req.AddStruct(IFLA_VF_SPOOFCHK, ifla_vf_spoofchk{c.vf, *c.spoofchk ? 1u : 0u});
  if (c.trust) req.AddStruct(IFLA_VF_TRUST, ifla_vf_trust{c.vf, *c.trust ? 1u : 0u});
  if (c.link_state) {
    req.AddStruct(IFLA_VF_LINK_STATE, ifla_vf_link_state{c.vf, static_cast<uint32_t>(*c.link_state)});
  }
  if (c.node_guid) {
    ifla_vf_guid g{};
    g.vf = c.vf;
    g.guid = *c.node_guid;
    req.AddStruct(IFLA_VF_IB_NODE_GUID, g);
  }
  if (c.port_guid) {
    ifla_vf_guid g{};
    g.vf = c.vf;
    g.guid = *c.port_guid;
    req.AddStruct(IFLA_VF_IB_PORT_GUID, g);
  }
  if (c.vlan) req.AddStruct(IFLA_VF_VLAN, ifla_vf_vlan{c.vf, c.vlan->vlan, c.vlan->qos});
  if (c.rate) req.AddStruct(IFLA_VF_RATE, ifla_vf_rate{c.vf, c.rate->min, c.rate->max});
  req.EndNested(info);
  req.EndNested(list);
  return req;
}

namespace {

// The family and the bytes of an address, as inet_pton reads it.
struct AddressBytes {
  int family = AF_INET;
  std::array<uint8_t, 16> bytes{};
  size_t size() const { return family == AF_INET ? 4 : 16; }
};

Result<AddressBytes> ParseAddress(const std::string& text) {
  AddressBytes a;
  if (::inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) return a;
  a.family = AF_INET6;
  if (::inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) return a;
  return Error{"\"" + text + "\" is not an IPv4 or IPv6 address", EINVAL};
}

}  // namespace

Result<NetlinkRequest> EncodeAddAddress(int index, const IpPrefix& address) {
  auto a = ParseAddress(address.address);
  if (!a.ok()) return a.error();
  if (address.prefix_length > a->size() * 8) return Error{"prefix length too long for " + address.address, EINVAL};
  NetlinkRequest req(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
  ifaddrmsg ifa{};
  ifa.ifa_family = static_cast<uint8_t>(a->family);
  ifa.ifa_prefixlen = address.prefix_length;
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  ifa.ifa_index = static_cast<uint32_t>(index);
  req.AddHeader(ifa);
  req.AddAttr(IFA_LOCAL, a->bytes.data(), a->size());
  req.AddAttr(IFA_ADDRESS, a->bytes.data(), a->size());
  return req;
}

Result<NetlinkRequest> EncodeAddRoute(int index, const Route& route) {
  auto dst = ParseAddress(route.destination.address);
  if (!dst.ok()) return dst.error();
  if (route.destination.prefix_length > dst->size() * 8) {
    return Error{"prefix length too long for " + route.destination.address, EINVAL};
  }
  std::optional<AddressBytes> gw;
  if (!route.gateway.empty()) {
    auto g = ParseAddress(route.gateway);
    if (!g.ok()) return g.error();
    if (g->family != dst->family) return Error{"gateway " + route.gateway + " is not of the destination's family", EINVAL};
    gw = *g;
  }
  NetlinkRequest req(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
  rtmsg rtm{};
  rtm.rtm_family = static_cast<uint8_t>(dst->family);
  rtm.rtm_dst_len = route.destination.prefix_length;
  rtm.rtm_table = RT_TABLE_MAIN;
  rtm.rtm_protocol = RTPROT_BOOT;
  rtm.rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  rtm.rtm_type = RTN_UNICAST;
  req.AddHeader(rtm);
  if (route.destination.prefix_length > 0) req.AddAttr(RTA_DST, dst->bytes.data(), dst->size());
  if (gw) req.AddAttr(RTA_GATEWAY, gw->bytes.data(), gw->size());
  req.AddU32(RTA_OIF, static_cast<uint32_t>(index));
  return req;
}

namespace {

Result<VfInfo> DecodeVf(const NetlinkAttr& vf_info) {
  auto attrs = ParseAttributes(vf_info.data);
  if (!attrs.ok()) return attrs.error();
  VfInfo vf;
  const NetlinkAttr* mac = FindAttr(*attrs, IFLA_VF_MAC);
  if (mac == nullptr) return Error{"netlink: VF entry without IFLA_VF_MAC", EPROTO};
  auto m = mac->As<ifla_vf_mac>();
  if (!m) return Error{"netlink: short IFLA_VF_MAC", EPROTO};
  vf.vf = m->vf;
  vf.mac = FormatMac(m->mac, 6);
  if (const NetlinkAttr* a = FindAttr(*attrs, IFLA_VF_SPOOFCHK)) {
    if (auto s = a->As<ifla_vf_spoofchk>(); s && s->setting != static_cast<uint32_t>(-1)) vf.spoofchk = s->setting != 0;
  }
  if (const NetlinkAttr* a = FindAttr(*attrs, IFLA_VF_TRUST)) {
    if (auto s = a->As<ifla_vf_trust>(); s && s->setting != static_cast<uint32_t>(-1)) vf.trust = s->setting != 0;
  }
  if (const NetlinkAttr* a = FindAttr(*attrs, IFLA_VF_LINK_STATE)) {
    if (auto s = a->As<ifla_vf_link_state>(); s && s->link_state <= IFLA_VF_LINK_STATE_DISABLE) {
      vf.link_state = static_cast<VfLinkState>(s->link_state);
    }
  }
  if (const NetlinkAttr* a = FindAttr(*attrs, IFLA_VF_IB_NODE_GUID)) {
    if (auto g = a->As<ifla_vf_guid>()) vf.node_guid = g->guid;
  }
  if (const NetlinkAttr* a = FindAttr(*attrs, IFLA_VF_IB_PORT_GUID)) {
    if (auto g = a->As<ifla_vf_guid>()) vf.port_guid = g->guid;
  }
  if (const NetlinkAttr* a = FindAttr(*attrs, IFLA_VF_VLAN)) {
    if (auto v = a->As<ifla_vf_vlan>()) {
      vf.vlan = v->vlan;
      vf.qos = v->qos;
    }
  }
  if (const NetlinkAttr* a = FindAttr(*attrs, IFLA_VF_RATE)) {
    if (auto r = a->As<ifla_vf_rate>()) {
      vf.min_tx_rate = r->min_tx_rate;
      vf.max_tx_rate = r->max_tx_rate;
    }
  }
  return vf;
}

}  // namespace

Result<Link> DecodeLink(const NetlinkMessage& msg) {
  if (msg.type != RTM_NEWLINK && msg.type != RTM_DELLINK) {
    return Error{"netlink: expected a link message, got type " + std::to_string(msg.type), EPROTO};
  }
  if (msg.payload.size() < sizeof(ifinfomsg)) return Error{"netlink: truncated link message", EPROTO};
  ifinfomsg ifi;
  std::memcpy(&ifi, msg.payload.data(), sizeof(ifi));
  Link link;
  link.index = ifi.ifi_index;
  link.flags = ifi.ifi_flags;
  link.up = (ifi.ifi_flags & IFF_UP) != 0;
  link.arp_type = ifi.ifi_type;
  size_t off = NLMSG_ALIGN(sizeof(ifinfomsg));
  if (off > msg.payload.size()) off = msg.payload.size();
  auto attrs = ParseAttributes(msg.payload.subspan(off));
  if (!attrs.ok()) return Error{"link #" + std::to_string(link.index) + ": " + attrs.error().message, EPROTO};
  for (const NetlinkAttr& a : *attrs) {
    switch (a.type) {
      case IFLA_IFNAME:
        link.name = a.String();
        break;
      case IFLA_MTU:
        link.mtu = a.U32().value_or(0);
        break;
      case IFLA_ADDRESS:
        link.mac = FormatMac(a.data.data(), a.data.size());
        break;
      case IFLA_OPERSTATE:
        link.operstate = a.U8().value_or(0);
        break;
      case IFLA_NUM_VF:
        link.num_vfs = a.U32();
        break;
      case IFLA_LINKINFO: {
        auto info = ParseAttributes(a.data);
        if (!info.ok()) return Error{"link " + link.name + ": " + info.error().message, EPROTO};
        if (const NetlinkAttr* kind = FindAttr(*info, IFLA_INFO_KIND)) link.kind = kind->String();
        break;
      }
      case IFLA_VFINFO_LIST: {
        auto list = ParseAttributes(a.data);
        if (!list.ok()) return Error{"link " + link.name + ": " + list.error().message, EPROTO};
        for (const NetlinkAttr& entry : *list) {
          if (entry.type != IFLA_VF_INFO) continue;
          auto vf = DecodeVf(entry);
          if (!vf.ok()) return Error{"link " + link.name + ": " + vf.error().message, EPROTO};
          link.vfs.push_back(std::move(*vf));
        }
        break;
      }
      default:
        break;
    }
  }
  if (link.name.empty()) return Error{"netlink: link #" + std::to_string(link.index) + " has no name", EPROTO};
  return link;
}

NetlinkRequest EncodeRdmaGetDevices() {
  return NetlinkRequest(RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, RDMA_NLDEV_CMD_GET), NLM_F_REQUEST | NLM_F_DUMP);
}

NetlinkRequest EncodeRdmaSysGet() {
  return NetlinkRequest(RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, RDMA_NLDEV_CMD_SYS_GET), NLM_F_REQUEST);
}

NetlinkRequest EncodeRdmaSysSetNetnsMode(RdmaNetnsMode mode) {
  NetlinkRequest req(RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, RDMA_NLDEV_CMD_SYS_SET), NLM_F_REQUEST);
  req.AddU8(RDMA_NLDEV_SYS_ATTR_NETNS_MODE, static_cast<uint8_t>(mode));
  return req;
}

NetlinkRequest EncodeRdmaMoveToNetns(uint32_t dev_index, int netns_fd) {
  NetlinkRequest req(RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, RDMA_NLDEV_CMD_SET), NLM_F_REQUEST);
  req.AddU32(RDMA_NLDEV_ATTR_DEV_INDEX, dev_index);
  req.AddU32(RDMA_NLDEV_NET_NS_FD, static_cast<uint32_t>(netns_fd));
  return req;
}

Result<RdmaDevice> DecodeRdmaDevice(const NetlinkMessage& msg) {
  auto attrs = ParseAttributes(msg.payload);
  if (!attrs.ok()) return Error{"RDMA device message: " + attrs.error().message, EPROTO};
  RdmaDevice dev;
  const NetlinkAttr* index = FindAttr(*attrs, RDMA_NLDEV_ATTR_DEV_INDEX);
  const NetlinkAttr* name = FindAttr(*attrs, RDMA_NLDEV_ATTR_DEV_NAME);
  if (index == nullptr || name == nullptr || !index->U32()) {
    return Error{"RDMA device message without index or name", EPROTO};
  }
  dev.index = *index->U32();
  dev.name = name->String();
  if (const NetlinkAttr* a = FindAttr(*attrs, RDMA_NLDEV_ATTR_NODE_GUID)) dev.node_guid = a->U64().value_or(0);
  if (const NetlinkAttr* a = FindAttr(*attrs, RDMA_NLDEV_ATTR_SYS_IMAGE_GUID))
    dev.sys_image_guid = a->U64().value_or(0);
  if (const NetlinkAttr* a = FindAttr(*attrs, RDMA_NLDEV_ATTR_FW_VERSION)) dev.fw_version = a->String();
  if (const NetlinkAttr* a = FindAttr(*attrs, RDMA_NLDEV_ATTR_PORT_INDEX)) dev.port_count = a->U32().value_or(0);
  return dev;
}

Result<RdmaNetnsMode> DecodeRdmaNetnsMode(const NetlinkMessage& msg) {
  auto attrs = ParseAttributes(msg.payload);
  if (!attrs.ok()) return Error{"RDMA system message: " + attrs.error().message, EPROTO};
  const NetlinkAttr* mode = FindAttr(*attrs, RDMA_NLDEV_SYS_ATTR_NETNS_MODE);
  if (mode == nullptr || !mode->U8()) return Error{"RDMA system message without the netns mode", EPROTO};
  return *mode->U8() == 0 ? RdmaNetnsMode::kExclusive : RdmaNetnsMode::kShared;
}

}  // namespace host
