// SimulatedRdmaNetlink on a temporary file standing in for sysfs-sim's
// sim/rdma_netns_mode: what the agent reads and writes, the errors it
// reports, and that link operations still reach the real Netlink.
#include "agent/host/simulated_rdma_netlink.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/host/fake_netlink.h"

namespace host {
namespace {

class SimulatedRdmaNetlinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sim-rdma-netlink-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    file_ = dir_ + "/rdma_netns_mode";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Put(const std::string& text) { std::ofstream(file_) << text; }
  std::string Contents() {
    std::ifstream in(file_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string dir_;
  std::string file_;
  FakeNetlink real_;
};

TEST_F(SimulatedRdmaNetlinkTest, ReadsTheModeFromTheFile) {
  SimulatedRdmaNetlink nl(real_, file_);
  Put("shared\n");
  auto mode = nl.GetRdmaNetnsMode();
  ASSERT_TRUE(mode.ok()) << mode.error().message;
  EXPECT_EQ(*mode, RdmaNetnsMode::kShared);
  Put("exclusive\n");
  mode = nl.GetRdmaNetnsMode();
  ASSERT_TRUE(mode.ok()) << mode.error().message;
  EXPECT_EQ(*mode, RdmaNetnsMode::kExclusive);
}

TEST_F(SimulatedRdmaNetlinkTest, SetWritesTheWordAndLeavesTheRealNetlinkAlone) {
  SimulatedRdmaNetlink nl(real_, file_);
  Put("shared\n");
  ASSERT_TRUE(nl.SetRdmaNetnsMode(RdmaNetnsMode::kExclusive).ok());
  EXPECT_EQ(Contents(), "exclusive\n");
  EXPECT_EQ(*nl.GetRdmaNetnsMode(), RdmaNetnsMode::kExclusive);
  EXPECT_EQ(real_.rdma_netns_mode(), RdmaNetnsMode::kShared);
  ASSERT_TRUE(nl.SetRdmaNetnsMode(RdmaNetnsMode::kShared).ok());
  EXPECT_EQ(Contents(), "shared\n");
}

TEST_F(SimulatedRdmaNetlinkTest, AMissingFileIsAnErrorNamingItWithErrno) {
  SimulatedRdmaNetlink nl(real_, file_);
  auto mode = nl.GetRdmaNetnsMode();
  ASSERT_FALSE(mode.ok());
  EXPECT_EQ(mode.error().sys_errno, ENOENT);
  EXPECT_NE(mode.error().message.find(file_), std::string::npos) << mode.error().message;

  SimulatedRdmaNetlink in_missing_dir(real_, dir_ + "/no/such/rdma_netns_mode");
  Status st = in_missing_dir.SetRdmaNetnsMode(RdmaNetnsMode::kExclusive);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.sys_errno(), ENOENT);
  EXPECT_NE(st.message().find(dir_ + "/no/such/rdma_netns_mode"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("set RDMA netns mode exclusive"), std::string::npos) << st.message();
}

TEST_F(SimulatedRdmaNetlinkTest, UnexpectedContentsAreAnErrorShowingThem) {
  SimulatedRdmaNetlink nl(real_, file_);
  Put("Exclusive\n");
  auto mode = nl.GetRdmaNetnsMode();
  ASSERT_FALSE(mode.ok());
  EXPECT_EQ(mode.error().sys_errno, EPROTO);
  EXPECT_NE(mode.error().message.find(file_), std::string::npos) << mode.error().message;
  EXPECT_NE(mode.error().message.find("\"Exclusive\""), std::string::npos) << mode.error().message;
}

TEST_F(SimulatedRdmaNetlinkTest, DevicesAreNotSimulatedYet) {
  SimulatedRdmaNetlink nl(real_, file_);
  RdmaDevice dev;
  dev.name = "mlx5_0";
  real_.AddRdmaDevice(dev);
  auto devs = nl.ListRdmaDevices();
  ASSERT_FALSE(devs.ok());
  EXPECT_EQ(devs.error().sys_errno, EOPNOTSUPP);
  EXPECT_NE(devs.error().message.find("the simulated RDMA core does not"), std::string::npos) << devs.error().message;
  Status st = nl.MoveRdmaDeviceToNetns("mlx5_0", 3);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.sys_errno(), EOPNOTSUPP);
  EXPECT_NE(st.message().find("mlx5_0"), std::string::npos) << st.message();
}

TEST_F(SimulatedRdmaNetlinkTest, LinkOperationsGoToTheRealNetlink) {
  SimulatedRdmaNetlink nl(real_, file_);
  Link pf;
  pf.name = "enp65s0f0np0";
  pf.mtu = 1500;
  pf.vfs.push_back(VfInfo{});
  real_.AddLink(pf);
  ASSERT_TRUE(nl.SetMtu("enp65s0f0np0", 9000).ok());
  ASSERT_TRUE(nl.SetVfMac("enp65s0f0np0", 0, "02:00:00:00:00:01").ok());
  auto link = real_.GetLink("enp65s0f0np0");
  ASSERT_TRUE(link.ok());
  EXPECT_EQ(link->mtu, 9000u);
  EXPECT_EQ(link->vfs.at(0).mac, "02:00:00:00:00:01");
  auto via = nl.GetLink("enp65s0f0np0");
  ASSERT_TRUE(via.ok());
  EXPECT_EQ(via->index, link->index);
  EXPECT_FALSE(nl.GetLink("eth9").ok());
  ASSERT_TRUE(nl.SetName("enp65s0f0np0", "rdma0").ok());
  EXPECT_TRUE(real_.GetLink("rdma0").ok());
  ASSERT_TRUE(nl.MoveToNetnsFdAs("rdma0", 9, "net1", 4000).ok());
  EXPECT_FALSE(real_.GetLink("rdma0").ok());
  ASSERT_EQ(real_.moved_as().size(), 1u);
  EXPECT_EQ(real_.moved_as()[0].new_name, "net1");
  EXPECT_EQ(real_.moved_as()[0].mtu, 4000u);
}

}  // namespace
}  // namespace host
