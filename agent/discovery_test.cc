// Discovery over an in-memory sysfs: what status shows for a PF and its VFs,
// and that odd or missing files give warnings, never a crash or a lost PF.
#include "agent/discovery.h"

#include <gtest/gtest.h>

#include "agent/host/fake_netlink.h"
#include "agent/host/fake_sysfs.h"

namespace agent {
namespace {

void AddFunction(host::FakeSysfs& s, const std::string& pci, const std::string& netdev, const std::string& ibdev,
                 const std::string& guid) {
  const std::string d = "bus/pci/devices/" + pci;
  s.AddFile(d + "/vendor", "0x15b3");
  s.AddFile(d + "/device", "0x1017");
  s.AddLink(d + "/driver", "../../drivers/mlx5_core");
  if (!netdev.empty()) {
    s.AddDir(d + "/net/" + netdev);
    s.AddLink("class/net/" + netdev, "../../" + d + "/net/" + netdev);
    s.AddFile(d + "/net/" + netdev + "/type", "1");
  }
  if (!ibdev.empty()) {
    s.AddDir(d + "/infiniband/" + ibdev);
    s.AddLink("class/infiniband/" + ibdev, "../../" + d + "/infiniband/" + ibdev);
    s.AddFile(d + "/infiniband/" + ibdev + "/node_guid", guid);
  }
}

class DiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sysfs_.AddDir("bus/pci/drivers/mlx5_core");
    AddFunction(sysfs_, "0000:41:00.0", "ens1f0", "mlx5_0", "b8ce:f603:0000:4100");
    sysfs_.AddFile("bus/pci/devices/0000:41:00.0/sriov_totalvfs", "8");
    sysfs_.AddFile("bus/pci/devices/0000:41:00.0/sriov_numvfs", "1");
    AddFunction(sysfs_, "0000:41:00.1", "ens1f0v0", "mlx5_1", "bace:f600:0100:4100");
    sysfs_.AddLink("bus/pci/devices/0000:41:00.0/virtfn0", "../0000:41:00.1");
    sysfs_.AddLink("bus/pci/devices/0000:41:00.1/physfn", "../0000:41:00.0");
    sysfs_.AddDir("bus/pci/devices/0000:41:00.1/infiniband_verbs/uverbs1");
    sysfs_.AddFile("bus/pci/devices/0000:03:00.0/vendor", "0x8086");  // not ours
    host::Link pf;
    pf.name = "ens1f0";
    pf.mtu = 9000;
    pf.mac = "b8:ce:f6:00:41:00";
    pf.operstate = 6;
    netlink_.AddLink(pf);
  }
  host::FakeSysfs sysfs_;
  host::FakeNetlink netlink_;
};

TEST_F(DiscoveryTest, ReportsThePfAndItsVf) {
  Discovered d = Discovery(sysfs_, &netlink_).Run();
  ASSERT_EQ(d.interfaces.size(), 1u);  // the VF is under its PF, the Intel NIC not at all
  const auto& pf = d.interfaces[0];
  EXPECT_EQ(pf.pci_address, "0000:41:00.0");
  EXPECT_EQ(pf.name, "ens1f0");
  EXPECT_EQ(pf.vendor, "15b3");
  EXPECT_EQ(pf.device_id, "1017");
  EXPECT_EQ(pf.driver, "mlx5_core");
  EXPECT_EQ(pf.link_type, "Ethernet");
  EXPECT_EQ(pf.link_state, "Up");
  EXPECT_EQ(pf.mtu, 9000);
  EXPECT_EQ(pf.total_vfs, 8);
  EXPECT_EQ(pf.num_vfs, 1);
  EXPECT_EQ(pf.rdma_device, "mlx5_0");
  EXPECT_EQ(pf.node_guid, "b8:ce:f6:03:00:00:41:00");
  ASSERT_EQ(pf.vfs.size(), 1u);
  const auto& vf = pf.vfs[0];
  EXPECT_EQ(vf.index, 0);
  EXPECT_EQ(vf.pci_address, "0000:41:00.1");
  EXPECT_EQ(vf.name, "ens1f0v0");
  EXPECT_EQ(vf.rdma_device, "mlx5_1");
  EXPECT_EQ(vf.uverbs_device, "/dev/infiniband/uverbs1");
  EXPECT_EQ(vf.node_guid, "ba:ce:f6:00:01:00:41:00");
  EXPECT_EQ(vf.port_guid, vf.node_guid);
  EXPECT_TRUE(d.warnings.empty());
}

TEST_F(DiscoveryTest, OddAndMissingFilesGiveWarningsNotCrashes) {
  sysfs_.AddFile("bus/pci/devices/0000:41:00.0/sriov_totalvfs", "lots");
  sysfs_.Remove("bus/pci/devices/0000:41:00.1/infiniband/mlx5_1/node_guid");
  sysfs_.AddLink("bus/pci/devices/0000:41:00.0/virtfn1", "../0000:41:00.2");  // dangling
  sysfs_.AddLink("bus/pci/devices/0000:41:00.0/virtfnX", "../0000:41:00.3");  // not an index
  netlink_.FailNext(host::Error{"list links: Operation not permitted", EPERM});
  Discovered d = Discovery(sysfs_, &netlink_).Run();
  ASSERT_EQ(d.interfaces.size(), 1u);
  const auto& pf = d.interfaces[0];
  EXPECT_EQ(pf.total_vfs, 0);
  EXPECT_EQ(pf.link_state, "Unknown");  // no netlink answer
  ASSERT_EQ(pf.vfs.size(), 2u);       // virtfn0 and the dangling virtfn1, which still names its PCI address
  EXPECT_EQ(pf.vfs[0].node_guid, "");
  EXPECT_EQ(pf.vfs[1].pci_address, "0000:41:00.2");
  EXPECT_EQ(pf.vfs[1].driver, "");
  std::string all;
  for (const auto& w : d.warnings) all += w + "\n";
  EXPECT_NE(all.find("list links: "), std::string::npos) << all;
  EXPECT_NE(all.find("bus/pci/devices/0000:41:00.0/sriov_totalvfs: \"lots\" is not a number"), std::string::npos) << all;
  EXPECT_NE(all.find("node_guid"), std::string::npos) << all;
}

TEST_F(DiscoveryTest, EmptySysfsIsNoPfsAndAWarning) {
  host::FakeSysfs empty;
  Discovered d = Discovery(empty, nullptr).Run();
  EXPECT_TRUE(d.interfaces.empty());
  ASSERT_EQ(d.warnings.size(), 1u);
  EXPECT_EQ(d.warnings[0].rfind("list PCI devices: ", 0), 0u) << d.warnings[0];
}

}  // namespace
}  // namespace agent
