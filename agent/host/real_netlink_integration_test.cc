// RealNetlink against the kernel: veth devices in network namespaces this
// test creates with unshare(2), so nothing outside the test process sees
// them and they vanish when it exits. Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include "agent/host/netns.h"
#include "agent/host/real_netlink.h"
#include "agent/host/subprocess_runner.h"

namespace host {
namespace {

using namespace std::chrono_literals;

class RealNetlinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    // Two fresh namespaces: `other_` for moves, then `home_` where we stay.
    ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << std::strerror(errno);
    other_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << std::strerror(errno);
    home_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(other_, 0);
    ASSERT_GE(home_, 0);
    Ip({"link", "add", "name", "h5a", "type", "veth", "peer", "name", "h5b"});
    auto nl = RealNetlink::Open();
    ASSERT_TRUE(nl.ok()) << nl.error().message;
    nl_ = std::move(*nl);
  }
  void TearDown() override {
    if (other_ >= 0) ::close(other_);
    if (home_ >= 0) ::close(home_);
  }
  void Ip(std::vector<std::string> args) {
    args.insert(args.begin(), "ip");
    auto r = SubprocessRunner().Run(args, 10s);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->exit_code, 0) << r->err;
  }

  int other_ = -1;
  int home_ = -1;
  std::unique_ptr<RealNetlink> nl_;
};

TEST_F(RealNetlinkTest, ListsAndGetsLinks) {
  auto links = nl_->ListLinks();
  ASSERT_TRUE(links.ok()) << links.error().message;
  std::vector<std::string> names;
  for (const auto& l : *links) names.push_back(l.name);
  EXPECT_EQ(names, (std::vector<std::string>{"lo", "h5b", "h5a"}));
  auto a = nl_->GetLink("h5a");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->kind, "veth");
  EXPECT_EQ(a->mtu, 1500u);
  EXPECT_EQ(a->arp_type, 1);
  EXPECT_EQ(a->mac.size(), 17u);
  EXPECT_FALSE(a->up);
  auto same = nl_->GetLinkByIndex(a->index);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->name, "h5a");
  auto missing = nl_->GetLink("h5-missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().sys_errno, ENODEV);
  EXPECT_NE(missing.error().message.find("get link h5-missing"), std::string::npos) << missing.error().message;
}

TEST_F(RealNetlinkTest, SetsMtuNameAndState) {
  ASSERT_TRUE(nl_->SetMtu("h5a", 9000).ok());
  EXPECT_EQ(nl_->GetLink("h5a")->mtu, 9000u);
  Status too_big = nl_->SetMtu("h5a", 70000);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.sys_errno(), EINVAL);
  EXPECT_EQ(too_big.message().rfind("set mtu 70000 on h5a: Invalid argument", 0), 0u) << too_big.message();

  ASSERT_TRUE(nl_->SetName("h5a", "net1").ok());
  EXPECT_FALSE(nl_->GetLink("h5a").ok());
  ASSERT_TRUE(nl_->SetUp("net1", true).ok());
  EXPECT_TRUE(nl_->GetLink("net1")->up);
  ASSERT_TRUE(nl_->SetUp("net1", false).ok());
  EXPECT_FALSE(nl_->GetLink("net1")->up);
  Status clash = nl_->SetName("net1", "h5b");
  EXPECT_EQ(clash.sys_errno(), EEXIST) << clash.message();
}

TEST_F(RealNetlinkTest, MovesALinkToAnotherNamespace) {
  ASSERT_TRUE(nl_->MoveToNetnsFd("h5a", other_).ok());
  EXPECT_EQ(nl_->GetLink("h5a").error().sys_errno, ENODEV);
  ASSERT_EQ(::setns(other_, CLONE_NEWNET), 0);
  auto there = RealNetlink::Open();  // a socket belongs to the namespace it was opened in
  ASSERT_TRUE(there.ok());
  EXPECT_TRUE((*there)->GetLink("h5a").ok());
  ASSERT_EQ(::setns(home_, CLONE_NEWNET), 0);
  Status bad = nl_->MoveToNetnsFd("h5b", 9999);
  EXPECT_FALSE(bad.ok());
}

// One RTM_NEWLINK moves, sets the MTU and renames (what the attach engine
// relies on for one move per CNI call), and the kernel's rules when a name
// is taken in the target: the old name taken -> the move uses the new one;
// the new name taken -> moved, not renamed, EEXIST; both -> not moved.
TEST_F(RealNetlinkTest, MovesWithNameAndMtuInOneMessage) {
  auto pod = NewAnonymousNetns();
  ASSERT_TRUE(pod.ok()) << pod.error().message;
  auto in_pod = RealNetlink::OpenInNetns(pod->get());
  ASSERT_TRUE(in_pod.ok()) << in_pod.error().message;
  const std::string enter = "--net=/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(pod->get());
  auto r = SubprocessRunner().Run({"nsenter", enter, "ip", "link", "add", "busy", "type", "veth", "peer", "name", "net2"}, 10s);
  ASSERT_TRUE(r.ok() && r->exit_code == 0) << (r.ok() ? r->err : r.error().message);

  ASSERT_TRUE(nl_->MoveToNetnsFdAs("h5a", pod->get(), "net1", 1400).ok());
  EXPECT_EQ(nl_->GetLink("h5a").error().sys_errno, ENODEV);
  auto net1 = (*in_pod)->GetLink("net1");
  ASSERT_TRUE(net1.ok()) << net1.error().message;
  EXPECT_EQ(net1->mtu, 1400u);

  // h5b's new name is taken in the pod: moved, but not renamed.
  Status taken = nl_->MoveToNetnsFdAs("h5b", pod->get(), "net2", 1400);
  EXPECT_EQ(taken.sys_errno(), EEXIST) << taken.message();
  EXPECT_EQ(nl_->GetLink("h5b").error().sys_errno, ENODEV);
  EXPECT_TRUE((*in_pod)->GetLink("h5b").ok());

  // The old name is taken in the pod: moved under the new name.
  Ip({"link", "add", "name", "busy", "type", "veth", "peer", "name", "h5c"});
  const std::string mac = nl_->GetLink("busy")->mac;  // the ifindex may change in a move
  ASSERT_TRUE(nl_->MoveToNetnsFdAs("busy", pod->get(), "net3", 0).ok());
  auto net3 = (*in_pod)->GetLink("net3");
  ASSERT_TRUE(net3.ok()) << net3.error().message;
  EXPECT_EQ(net3->mac, mac);

  // Both taken: an error, and the link stays here.
  Ip({"link", "set", "h5c", "name", "busy"});
  Status both = nl_->MoveToNetnsFdAs("busy", pod->get(), "net2", 0);
  EXPECT_FALSE(both.ok());
  EXPECT_TRUE(nl_->GetLink("busy").ok());
  EXPECT_EQ(nl_->MoveToNetnsFdAs("busy", pod->get(), "a-name-far-too-long", 0).sys_errno(), EINVAL);
}

TEST_F(RealNetlinkTest, SeesLinkEvents) {
  auto events = nl_->WatchLinks();
  ASSERT_TRUE(events.ok()) << events.error().message;
  ASSERT_TRUE(nl_->SetMtu("h5b", 4000).ok());
  Ip({"link", "del", "h5a"});  // removes both ends
  bool saw_mtu = false, saw_removal = false;
  for (int i = 0; i < 20 && !(saw_mtu && saw_removal); ++i) {
    auto e = (*events)->Next(5s);
    ASSERT_TRUE(e.ok()) << e.error().message;
    ASSERT_TRUE(e->has_value()) << "no event within 5 s";
    if ((*e)->link.name == "h5b" && (*e)->link.mtu == 4000) saw_mtu = true;
    if ((*e)->type == LinkEventType::kRemoved && (*e)->link.name == "h5a") saw_removal = true;
  }
  EXPECT_TRUE(saw_mtu);
  EXPECT_TRUE(saw_removal);
}

TEST_F(RealNetlinkTest, VfSettingsOnADeviceWithoutVfsAreAClearError) {
  Status st = nl_->SetVfNodeGuid("h5a", 0, 0x1122334455667788ull);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message().rfind("set node GUID 1122:3344:5566:7788 on h5a vf 0: ", 0), 0u) << st.message();
  Status mac = nl_->SetVfMac("h5a", 0, "02:00:00:00:00:01");
  EXPECT_FALSE(mac.ok());
  EXPECT_EQ(nl_->GetLink("h5a")->vfs.size(), 0u);
}

// What the attach engine does in a pod's namespace: a netlink opened
// there sees only that namespace's links, and addresses and routes land
// where `ip` inside it shows them.
TEST_F(RealNetlinkTest, ConfiguresAddressesAndRoutesInAnotherNamespace) {
  auto pod = NewAnonymousNetns();
  ASSERT_TRUE(pod.ok()) << pod.error().message;
  ASSERT_TRUE(nl_->MoveToNetnsFd("h5b", pod->get()).ok());
  auto in_pod = RealNetlink::OpenInNetns(pod->get());
  ASSERT_TRUE(in_pod.ok()) << in_pod.error().message;
  // This thread did not move: h5b is gone from here, present there.
  EXPECT_EQ(nl_->GetLink("h5b").error().sys_errno, ENODEV);
  ASSERT_TRUE((*in_pod)->SetName("h5b", "net1").ok());
  ASSERT_TRUE((*in_pod)->SetUp("net1", true).ok());
  Status st = (*in_pod)->AddAddress("net1", IpPrefix{"192.168.77.5", 24});
  ASSERT_TRUE(st.ok()) << st.message();
  st = (*in_pod)->AddRoute(Route{IpPrefix{"10.77.0.0", 16}, "192.168.77.1", "net1"});
  ASSERT_TRUE(st.ok()) << st.message();
  st = (*in_pod)->AddRoute(Route{IpPrefix{"10.78.0.0", 16}, "", "net1"});
  ASSERT_TRUE(st.ok()) << st.message();
  Status again = (*in_pod)->AddAddress("net1", IpPrefix{"192.168.77.5", 24});
  EXPECT_EQ(again.sys_errno(), EEXIST) << again.message();
  Status bad = (*in_pod)->AddAddress("net1", IpPrefix{"192.168.77", 24});
  EXPECT_EQ(bad.sys_errno(), EINVAL);
  EXPECT_NE(bad.message().find("add address 192.168.77/24 to net1"), std::string::npos) << bad.message();

  // `ip` in the pod's namespace, through its fd.
  const std::string fd_path = "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(pod->get());
  auto show = SubprocessRunner().Run({"nsenter", "--net=" + fd_path, "ip", "-4", "-o", "addr", "show", "net1"}, 10s);
  ASSERT_TRUE(show.ok());
  EXPECT_NE(show->out.find("192.168.77.5/24"), std::string::npos) << show->out << show->err;
  auto routes = SubprocessRunner().Run({"nsenter", "--net=" + fd_path, "ip", "-4", "route", "show"}, 10s);
  ASSERT_TRUE(routes.ok());
  EXPECT_NE(routes->out.find("10.77.0.0/16 via 192.168.77.1 dev net1"), std::string::npos) << routes->out;
  EXPECT_NE(routes->out.find("10.78.0.0/16 dev net1 scope link"), std::string::npos) << routes->out;
}

TEST_F(RealNetlinkTest, OpenNetnsRefusesWhatIsNotANetworkNamespace) {
  auto missing = OpenNetns("/run/netns/h5-no-such-namespace");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().sys_errno, ENOENT);
  auto file = OpenNetns("/proc/self/status");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().sys_errno, EINVAL);
  EXPECT_NE(file.error().message.find("not a network namespace"), std::string::npos);
  EXPECT_TRUE(OpenNetns("/proc/self/ns/net").ok());
}

}  // namespace
}  // namespace host
