#include "agent/host/rtnetlink_codec.h"

#include <gtest/gtest.h>

#include <climits>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <rdma/rdma_netlink.h>

namespace host {
namespace {

// Re-parses a finished request as the kernel would receive it.
struct Parsed {
  std::vector<uint8_t> bytes;
  NetlinkMessage msg;
};

Parsed Reparse(NetlinkRequest req, uint32_t seq = 7) {
  Parsed p;
  p.bytes = req.Finish(seq);
  auto msgs = ParseNetlinkMessages(p.bytes);
  EXPECT_TRUE(msgs.ok());
  EXPECT_EQ(msgs->size(), 1u);
  p.msg = (*msgs)[0];
  return p;
}

std::vector<NetlinkAttr> AfterIfinfo(const NetlinkMessage& m) {
  auto attrs = ParseAttributes(m.payload.subspan(NLMSG_ALIGN(sizeof(ifinfomsg))));
  EXPECT_TRUE(attrs.ok());
  return *attrs;
}

TEST(RtnetlinkCodec, SetVfGuidsNestsOneVfInfoWithBothGuids) {
  VfChange c;
  c.vf = 3;
  c.node_guid = 0x1122334455667788ull;
  c.port_guid = 0x1122334455667789ull;
  Parsed p = Reparse(EncodeSetVf(42, c));
  EXPECT_EQ(p.msg.type, RTM_NEWLINK);
  EXPECT_EQ(p.msg.seq, 7u);
  ifinfomsg ifi;
  std::memcpy(&ifi, p.msg.payload.data(), sizeof(ifi));
  EXPECT_EQ(ifi.ifi_index, 42);
  auto top = AfterIfinfo(p.msg);
  const NetlinkAttr* list = FindAttr(top, IFLA_VFINFO_LIST);
  ASSERT_NE(list, nullptr);
  auto infos = ParseAttributes(list->data);
  ASSERT_EQ(infos->size(), 1u);
  EXPECT_EQ((*infos)[0].type, IFLA_VF_INFO);
  auto vf = ParseAttributes((*infos)[0].data);
  ASSERT_TRUE(vf.ok());
  ASSERT_EQ(vf->size(), 2u);
  auto node = FindAttr(*vf, IFLA_VF_IB_NODE_GUID)->As<ifla_vf_guid>();
  auto port = FindAttr(*vf, IFLA_VF_IB_PORT_GUID)->As<ifla_vf_guid>();
  EXPECT_EQ(node->vf, 3u);
  EXPECT_EQ(node->guid, 0x1122334455667788ull);
  EXPECT_EQ(port->guid, 0x1122334455667789ull);
}

TEST(RtnetlinkCodec, SetLinkCarriesOnlyWhatChanges) {
  LinkChange c;
  c.mtu = 9000;
  c.up = true;
  Parsed p = Reparse(EncodeSetLink(5, c));
  ifinfomsg ifi;
  std::memcpy(&ifi, p.msg.payload.data(), sizeof(ifi));
  EXPECT_EQ(ifi.ifi_change, static_cast<unsigned>(IFF_UP));
  EXPECT_EQ(ifi.ifi_flags, static_cast<unsigned>(IFF_UP));
  auto attrs = AfterIfinfo(p.msg);
  ASSERT_EQ(attrs.size(), 1u);
  EXPECT_EQ(*FindAttr(attrs, IFLA_MTU)->U32(), 9000u);
}

// The one message `ip link set dev X netns <fd> name net1 mtu 1400` sends
// (strace shows the same 60 bytes, attributes in another order): the
// kernel moves the link, then sets the MTU and the name in the target.
TEST(RtnetlinkCodec, MoveWithNameAndMtuIsOneSetLinkMessage) {
  LinkChange c;
  c.netns_fd = 9;
  c.name = "net1";
  c.mtu = 1400;
  const std::vector<uint8_t> golden = {
      60, 0, 0, 0,                         // nlmsg_len
      RTM_NEWLINK, 0, NLM_F_REQUEST, 0,    // type, flags
      7, 0, 0, 0, 0, 0, 0, 0,              // seq, pid
      AF_UNSPEC, 0, 0, 0, 5, 0, 0, 0,      // ifinfomsg: family, type, index 5
      0, 0, 0, 0, 0, 0, 0, 0,              // flags, change
      8, 0, IFLA_MTU, 0, 0x78, 0x05, 0, 0,  // 1400
      9, 0, IFLA_IFNAME, 0, 'n', 'e', 't', '1', 0, 0, 0, 0,
      8, 0, IFLA_NET_NS_FD, 0, 9, 0, 0, 0,
  };
  EXPECT_EQ(Reparse(EncodeSetLink(5, c)).bytes, golden);
}

// A link message as the kernel sends it for a PF with two VFs.
std::vector<uint8_t> PfMessage() {
  NetlinkRequest m(RTM_NEWLINK, 0);
  ifinfomsg ifi{};
  ifi.ifi_index = 4;
  ifi.ifi_type = 1;
  ifi.ifi_flags = IFF_UP | IFF_BROADCAST;
  m.AddHeader(ifi);
  m.AddString(IFLA_IFNAME, "enp65s0np0");
  m.AddU32(IFLA_MTU, 1500);
  uint8_t mac[6] = {0xb8, 0xce, 0xf6, 0x01, 0x02, 0x03};
  m.AddAttr(IFLA_ADDRESS, mac, 6);
  m.AddU32(IFLA_NUM_VF, 2);
  size_t list = m.BeginNested(IFLA_VFINFO_LIST);
  for (uint32_t i = 0; i < 2; ++i) {
    size_t info = m.BeginNested(IFLA_VF_INFO);
    ifla_vf_mac vm{};
    vm.vf = i;
    vm.mac[5] = static_cast<uint8_t>(i == 0 ? 0 : 0x42);
    m.AddStruct(IFLA_VF_MAC, vm);
    m.AddStruct(IFLA_VF_SPOOFCHK, ifla_vf_spoofchk{i, i == 0 ? 0u : 1u});
    m.AddStruct(IFLA_VF_LINK_STATE, ifla_vf_link_state{i, IFLA_VF_LINK_STATE_AUTO});
    m.AddStruct(IFLA_VF_TRUST, ifla_vf_trust{i, i});
    if (i == 1) {
      ifla_vf_guid g{};
      g.vf = i;
      g.guid = 0xb8cef60300010203ull;
      m.AddStruct(IFLA_VF_IB_NODE_GUID, g);
    }
    m.EndNested(info);
  }
  m.EndNested(list);
  return m.Finish(1);
}

TEST(RtnetlinkCodec, DecodesLinkWithVfInfo) {
  auto bytes = PfMessage();
  auto msgs = ParseNetlinkMessages(bytes);
  ASSERT_TRUE(msgs.ok());
  auto link = DecodeLink((*msgs)[0]);
  ASSERT_TRUE(link.ok()) << link.error().message;
  EXPECT_EQ(link->index, 4);
  EXPECT_EQ(link->name, "enp65s0np0");
  EXPECT_TRUE(link->up);
  EXPECT_EQ(link->mtu, 1500u);
  EXPECT_EQ(link->mac, "b8:ce:f6:01:02:03");
  EXPECT_EQ(link->num_vfs, 2u);
  ASSERT_EQ(link->vfs.size(), 2u);
  EXPECT_EQ(link->vfs[0].mac, "00:00:00:00:00:00");
  EXPECT_EQ(link->vfs[0].spoofchk, false);
  EXPECT_EQ(link->vfs[0].trust, false);
  EXPECT_FALSE(link->vfs[0].node_guid.has_value());
  EXPECT_EQ(link->vfs[1].vf, 1u);
  EXPECT_EQ(link->vfs[1].mac, "00:00:00:00:00:42");
  EXPECT_EQ(link->vfs[1].trust, true);
  EXPECT_EQ(link->vfs[1].link_state, VfLinkState::kAuto);
  EXPECT_EQ(link->vfs[1].node_guid, 0xb8cef60300010203ull);
}

TEST(RtnetlinkCodec, EveryTruncationIsAnErrorNotACrash) {
  auto bytes = PfMessage();
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    std::vector<uint8_t> partial(bytes.begin(), bytes.begin() + static_cast<long>(cut));
    auto msgs = ParseNetlinkMessages(partial);
    if (!msgs.ok()) continue;  // the header's length no longer fits: rejected up front
    ASSERT_TRUE(msgs->empty()) << "cut at " << cut;
  }
  // A header that claims less than the full message leaves nested attributes
  // cut short inside: DecodeLink must notice.
  for (size_t cut = sizeof(nlmsghdr) + sizeof(ifinfomsg) + 8; cut < bytes.size(); cut += 4) {
    std::vector<uint8_t> shrunk(bytes.begin(), bytes.begin() + static_cast<long>(cut));
    uint32_t len = static_cast<uint32_t>(cut);
    std::memcpy(shrunk.data(), &len, sizeof(len));
    auto msgs = ParseNetlinkMessages(shrunk);
    ASSERT_TRUE(msgs.ok());
    auto link = DecodeLink((*msgs)[0]);  // must not read past `cut`
    if (!link.ok()) {
      EXPECT_EQ(link.error().sys_errno, EPROTO);
    }
  }
}

TEST(RtnetlinkCodec, AttributeLongerThanItsBufferIsRejected) {
  uint8_t bad[] = {200, 0, 1, 0, 'x', 0, 0, 0};  // claims 200 bytes
  auto attrs = ParseAttributes(bad);
  ASSERT_FALSE(attrs.ok());
  EXPECT_NE(attrs.error().message.find("has length 200 but only 8 bytes remain"), std::string::npos);
}

TEST(RtnetlinkCodec, AckCarriesErrnoAndExtendedMessage) {
  NetlinkRequest m(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS);
  int err = -EINVAL;
  m.AddHeader(err);
  nlmsghdr echoed{};
  echoed.nlmsg_len = 100;  // capped: only the header is echoed
  m.AddHeader(echoed);
  m.AddString(NLMSGERR_ATTR_MSG, "MTU greater than device maximum");
  auto bytes = m.Finish(3);
  auto msgs = ParseNetlinkMessages(bytes);
  auto ack = ParseNetlinkAck((*msgs)[0]);
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->error, EINVAL);
  EXPECT_EQ(ack->message, "MTU greater than device maximum");
}

// Found by fuzz/netlink_fuzz: INT_MIN could not be negated.
TEST(RtnetlinkCodec, AckWithAnErrorThatIsNoErrnoIsRejected) {
  for (int err : {INT_MIN, 1, -4096}) {
    NetlinkRequest m(NLMSG_ERROR, 0);
    m.AddHeader(err);
    m.AddHeader(nlmsghdr{});
    auto bytes = m.Finish(3);
    auto msgs = ParseNetlinkMessages(bytes);
    ASSERT_TRUE(msgs.ok());
    auto ack = ParseNetlinkAck((*msgs)[0]);
    ASSERT_FALSE(ack.ok()) << err;
    EXPECT_EQ(ack.error().sys_errno, EPROTO);
    EXPECT_NE(ack.error().message.find(std::to_string(err) + ", not 0 or a negative errno"), std::string::npos)
        << ack.error().message;
  }
}

TEST(RtnetlinkCodec, RdmaNetnsModeRequestAndAnswer) {
  Parsed p = Reparse(EncodeRdmaSysSetNetnsMode(RdmaNetnsMode::kExclusive));
  EXPECT_EQ(p.msg.type, (RDMA_NL_NLDEV << 10) + RDMA_NLDEV_CMD_SYS_SET);
  auto attrs = ParseAttributes(p.msg.payload);  // RDMA netlink has no family header
  ASSERT_TRUE(attrs.ok());
  EXPECT_EQ(*FindAttr(*attrs, RDMA_NLDEV_SYS_ATTR_NETNS_MODE)->U8(), 0);
  auto mode = DecodeRdmaNetnsMode(p.msg);
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(*mode, RdmaNetnsMode::kExclusive);

  Parsed empty = Reparse(EncodeRdmaSysGet());
  EXPECT_FALSE(DecodeRdmaNetnsMode(empty.msg).ok());
}

TEST(RtnetlinkCodec, RdmaDeviceDecodes) {
  NetlinkRequest m(RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, RDMA_NLDEV_CMD_GET), 0);
  m.AddU32(RDMA_NLDEV_ATTR_DEV_INDEX, 2);
  m.AddString(RDMA_NLDEV_ATTR_DEV_NAME, "mlx5_1");
  m.AddU64(RDMA_NLDEV_ATTR_NODE_GUID, 0xb8cef60300010203ull);
  m.AddU32(RDMA_NLDEV_ATTR_PORT_INDEX, 1);
  auto bytes = m.Finish(1);
  auto msgs = ParseNetlinkMessages(bytes);
  auto dev = DecodeRdmaDevice((*msgs)[0]);
  ASSERT_TRUE(dev.ok());
  EXPECT_EQ(dev->index, 2u);
  EXPECT_EQ(dev->name, "mlx5_1");
  EXPECT_EQ(FormatSysfsGuid(dev->node_guid), "b8ce:f603:0001:0203");
  EXPECT_EQ(dev->port_count, 1u);

  Parsed move = Reparse(EncodeRdmaMoveToNetns(2, 9));
  auto attrs = ParseAttributes(move.msg.payload);
  EXPECT_EQ(*FindAttr(*attrs, RDMA_NLDEV_ATTR_DEV_INDEX)->U32(), 2u);
  EXPECT_EQ(*FindAttr(*attrs, RDMA_NLDEV_NET_NS_FD)->U32(), 9u);
}

TEST(RtnetlinkCodec, MacAndGuidText) {
  EXPECT_EQ(*ParseSysfsGuid("b8ce:f603:0001:0203"), 0xb8cef60300010203ull);
  EXPECT_EQ(*ParseSysfsGuid("b8:ce:f6:03:00:01:02:03"), 0xb8cef60300010203ull);
  EXPECT_FALSE(ParseSysfsGuid("b8ce:f603:0001").ok());
  EXPECT_FALSE(ParseSysfsGuid("zzzz:f603:0001:0203").ok());
  EXPECT_EQ(*ParseMac("02:00:00:00:00:0a"), (std::vector<uint8_t>{2, 0, 0, 0, 0, 10}));
  auto bad = ParseMac("02-00-00-00-00-0a");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "parse MAC address \"02-00-00-00-00-0a\": expected aa:bb:cc:dd:ee:ff");
}

}  // namespace
}  // namespace host
