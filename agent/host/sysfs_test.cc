// RealSysfs on a temporary directory and FakeSysfs: same contract.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "agent/host/driver_binder.h"
#include "agent/host/fake_sysfs.h"
#include "agent/host/real_sysfs.h"

namespace host {
namespace {

class RealSysfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sysfs-test-XXXXXX";
    root_ = ::mkdtemp(tmpl);
    std::filesystem::create_directories(root_ + "/devices/pci0000:00/0000:41:00.0/net/eth0");
    std::filesystem::create_directories(root_ + "/class/net");
    std::ofstream(root_ + "/devices/pci0000:00/0000:41:00.0/sriov_numvfs") << "0\n";
    std::filesystem::create_directory_symlink("../../devices/pci0000:00/0000:41:00.0/net/eth0",
                                              root_ + "/class/net/eth0");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root_;
};

TEST_F(RealSysfsTest, ReadsWritesListsAndFollowsLinks) {
  RealSysfs sysfs(root_);
  EXPECT_EQ(*sysfs.Read("/devices/pci0000:00/0000:41:00.0/sriov_numvfs"), "0");
  ASSERT_TRUE(sysfs.Write("devices/pci0000:00/0000:41:00.0/sriov_numvfs", "4").ok());
  EXPECT_EQ(*sysfs.Read("devices/pci0000:00/0000:41:00.0/sriov_numvfs"), "4");
  EXPECT_EQ(*sysfs.ReadLink("class/net/eth0"), "../../devices/pci0000:00/0000:41:00.0/net/eth0");
  EXPECT_TRUE(sysfs.Exists("class/net/eth0"));
  EXPECT_FALSE(sysfs.Exists("class/net/eth1"));
  auto names = sysfs.List("devices/pci0000:00/0000:41:00.0");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"net", "sriov_numvfs"}));
}

TEST_F(RealSysfsTest, MissingFileErrorNamesPathAndCause) {
  RealSysfs sysfs(root_);
  auto r = sysfs.Read("class/net/eth9/mtu");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sys_errno, ENOENT);
  EXPECT_EQ(r.error().message, "read " + root_ + "/class/net/eth9/mtu: No such file or directory");
  Status st = sysfs.Write("class/net/eth9/mtu", "9000");
  EXPECT_EQ(st.message(), "write " + root_ + "/class/net/eth9/mtu=9000: No such file or directory");
}

TEST(FakeSysfs, FollowsRelativeLinksLikeTheKernel) {
  FakeSysfs sysfs;
  sysfs.AddFile("devices/pci0000:00/0000:41:00.0/sriov_totalvfs", "16\n");
  sysfs.AddLink("bus/pci/devices/0000:41:00.0", "../../../devices/pci0000:00/0000:41:00.0");
  sysfs.AddLink("devices/pci0000:00/0000:41:00.0/net/eth0/device", "../../../0000:41:00.0");
  EXPECT_EQ(*sysfs.Read("bus/pci/devices/0000:41:00.0/sriov_totalvfs"), "16");
  EXPECT_EQ(*sysfs.Read("bus/pci/devices/0000:41:00.0/net/eth0/device/sriov_totalvfs"), "16");
  EXPECT_EQ(PathBaseName(*sysfs.ReadLink("bus/pci/devices/0000:41:00.0/net/eth0/device")), "0000:41:00.0");
  EXPECT_EQ(*sysfs.List("bus/pci/devices/0000:41:00.0"), (std::vector<std::string>{"net", "sriov_totalvfs"}));
  EXPECT_EQ(sysfs.ReadLink("bus/pci/devices/0000:41:00.0/sriov_totalvfs").error().sys_errno, EINVAL);
  EXPECT_EQ(sysfs.Read("bus/pci/devices/0000:41:00.0/nothing").error().sys_errno, ENOENT);
}

TEST(FakeSysfs, WriteHandlerStandsInForTheKernel) {
  FakeSysfs sysfs;
  sysfs.AddFile("bus/pci/devices/0000:41:00.0/sriov_numvfs", "4");
  sysfs.OnWrite("bus/pci/devices/0000:41:00.0/sriov_numvfs", [](const std::string&) {
    return Status(Error{"Device or resource busy", EBUSY});
  });
  Status st = sysfs.Write("bus/pci/devices/0000:41:00.0/sriov_numvfs", "8");
  EXPECT_EQ(st.sys_errno(), EBUSY);
  EXPECT_EQ(st.message(), "write /sys/bus/pci/devices/0000:41:00.0/sriov_numvfs=8: Device or resource busy");
  EXPECT_EQ(sysfs.writes().size(), 1u);
}

TEST(SysfsDriverBinder, RebindsThroughTheDriverFiles) {
  FakeSysfs sysfs;
  sysfs.AddDir("bus/pci/devices/0000:41:00.2");
  sysfs.AddLink("bus/pci/devices/0000:41:00.2/driver", "../../../bus/pci/drivers/mlx5_core");
  sysfs.AddFile("bus/pci/drivers/mlx5_core/unbind", "");
  sysfs.AddFile("bus/pci/drivers/mlx5_core/bind", "");
  SysfsDriverBinder binder(sysfs);
  EXPECT_EQ(*binder.CurrentDriver("0000:41:00.2"), "mlx5_core");
  ASSERT_TRUE(binder.Unbind("0000:41:00.2").ok());
  ASSERT_TRUE(binder.Bind("0000:41:00.2", "mlx5_core").ok());
  ASSERT_EQ(sysfs.writes().size(), 2u);
  EXPECT_EQ(sysfs.writes()[0],
            (std::pair<std::string, std::string>{"bus/pci/drivers/mlx5_core/unbind", "0000:41:00.2"}));
  EXPECT_EQ(sysfs.writes()[1], (std::pair<std::string, std::string>{"bus/pci/drivers/mlx5_core/bind", "0000:41:00.2"}));
}

TEST(SysfsDriverBinder, UnknownDeviceAndMissingDriverAreClearErrors) {
  FakeSysfs sysfs;
  SysfsDriverBinder binder(sysfs);
  auto d = binder.CurrentDriver("0000:99:00.0");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message, "find driver of 0000:99:00.0: no such PCI device");
  sysfs.AddDir("bus/pci/devices/0000:41:00.2");
  EXPECT_EQ(*binder.CurrentDriver("0000:41:00.2"), "");  // not bound
  Status st = binder.Bind("0000:41:00.2", "mlx5_core");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("bind 0000:41:00.2 to mlx5_core"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace host
