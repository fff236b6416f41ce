// The attach engine against the kernel: veths in network namespaces of the
// test's own stand in for a PF and its VFs (test_vfs.h), so the moves,
// renames, MTU, addresses and routes are real. Needs root.
#include "agent/attach/engine.h"

#include "agent/attach/cni_server.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/attach/test_vfs.h"
#include "agent/host/real_netlink.h"
#include "agent/host/simulated_rdma_netlink.h"
#include "agent/host/subprocess_runner.h"

namespace attach {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr char kPf[] = "0000:41:00.0";

using testing_vfs::KernelLikeSysfs;

class AttachEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << std::strerror(errno);
    dir_ = ::testing::TempDir() + "attach-engine-" + std::to_string(::getpid());
    std::filesystem::remove_all(dir_);
    auto nl = host::RealNetlink::Open();
    ASSERT_TRUE(nl.ok());
    nl_ = std::move(*nl);
    sysfs_ = std::make_unique<KernelLikeSysfs>(*nl_);
    ASSERT_TRUE(testing_vfs::AddVethPf(*sysfs_, *nl_, kPf, "ens1f0", "ens1f0v", 2).ok());
    pod_ = MakePod("pod-a");
    store_ = std::make_unique<AttachmentStore>(dir_);
    EngineOptions eo;
    eo.ip_blocks = [this] { return blocks_; };
    engine_ = std::make_unique<AttachEngine>(
        EngineHost{*sysfs_, *nl_,
                   [](int fd) -> host::Result<std::unique_ptr<host::Netlink>> {
                     auto nl = host::RealNetlink::OpenInNetns(fd);
                     if (!nl.ok()) return nl.error();
                     return std::unique_ptr<host::Netlink>(std::move(*nl));
                   }},
        *store_, eo);
    ASSERT_TRUE(engine_->Start().ok());
    api::IpBlock b;
    b.network_namespace = "default";
    b.network = "roce-net";
    b.start = "192.168.100.16";
    b.end = "192.168.100.31";
    blocks_ = {b};
  }
  void TearDown() override {
    for (const auto& p : pods_) {
      host::SubprocessRunner().Run({"umount", p}, 10s);
      ::unlink(p.c_str());
    }
    std::filesystem::remove_all(dir_);
  }
  // A pod namespace bind-mounted at a path, as runtimes make them.
  std::string MakePod(const std::string& name) {
    auto ns = host::NewAnonymousNetns();
    EXPECT_TRUE(ns.ok());
    const std::string path = dir_ + "-" + name;
    std::ofstream(path).flush();
    const std::string from = "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(ns->get());
    EXPECT_EQ(host::SubprocessRunner().Run({"mount", "--bind", from, path}, 10s)->exit_code, 0);
    pods_.push_back(path);
    return path;
  }
  std::string InPod(const std::string& netns, std::vector<std::string> cmd) {
    cmd.insert(cmd.begin(), "--net=" + netns);
    cmd.insert(cmd.begin(), "nsenter");
    auto r = host::SubprocessRunner().Run(cmd, 10s);
    return r.ok() ? r->out + r->err : r.error().message;
  }
  host::Result<std::unique_ptr<host::Netlink>> OpenIn(int fd) {
    auto nl = host::RealNetlink::OpenInNetns(fd);
    if (!nl.ok()) return nl.error();
    return std::unique_ptr<host::Netlink>(std::move(*nl));
  }
  // An engine on another store of the same directory, as after a restart.
  std::unique_ptr<AttachEngine> Restarted(host::Netlink& nl) {
    store_ = std::make_unique<AttachmentStore>(dir_);
    EngineOptions eo;
    eo.ip_blocks = [this] { return blocks_; };
    return std::make_unique<AttachEngine>(
        EngineHost{*sysfs_, nl, [this](int fd) { return OpenIn(fd); }}, *store_, eo);
  }
  // The VF's netdev in the host as sysfs shows it ("" when not there).
  std::string HostName(const std::string& pci) {
    auto vf = engine_->LocateVf(pci);
    return vf.ok() ? vf->netdev : "error: " + vf.error().message;
  }
  cni::Invocation Call(cni::Command command, const std::string& cid, const std::string& netns, const std::string& pci) {
    cni::Invocation inv;
    inv.command = command;
    inv.container_id = cid;
    inv.netns = netns;
    inv.ifname = "net1";
    inv.device_id = pci;
    inv.cni_version = "1.0.0";
    inv.cni_args = {{"K8S_POD_NAMESPACE", "default"}, {"K8S_POD_NAME", cid}};
    inv.config = json::parse(R"({"cniVersion":"1.0.0","name":"roce-net","type":"rdma-cni",
      "network":{"namespace":"default","name":"roce-net"},"mtu":1400,
      "ipam":{"type":"rdma-node-block","subnet":"192.168.100.0/24","gateway":"192.168.100.1",
              "routes":[{"dst":"192.168.200.0/24","gw":"192.168.100.1"}]}})");
    return inv;
  }

  std::string dir_;
  std::unique_ptr<host::RealNetlink> nl_;
  std::unique_ptr<KernelLikeSysfs> sysfs_;
  std::unique_ptr<AttachmentStore> store_;
  std::unique_ptr<AttachEngine> engine_;
  std::vector<api::IpBlock> blocks_;
  std::string pod_;
  std::vector<std::string> pods_;
};

TEST_F(AttachEngineTest, AddPutsTheVfIntoThePodAndDelBringsItBack) {
  auto r = engine_->Handle(Call(cni::Command::kAdd, "pod-a", pod_, "0000:41:00.2"));
  ASSERT_TRUE(r.ok()) << r.error().msg;
  EXPECT_EQ((*r)["interfaces"][0]["name"], "net1");
  EXPECT_EQ((*r)["interfaces"][0]["pciID"], "0000:41:00.2");
  EXPECT_EQ((*r)["ips"][0]["address"], "192.168.100.16/24");
  const std::string addr = InPod(pod_, {"ip", "-o", "addr", "show", "net1"});
  EXPECT_NE(addr.find("192.168.100.16/24"), std::string::npos) << addr;
  const std::string link = InPod(pod_, {"ip", "-o", "link", "show", "net1"});
  EXPECT_NE(link.find("mtu 1400"), std::string::npos) << link;
  EXPECT_NE(link.find("UP"), std::string::npos) << link;
  EXPECT_NE(InPod(pod_, {"ip", "route"}).find("192.168.200.0/24 via 192.168.100.1 dev net1"), std::string::npos);
  EXPECT_EQ(nl_->GetLink("ens1f0v0").error().sys_errno, ENODEV);
  EXPECT_TRUE(engine_->Handle(Call(cni::Command::kCheck, "pod-a", pod_, "0000:41:00.2")).ok());

  // The VF is held: another pod cannot have it while pod-a's namespace lives.
  const std::string pod_b = MakePod("pod-b");
  auto busy = engine_->Handle(Call(cni::Command::kAdd, "pod-b", pod_b, "0000:41:00.2"));
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().code, kDeviceInUse);
  EXPECT_NE(busy.error().msg.find("attached to pod default/pod-a"), std::string::npos) << busy.error().msg;
  // A late DEL of some other container leaves pod-a's VF alone.
  EXPECT_TRUE(engine_->Handle(Call(cni::Command::kDel, "pod-old", pod_, "")).ok());
  EXPECT_NE(InPod(pod_, {"ip", "-o", "link", "show", "net1"}).find("net1"), std::string::npos);

  ASSERT_TRUE(engine_->Handle(Call(cni::Command::kDel, "pod-a", pod_, "")).ok());
  auto back = nl_->GetLink("ens1f0v0");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->mtu, 1500u);
  EXPECT_FALSE(store_->Find("pod-a/net1"));
  // DEL again, and DEL with no netns: nothing to do, success.
  EXPECT_TRUE(engine_->Handle(Call(cni::Command::kDel, "pod-a", pod_, "")).ok());
  EXPECT_TRUE(engine_->Handle(Call(cni::Command::kDel, "pod-a", "", "")).ok());
  // The address is free again.
  auto again = engine_->Handle(Call(cni::Command::kAdd, "pod-b", pod_b, "0000:41:00.2"));
  ASSERT_TRUE(again.ok()) << again.error().msg;
  EXPECT_EQ((*again)["ips"][0]["address"], "192.168.100.16/24");
}

TEST_F(AttachEngineTest, BadRequestsGetCodesAndLeaveNothingBehind) {
  auto unknown = engine_->Handle(Call(cni::Command::kAdd, "pod-a", pod_, "0000:99:00.2"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, kUnknownDevice);
  auto pf = engine_->Handle(Call(cni::Command::kAdd, "pod-a", pod_, kPf));
  ASSERT_FALSE(pf.ok());
  EXPECT_EQ(pf.error().code, kUnknownDevice);
  auto no_ns = engine_->Handle(Call(cni::Command::kAdd, "pod-a", dir_ + "-missing", "0000:41:00.2"));
  ASSERT_FALSE(no_ns.ok());
  EXPECT_EQ(no_ns.error().code, cni::kInvalidEnvironment);
  blocks_.clear();
  auto no_block = engine_->Handle(Call(cni::Command::kAdd, "pod-a", pod_, "0000:41:00.2"));
  ASSERT_FALSE(no_block.ok());
  EXPECT_EQ(no_block.error().code, kNoAddress);
  EXPECT_NE(no_block.error().msg.find("no IP block of RdmaNetwork default/roce-net"), std::string::npos);
  // A failure after the VF moved (an address the kernel refuses: the
  // subnet's prefix does not fit) undoes the move and the record.
  blocks_ = {api::IpBlock{"default", "roce-net", "192.168.100.16", "192.168.100.16", {}}};
  cni::Invocation bad_route = Call(cni::Command::kAdd, "pod-a", pod_, "0000:41:00.2");
  bad_route.config["ipam"]["routes"] = json::parse(R"([{"dst":"10.0.0.0/8","gw":"172.16.0.1"}])");
  auto failed = engine_->Handle(bad_route);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, kHostFailure);
  EXPECT_TRUE(nl_->GetLink("ens1f0v0").ok()) << "the VF must be back in the host";
  EXPECT_TRUE(store_->All().empty());
  EXPECT_NE(InPod(pod_, {"ip", "-o", "link"}).find("lo"), std::string::npos);
  EXPECT_EQ(InPod(pod_, {"ip", "-o", "link"}).find("net1"), std::string::npos);
}

// VF settings the VF already has are not sent: on this PF (a veth, which
// reports no VFs and takes no VF settings, so the kernel's defaults stand)
// the defaults attach, as the CRD's vlan 0 asks; another vlan is a host
// failure that leaves nothing behind.
TEST_F(AttachEngineTest, OnlyVfSettingsThatDifferAreSent) {
  cni::Invocation defaults = Call(cni::Command::kAdd, "pod-a", pod_, "0000:41:00.2");
  defaults.config.update(json::parse(R"({"vlan":0,"spoofchk":"on","trust":"off","link_state":"auto"})"));
  auto r = engine_->Handle(defaults);
  ASSERT_TRUE(r.ok()) << r.error().msg;
  auto rec = store_->Find("pod-a/net1");
  ASSERT_TRUE(rec);
  EXPECT_TRUE(rec->vf_before.is_null() || rec->vf_before.empty()) << rec->vf_before.dump();
  ASSERT_TRUE(engine_->Handle(Call(cni::Command::kDel, "pod-a", pod_, "")).ok());
  EXPECT_TRUE(nl_->GetLink("ens1f0v0").ok());

  cni::Invocation vlan = Call(cni::Command::kAdd, "pod-a", pod_, "0000:41:00.2");
  vlan.config["vlan"] = 100;
  auto failed = engine_->Handle(vlan);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, kHostFailure);
  EXPECT_NE(failed.error().msg.find("set vlan"), std::string::npos) << failed.error().msg;
  EXPECT_TRUE(nl_->GetLink("ens1f0v0").ok());
  EXPECT_TRUE(store_->All().empty());
}

TEST_F(AttachEngineTest, AnIfnameThePodHasIsRefusedBeforeTheVfMoves) {
  InPod(pod_, {"ip", "link", "add", "net1", "type", "veth", "peer", "name", "net1p"});
  auto r = engine_->Handle(Call(cni::Command::kAdd, "pod-a", pod_, "0000:41:00.2"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, cni::kInvalidEnvironment);
  EXPECT_NE(r.error().msg.find("already has an interface net1"), std::string::npos) << r.error().msg;
  EXPECT_EQ(HostName("0000:41:00.2"), "ens1f0v0");
  EXPECT_TRUE(store_->All().empty());
  EXPECT_NE(InPod(pod_, {"ip", "-o", "link", "show", "net1"}).find("net1@net1p"), std::string::npos);
}

// The VF's host name taken in the pod: the kernel moves it under net1
// directly, and the pod's own link of that name is left alone both ways.
TEST_F(AttachEngineTest, TheHostNameTakenInThePodIsNoClash) {
  InPod(pod_, {"ip", "link", "add", "ens1f0v0", "type", "veth", "peer", "name", "other"});
  auto r = engine_->Handle(Call(cni::Command::kAdd, "pod-a", pod_, "0000:41:00.2"));
  ASSERT_TRUE(r.ok()) << r.error().msg;
  EXPECT_NE(InPod(pod_, {"ip", "-o", "link", "show", "net1"}).find("mtu 1400"), std::string::npos);
  EXPECT_NE(InPod(pod_, {"ip", "-o", "link", "show", "ens1f0v0"}).find("ens1f0v0@other"), std::string::npos);
  ASSERT_TRUE(engine_->Handle(Call(cni::Command::kDel, "pod-a", pod_, "")).ok());
  auto back = nl_->GetLink("ens1f0v0");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->mtu, 1500u);
  EXPECT_NE(InPod(pod_, {"ip", "-o", "link", "show", "ens1f0v0"}).find("ens1f0v0@other"), std::string::npos);
  EXPECT_EQ(InPod(pod_, {"ip", "-o", "link"}).find("net1"), std::string::npos);
}

// Another link took the VF's old name in the host while it was in a pod:
// DEL brings it back as the kernel's dev<n> (with the pod's name free in
// the host, and with that taken too), and the VF is usable again by PCI.
TEST_F(AttachEngineTest, DelWithTheOldNameTakenBringsTheVfBackAsDevN) {
  const std::string pod_b = MakePod("pod-b");
  ASSERT_TRUE(engine_->Handle(Call(cni::Command::kAdd, "pod-a", pod_, "0000:41:00.2")).ok());
  ASSERT_TRUE(engine_->Handle(Call(cni::Command::kAdd, "pod-b", pod_b, "0000:41:00.3")).ok());
  ASSERT_TRUE(testing_vfs::Ip({"link", "add", "ens1f0v0", "type", "veth", "peer", "name", "ens1f0v1"}).ok());

  ASSERT_TRUE(engine_->Handle(Call(cni::Command::kDel, "pod-a", pod_, "")).ok());
  const std::string first = HostName("0000:41:00.2");
  EXPECT_EQ(first.rfind("dev", 0), 0u) << first;
  EXPECT_EQ(nl_->GetLink(first)->mtu, 1500u);
  EXPECT_EQ(InPod(pod_, {"ip", "-o", "link"}).find("net1"), std::string::npos);

  ASSERT_TRUE(testing_vfs::Ip({"link", "add", "net1", "type", "veth", "peer", "name", "net1p"}).ok());
  ASSERT_TRUE(engine_->Handle(Call(cni::Command::kDel, "pod-b", pod_b, "")).ok());
  const std::string second = HostName("0000:41:00.3");
  EXPECT_EQ(second.rfind("dev", 0), 0u) << second;
  EXPECT_NE(second, first);
  EXPECT_EQ(InPod(pod_b, {"ip", "-o", "link"}).find("net1"), std::string::npos);
  EXPECT_TRUE(store_->All().empty());

  auto again = engine_->Handle(Call(cni::Command::kAdd, "pod-a", pod_, "0000:41:00.2"));
  ASSERT_TRUE(again.ok()) << again.error().msg;
  EXPECT_NE(InPod(pod_, {"ip", "-o", "link", "show", "net1"}).find("mtu 1400"), std::string::npos);
}

// The kernel brought the VF back itself (its pod's namespace went away) as
// dev<ifindex>: DEL finds it by PCI address and renames it.
TEST_F(AttachEngineTest, DelRenamesAVfTheKernelBroughtBackAsDevIfindex) {
  ASSERT_TRUE(engine_->Handle(Call(cni::Command::kAdd, "pod-a", pod_, "0000:41:00.2")).ok());
  const std::string out = InPod(pod_, {"ip", "link", "set", "net1", "netns", std::to_string(::getpid()), "name", "dev42"});
  ASSERT_EQ(HostName("0000:41:00.2"), "dev42") << out;
  ASSERT_TRUE(engine_->Handle(Call(cni::Command::kDel, "pod-a", pod_, "")).ok());
  EXPECT_EQ(HostName("0000:41:00.2"), "ens1f0v0");
  EXPECT_EQ(nl_->GetLink("ens1f0v0")->mtu, 1500u);
  EXPECT_TRUE(store_->All().empty());
}

// Records of ADDs the agent died in: one whose VF made it into the pod as
// net1, one whose move the kernel did before refusing the rest (the VF in
// the pod under its host name). Start() brings both back.
TEST_F(AttachEngineTest, StartUndoesAddsTheAgentDiedIn) {
  ASSERT_TRUE(engine_->Handle(Call(cni::Command::kAdd, "pod-a", pod_, "0000:41:00.2")).ok());
  Attachment a = *store_->Find("pod-a/net1");
  a.phase = kPhaseAdding;
  ASSERT_TRUE(store_->Put(a).ok());

  const std::string pod_b = MakePod("pod-b");
  auto b_ns = host::OpenNetns(pod_b);
  ASSERT_TRUE(b_ns.ok());
  Attachment b = a;
  b.container_id = "pod-b";
  b.netns = pod_b;
  b.pci = "0000:41:00.3";
  b.vf = 1;
  b.host_ifname = "ens1f0v1";
  b.address = "";
  ASSERT_TRUE(store_->Put(b).ok());
  ASSERT_TRUE(nl_->MoveToNetnsFd("ens1f0v1", b_ns->get()).ok());

  engine_ = Restarted(*nl_);
  ASSERT_TRUE(engine_->Start().ok());
  EXPECT_EQ(HostName("0000:41:00.2"), "ens1f0v0");
  EXPECT_EQ(nl_->GetLink("ens1f0v0")->mtu, 1500u);
  EXPECT_EQ(HostName("0000:41:00.3"), "ens1f0v1");
  EXPECT_TRUE(store_->All().empty());
  EXPECT_EQ(InPod(pod_, {"ip", "-o", "link"}).find("net1"), std::string::npos);
}

// A host netlink whose move-with-name stops after the move, as the kernel
// does when the target refuses the name or MTU (RealNetlinkTest shows it).
class HalfMoveNetlink : public host::SimulatedRdmaNetlink {
 public:
  explicit HalfMoveNetlink(host::Netlink& real) : SimulatedRdmaNetlink(real, "/nonexistent"), real_(real) {}
  host::Status MoveToNetnsFdAs(const std::string& link, int fd, const std::string& name, uint32_t) override {
    host::Status st = real_.MoveToNetnsFd(link, fd);
    if (!st.ok()) return st;
    return host::Error{"move " + link + " as " + name + ": File exists", EEXIST};
  }

 private:
  host::Netlink& real_;
};

TEST_F(AttachEngineTest, AnAddTheKernelStoppedHalfWayIsUndone) {
  HalfMoveNetlink half(*nl_);
  engine_ = Restarted(half);
  ASSERT_TRUE(engine_->Start().ok());
  auto r = engine_->Handle(Call(cni::Command::kAdd, "pod-a", pod_, "0000:41:00.2"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kHostFailure);
  EXPECT_NE(r.error().msg.find("File exists"), std::string::npos) << r.error().msg;
  EXPECT_EQ(HostName("0000:41:00.2"), "ens1f0v0");
  EXPECT_EQ(nl_->GetLink("ens1f0v0")->mtu, 1500u);
  EXPECT_EQ(InPod(pod_, {"ip", "-o", "link"}).find("ens1f0v0"), std::string::npos);
  EXPECT_TRUE(store_->All().empty());
  engine_.reset();  // before `half`
}

// The whole path a runtime takes: the real rdma-cni binary, env + stdin,
// through the socket to the engine, and the result JSON on stdout.
TEST_F(AttachEngineTest, TheShimReachesTheEngineThroughTheSocket) {
  CniServer server(*engine_, dir_ + "/cni.sock");
  ASSERT_TRUE(server.Start().ok());
  json config = Call(cni::Command::kAdd, "", "", "").config;
  config["deviceID"] = "0000:41:00.3";
  config["agentSocket"] = dir_ + "/cni.sock";
  const std::string stdin_file = dir_ + "/stdin.json";
  std::ofstream(stdin_file) << config.dump();
  auto run = [&](const std::string& command) {
    return host::SubprocessRunner().Run(
        {"/bin/sh", "-c",
         "CNI_COMMAND=" + command + " CNI_CONTAINERID=pod-s CNI_NETNS=" + pod_ +
             " CNI_IFNAME=net1 CNI_ARGS='K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod-s' CNI_PATH=/opt/cni/bin " +
             RDMA_CNI_BINARY + " < " + stdin_file},
        10s);
  };
  auto add = run("ADD");
  ASSERT_TRUE(add.ok());
  ASSERT_EQ(add->exit_code, 0) << add->out << add->err;
  json result = json::parse(add->out);
  EXPECT_EQ(result["interfaces"][0]["pciID"], "0000:41:00.3");
  EXPECT_EQ(result["ips"][0]["address"], "192.168.100.16/24");
  EXPECT_NE(InPod(pod_, {"ip", "-o", "addr", "show", "net1"}).find("192.168.100.16/24"), std::string::npos);
  auto del = run("DEL");
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del->exit_code, 0) << del->out << del->err;
  EXPECT_TRUE(nl_->GetLink("ens1f0v1").ok());
  server.Stop();
}

}  // namespace
}  // namespace attach
