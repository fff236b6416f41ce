// The simulated kernel's sysfs behaviour, through the same Sysfs interface
// the agent uses (SimTreeSysfs), without FUSE or root.
#include "e2e/sim/simulated_node.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "agent/host/driver_binder.h"
#include "e2e/sim/fake_netdev_backend.h"
#include "e2e/sim/sim_tree_sysfs.h"

namespace sim {
namespace {

const char kPf[] = "bus/pci/devices/0000:41:00.0";

class SimulatedNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sim-node-test-XXXXXX";
    state_ = ::mkdtemp(tmpl);
    auto cfg = ParseNodeConfig(R"({"pfs": [{"pci": "0000:41:00.0", "netdev": "enp65s0f0np0",
        "mac": "b8:ce:f6:00:41:00", "vf_netdev_prefix": "enp65s0f0v", "max_vfs": 8}]})");
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    store_ = std::make_unique<FirmwareStore>(state_);
    node_ = std::make_unique<SimulatedNode>(*cfg, *store_, netdevs_);
    ASSERT_TRUE(node_->Boot().ok());
    sysfs_ = std::make_unique<SimTreeSysfs>(node_->tree());
  }
  void TearDown() override {
    node_.reset();
    std::filesystem::remove_all(state_);
  }
  // Firmware SRIOV_EN=1 NUM_OF_VFS=n, then a reboot, as the agent would do.
  void EnableSriov(int n) {
    ASSERT_TRUE(store_
                    ->Update("0000:41:00.0",
                             [&](FirmwareDeviceState& d) {
                               d.Find("SRIOV_EN")->next_boot = "True(1)";
                               d.Find("NUM_OF_VFS")->next_boot = std::to_string(n);
                               return host::Status::Ok();
                             })
                    .ok());
    ASSERT_TRUE(node_->Reboot().ok());
  }
  std::string Read(const std::string& path) {
    auto r = sysfs_->Read(path);
    return r.ok() ? *r : "<" + r.error().message + ">";
  }

  std::string state_;
  FakeNetdevBackend netdevs_;
  std::unique_ptr<FirmwareStore> store_;
  std::unique_ptr<SimulatedNode> node_;
  std::unique_ptr<SimTreeSysfs> sysfs_;
};

TEST_F(SimulatedNodeTest, FreshNodeShowsThePfWithoutSriov) {
  EXPECT_EQ(Read(std::string(kPf) + "/vendor"), "0x15b3");
  EXPECT_EQ(Read(std::string(kPf) + "/device"), "0x1017");
  EXPECT_EQ(Read("class/net/enp65s0f0np0/type"), "1");
  EXPECT_EQ(host::PathBaseName(*sysfs_->ReadLink("class/net/enp65s0f0np0/device")), "0000:41:00.0");
  EXPECT_EQ(Read("class/infiniband/mlx5_0/node_guid"), "b8ce:f603:0000:4100");
  EXPECT_EQ(Read("class/infiniband_verbs/uverbs0/ibdev"), "mlx5_0");
  // SR-IOV off in firmware: the PCI capability, and its files, are absent.
  EXPECT_FALSE(sysfs_->Exists(std::string(kPf) + "/sriov_numvfs"));
  EXPECT_FALSE(sysfs_->Exists(std::string(kPf) + "/sriov_totalvfs"));
}

TEST_F(SimulatedNodeTest, FirmwareCurrentValuesDecideTotalVfs) {
  EnableSriov(4);
  EXPECT_EQ(Read(std::string(kPf) + "/sriov_totalvfs"), "4");
  EXPECT_EQ(Read(std::string(kPf) + "/sriov_numvfs"), "0");
  EnableSriov(100);  // above the PF's max_vfs of 8
  EXPECT_EQ(Read(std::string(kPf) + "/sriov_totalvfs"), "8");
}

TEST_F(SimulatedNodeTest, ZeroToNCreatesEveryVfEntrySynchronously) {
  EnableSriov(8);
  ASSERT_TRUE(sysfs_->Write("class/net/enp65s0f0np0/device/sriov_numvfs", "3\n").ok());
  EXPECT_EQ(Read(std::string(kPf) + "/sriov_numvfs"), "3");
  for (int i = 0; i < 3; ++i) {
    const std::string vf = "0000:41:00." + std::to_string(i + 1);
    EXPECT_EQ(host::PathBaseName(*sysfs_->ReadLink(std::string(kPf) + "/virtfn" + std::to_string(i))), vf);
    EXPECT_EQ(host::PathBaseName(*sysfs_->ReadLink("bus/pci/devices/" + vf + "/physfn")), "0000:41:00.0");
    EXPECT_EQ(Read("bus/pci/devices/" + vf + "/device"), "0x1018");
    auto net = sysfs_->List("bus/pci/devices/" + vf + "/net");
    ASSERT_TRUE(net.ok());
    EXPECT_EQ(*net, std::vector<std::string>{"enp65s0f0v" + std::to_string(i)});
    auto ib = sysfs_->List("bus/pci/devices/" + vf + "/infiniband");
    ASSERT_TRUE(ib.ok());
    ASSERT_EQ(ib->size(), 1u);
    // A new VF has node GUID zero: what breaks RDMA_CM until the agent sets one.
    EXPECT_EQ(Read("class/infiniband/" + (*ib)[0] + "/node_guid"), "0000:0000:0000:0000");
    EXPECT_EQ(host::PathBaseName(*sysfs_->ReadLink("bus/pci/devices/" + vf + "/driver")), "mlx5_core");
  }
  EXPECT_EQ(netdevs_.count(), 4u);  // PF + 3 VFs
  EXPECT_EQ(Read("class/net/enp65s0f0v2/device/physfn/sriov_numvfs"), "3");
}

TEST_F(SimulatedNodeTest, ChangingANonZeroCountIsBusyLikeTheKernel) {
  EnableSriov(8);
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "4").ok());
  host::Status st = sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "2");
  EXPECT_EQ(st.sys_errno(), EBUSY);
  EXPECT_EQ(st.message(), "write /sys/bus/pci/devices/0000:41:00.0/sriov_numvfs=2: Device or resource busy");
  EXPECT_EQ(Read(std::string(kPf) + "/sriov_numvfs"), "4");
  EXPECT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "4").ok());  // same count: no-op
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "0").ok());
  EXPECT_FALSE(sysfs_->Exists(std::string(kPf) + "/virtfn0"));
  EXPECT_FALSE(sysfs_->Exists("bus/pci/devices/0000:41:00.1"));
  EXPECT_FALSE(sysfs_->Exists("class/net/enp65s0f0v0"));
  EXPECT_EQ(netdevs_.count(), 1u);
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "2").ok());
  EXPECT_EQ(Read(std::string(kPf) + "/sriov_numvfs"), "2");
}

TEST_F(SimulatedNodeTest, BadCountsAreRefused) {
  EnableSriov(4);
  EXPECT_EQ(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "5").sys_errno(), ERANGE);
  EXPECT_EQ(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "two").sys_errno(), EINVAL);
  EXPECT_EQ(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "-1").sys_errno(), EINVAL);
  EXPECT_EQ(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "").sys_errno(), EINVAL);
  EXPECT_EQ(Read(std::string(kPf) + "/sriov_numvfs"), "0");
}

TEST_F(SimulatedNodeTest, GuidTakesEffectAfterRebind) {
  EnableSriov(4);
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "2").ok());
  const std::string admin = std::string(kPf) + "/sriov/1/node";
  EXPECT_EQ(Read(admin), "00:00:00:00:00:00:00:00");
  ASSERT_TRUE(sysfs_->Write(admin, "b8:ce:f6:03:00:41:00:01\n").ok());
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov/1/port", "b8:ce:f6:03:00:41:00:01").ok());
  EXPECT_EQ(Read(admin), "b8:ce:f6:03:00:41:00:01");
  EXPECT_EQ(sysfs_->Write(admin, "not-a-guid").sys_errno(), EINVAL);
  EXPECT_EQ(sysfs_->Write(admin, "b8ce:f603:0041:0001").sys_errno(), EINVAL);  // sysfs takes bytes
  const std::string vf = "bus/pci/devices/0000:41:00.2";
  auto ib_before = *sysfs_->List(vf + "/infiniband");
  EXPECT_EQ(Read(vf + "/infiniband/" + ib_before[0] + "/node_guid"), "0000:0000:0000:0000");  // not yet

  host::SysfsDriverBinder binder(*sysfs_);
  ASSERT_TRUE(binder.Unbind("0000:41:00.2").ok());
  EXPECT_FALSE(sysfs_->Exists(vf + "/infiniband"));
  EXPECT_FALSE(sysfs_->Exists("class/net/enp65s0f0v1"));
  EXPECT_EQ(*binder.CurrentDriver("0000:41:00.2"), "");
  ASSERT_TRUE(binder.Bind("0000:41:00.2", "mlx5_core").ok());
  auto ib_after = *sysfs_->List(vf + "/infiniband");
  EXPECT_EQ(Read(vf + "/infiniband/" + ib_after[0] + "/node_guid"), "b8ce:f603:0041:0001");
  EXPECT_TRUE(sysfs_->Exists("class/net/enp65s0f0v1"));
}

TEST_F(SimulatedNodeTest, UnbindAndBindErrorsMatchTheKernel) {
  EnableSriov(4);
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "1").ok());
  const std::string drv = "bus/pci/drivers/mlx5_core/";
  EXPECT_EQ(sysfs_->Write(drv + "bind", "0000:41:00.1").sys_errno(), EBUSY);     // already bound
  EXPECT_EQ(sysfs_->Write(drv + "unbind", "0000:99:00.0").sys_errno(), ENODEV);  // no such device
  ASSERT_TRUE(sysfs_->Write(drv + "unbind", "0000:41:00.1").ok());
  EXPECT_EQ(sysfs_->Write(drv + "unbind", "0000:41:00.1").sys_errno(), ENODEV);  // not bound
  EXPECT_EQ(sysfs_->Read(drv + "bind").error().sys_errno, EACCES);               // write-only
  // Unbinding the PF takes its VFs with it; without a driver SR-IOV is refused.
  ASSERT_TRUE(sysfs_->Write(drv + "unbind", "0000:41:00.0").ok());
  EXPECT_EQ(Read(std::string(kPf) + "/sriov_numvfs"), "0");
  EXPECT_EQ(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "1").sys_errno(), ENOENT);
}

TEST_F(SimulatedNodeTest, AdminMacGivesARoceGuidOnRebind) {
  EnableSriov(2);
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "1").ok());
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov/0/mac", "02:00:00:00:00:0a").ok());
  host::SysfsDriverBinder binder(*sysfs_);
  ASSERT_TRUE(binder.Unbind("0000:41:00.1").ok());
  ASSERT_TRUE(binder.Bind("0000:41:00.1", "mlx5_core").ok());
  auto ib = *sysfs_->List("bus/pci/devices/0000:41:00.1/infiniband");
  EXPECT_EQ(Read("bus/pci/devices/0000:41:00.1/infiniband/" + ib[0] + "/node_guid"), "0200:0003:0000:000a");
  EXPECT_EQ(netdevs_.mac("enp65s0f0v0"), "02:00:00:00:00:0a");
}

TEST_F(SimulatedNodeTest, RenamedAndMovedNetdevsFollowTheKernel) {
  EnableSriov(2);
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "2").ok());
  netdevs_.Rename("enp65s0f0v0", "net1");
  netdevs_.MoveAway("enp65s0f0v1");  // into a pod's namespace
  node_->Refresh();
  EXPECT_EQ(*sysfs_->List("bus/pci/devices/0000:41:00.1/net"), std::vector<std::string>{"net1"});
  EXPECT_TRUE(sysfs_->Exists("class/net/net1"));
  EXPECT_FALSE(sysfs_->Exists("bus/pci/devices/0000:41:00.2/net"));
  EXPECT_FALSE(sysfs_->Exists("class/net/enp65s0f0v1"));
}

TEST_F(SimulatedNodeTest, RebootClearsVfsAndAppliesFirmwareExceptWhatDoesNotTake) {
  EnableSriov(4);
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "4").ok());
  const std::string boot = node_->boot_id();
  ASSERT_TRUE(store_
                  ->Update("0000:41:00.0",
                           [](FirmwareDeviceState& d) {
                             d.Find("NUM_OF_VFS")->next_boot = "8";
                             d.not_taking.insert("NUM_OF_VFS");
                             return host::Status::Ok();
                           })
                  .ok());
  ASSERT_EQ(node_->tree().Write("sim/control", "reboot\n"), 0);  // what `echo reboot > sim/control` does
  EXPECT_NE(node_->boot_id(), boot);
  EXPECT_EQ(Read(std::string(kPf) + "/sriov_numvfs"), "0");
  EXPECT_EQ(Read(std::string(kPf) + "/sriov_totalvfs"), "4");  // NUM_OF_VFS=8 did not take
  auto fw = store_->Load("0000:41:00.0");
  EXPECT_EQ(fw->Find("NUM_OF_VFS")->current, "4");
  EXPECT_EQ(fw->Find("NUM_OF_VFS")->next_boot, "8");
  EXPECT_EQ(netdevs_.count(), 1u);
}

TEST_F(SimulatedNodeTest, RdmaNetnsModeIsSharedAtBootSettableAndResetByAReboot) {
  std::string raw;
  ASSERT_EQ(node_->tree().Read("sim/rdma_netns_mode", &raw), 0);
  EXPECT_EQ(raw, "shared\n");  // ib_core's default, newline-terminated like sysfs
  ASSERT_EQ(node_->tree().Write("sim/rdma_netns_mode", "exclusive\n"), 0);  // what `echo exclusive >` does
  ASSERT_EQ(node_->tree().Read("sim/rdma_netns_mode", &raw), 0);
  EXPECT_EQ(raw, "exclusive\n");
  EXPECT_EQ(node_->tree().Write("sim/rdma_netns_mode", "shared \n"), 0);
  ASSERT_EQ(node_->tree().Read("sim/rdma_netns_mode", &raw), 0);
  EXPECT_EQ(raw, "shared\n");

  for (const char* bad : {"Exclusive", "0", "", "exclusive-ish", "shared exclusive"}) {
    EXPECT_EQ(node_->tree().Write("sim/rdma_netns_mode", bad), EINVAL) << "'" << bad << "'";
  }
  ASSERT_EQ(node_->tree().Read("sim/rdma_netns_mode", &raw), 0);
  EXPECT_EQ(raw, "shared\n");  // a refused write changes nothing

  ASSERT_EQ(node_->tree().Write("sim/rdma_netns_mode", "exclusive"), 0);
  ASSERT_EQ(node_->tree().Write("sim/control", "reboot\n"), 0);
  ASSERT_EQ(node_->tree().Read("sim/rdma_netns_mode", &raw), 0);
  EXPECT_EQ(raw, "shared\n");  // the module default again; the agent sets it after boot
}

// The umad entry of the function that owns `ibdev`, found the way rdma-core's
// libibumad does: by each class/infiniband_mad/umadN's ibdev file.
std::string UmadOf(host::Sysfs& sysfs, const std::string& ibdev) {
  auto names = sysfs.List("class/infiniband_mad");
  if (!names.ok()) return "";
  for (const auto& um : *names) {
    auto r = sysfs.Read("class/infiniband_mad/" + um + "/ibdev");
    if (r.ok() && *r == ibdev) return um;
  }
  return "";
}

TEST_F(SimulatedNodeTest, EveryRdmaDeviceHasAnUmadWithItsCharDeviceNumber) {
  EXPECT_EQ(*sysfs_->List("class/infiniband_mad"), std::vector<std::string>{"umad0"});
  EXPECT_EQ(Read("class/infiniband_mad/umad0/ibdev"), "mlx5_0");
  EXPECT_EQ(Read("class/infiniband_mad/umad0/port"), "1");
  EXPECT_EQ(Read("class/infiniband_mad/umad0/dev"), "231:0");
  EXPECT_EQ(host::PathBaseName(*sysfs_->ReadLink("class/infiniband_mad/umad0/device")), "0000:41:00.0");
  EXPECT_EQ(Read(std::string(kPf) + "/infiniband_mad/umad0/ibdev"), "mlx5_0");
  EXPECT_EQ(Read("class/infiniband_verbs/uverbs0/dev"), "231:192");
  EXPECT_EQ(Read("class/misc/rdma_cm/dev"), "10:58");

  EnableSriov(4);
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "3").ok());
  EXPECT_EQ(*sysfs_->List("class/infiniband_mad"), (std::vector<std::string>{"umad0", "umad1", "umad2", "umad3"}));
  for (int i = 0; i < 3; ++i) {
    const std::string vf = "bus/pci/devices/0000:41:00." + std::to_string(i + 1);
    auto ib = *sysfs_->List(vf + "/infiniband");
    auto mad = *sysfs_->List(vf + "/infiniband_mad");
    ASSERT_EQ(mad.size(), 1u);
    EXPECT_EQ(Read(vf + "/infiniband_mad/" + mad[0] + "/ibdev"), ib[0]);
    EXPECT_EQ(Read(vf + "/infiniband_mad/" + mad[0] + "/dev"), "231:" + mad[0].substr(4));
  }
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "0").ok());
  EXPECT_EQ(*sysfs_->List("class/infiniband_mad"), std::vector<std::string>{"umad0"});
  EXPECT_EQ(Read("class/misc/rdma_cm/dev"), "10:58");  // rdma_ucm stays loaded
}

TEST_F(SimulatedNodeTest, RebindsHandOutTheLowestFreeUverbsAndUmad) {
  EnableSriov(4);
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "3").ok());
  host::SysfsDriverBinder binder(*sysfs_);
  const std::string vf0 = "bus/pci/devices/0000:41:00.1", vf1 = "bus/pci/devices/0000:41:00.2";
  EXPECT_EQ(*sysfs_->List(vf0 + "/infiniband_verbs"), std::vector<std::string>{"uverbs1"});
  EXPECT_EQ(*sysfs_->List(vf1 + "/infiniband_mad"), std::vector<std::string>{"umad2"});
  // Unbind both, bind VF1 first: it takes the lower numbers VF0 had.
  ASSERT_TRUE(binder.Unbind("0000:41:00.1").ok());
  EXPECT_FALSE(sysfs_->Exists("class/infiniband_mad/umad1"));
  EXPECT_FALSE(sysfs_->Exists(vf0 + "/infiniband_mad"));
  ASSERT_TRUE(binder.Unbind("0000:41:00.2").ok());
  ASSERT_TRUE(binder.Bind("0000:41:00.2", "mlx5_core").ok());
  ASSERT_TRUE(binder.Bind("0000:41:00.1", "mlx5_core").ok());
  EXPECT_EQ(*sysfs_->List(vf1 + "/infiniband_verbs"), std::vector<std::string>{"uverbs1"});
  EXPECT_EQ(*sysfs_->List(vf1 + "/infiniband_mad"), std::vector<std::string>{"umad1"});
  EXPECT_EQ(*sysfs_->List(vf0 + "/infiniband_mad"), std::vector<std::string>{"umad2"});
  EXPECT_EQ(Read("class/infiniband_mad/umad1/dev"), "231:1");
  EXPECT_EQ(UmadOf(*sysfs_, (*sysfs_->List(vf1 + "/infiniband"))[0]), "umad1");
  EXPECT_EQ(UmadOf(*sysfs_, (*sysfs_->List(vf0 + "/infiniband"))[0]), "umad2");
}

TEST_F(SimulatedNodeTest, CharDevicesMatchSysfsAndChangesAreAnnounced) {
  int changes = 0;
  node_->OnChange([&] { ++changes; });
  EnableSriov(2);  // a reboot
  EXPECT_GT(changes, 0);
  using D = CharDevice;
  EXPECT_EQ(node_->CharDevices(), (std::vector<D>{{"rdma_cm", 10, 58}, {"umad0", 231, 0}, {"uverbs0", 231, 192}}));
  changes = 0;
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "2").ok());
  EXPECT_EQ(changes, 1);
  EXPECT_EQ(node_->CharDevices(), (std::vector<D>{{"rdma_cm", 10, 58},
                                                 {"umad0", 231, 0},
                                                 {"umad1", 231, 1},
                                                 {"umad2", 231, 2},
                                                 {"uverbs0", 231, 192},
                                                 {"uverbs1", 231, 193},
                                                 {"uverbs2", 231, 194}}));
  ASSERT_TRUE(sysfs_->Write("bus/pci/drivers/mlx5_core/unbind", "0000:41:00.1").ok());
  EXPECT_EQ(changes, 2);
  for (const auto& d : node_->CharDevices()) {
    EXPECT_NE(d.name, "uverbs1");
    EXPECT_NE(d.name, "umad1");
  }
  // Each one's sysfs dev file says the same number.
  for (const auto& d : node_->CharDevices()) {
    if (d.name == "rdma_cm") continue;
    const std::string cls = d.name.rfind("umad", 0) == 0 ? "infiniband_mad" : "infiniband_verbs";
    EXPECT_EQ(Read("class/" + cls + "/" + d.name + "/dev"), std::to_string(d.major) + ":" + std::to_string(d.minor));
  }
}

TEST(NodeConfig, VfAddressesOfTwoPfsNeverOverlap) {
  auto cfg = ParseNodeConfig(R"({"pfs": [
      {"pci": "0000:41:00.0", "netdev": "p0", "mac": "b8:ce:f6:00:41:00", "max_vfs": 8},
      {"pci": "0000:41:00.1", "netdev": "p1", "mac": "b8:ce:f6:00:41:01", "max_vfs": 8}]})");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->pfs[0].VfPci(0), "0000:41:00.2");
  EXPECT_EQ(cfg->pfs[0].VfPci(7), "0000:41:01.1");
  EXPECT_EQ(cfg->pfs[1].VfPci(0), "0000:41:01.2");
  EXPECT_EQ(cfg->pfs[1].VfNetdev(3), "p1v3");
}

TEST(NodeConfig, BadConfigsNameTheProblem) {
  struct Case {
    const char* json;
    const char* error;
  } cases[] = {
      {"", "not valid JSON"},
      {"{}", "at least one PF"},
      {R"({"pfs": [{"netdev": "p0", "mac": "b8:ce:f6:00:41:00"}]})", "pfs[0]: \"pci\""},
      {R"({"pfs": [{"pci": "41:00.0", "netdev": "p0", "mac": "b8:ce:f6:00:41:00"}]})", "is not dddd:bb:dd.f"},
      {R"({"pfs": [{"pci": "0000:41:00.0", "netdev": "p0", "mac": "b8-ce"}]})", "mac \"b8-ce\""},
      {R"({"pfs": [{"pci": "0000:41:00.0", "netdev": "enp65s0f0np0", "mac": "b8:ce:f6:00:41:00", "max_vfs": 128}]})",
       "would exceed 15 characters"},
      {R"({"pfs": [{"pci": "0000:41:00.0", "netdev": "p0", "mac": "b8:ce:f6:00:41:00", "max_vfs": "8"}]})",
       "wrong type"},
  };
  for (const auto& c : cases) {
    auto cfg = ParseNodeConfig(c.json);
    ASSERT_FALSE(cfg.ok()) << c.json;
    EXPECT_NE(cfg.error().message.find(c.error), std::string::npos) << cfg.error().message;
  }
}

}  // namespace
}  // namespace sim
