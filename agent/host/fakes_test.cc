// The fakes behave like the real things in the ways callers rely on.
#include <gtest/gtest.h>

#include "agent/host/clock.h"
#include "agent/host/fake_firmware_tool.h"
#include "agent/host/fake_netlink.h"
#include "agent/host/rebooter.h"

namespace host {
namespace {

TEST(FakeFirmwareTool, SetChangesNextBootAndRebootMakesItCurrent) {
  FakeFirmwareTool fw;
  fw.AddDevice("0000:41:00.0", {{"SRIOV_EN", "False(0)"}, {"NUM_OF_VFS", "0"}});
  ASSERT_TRUE(fw.Set("0000:41:00.0", {{"SRIOV_EN", "True(1)"}, {"NUM_OF_VFS", "8"}}).ok());
  auto cfg = fw.Query("0000:41:00.0");
  EXPECT_TRUE(cfg->Find("SRIOV_EN")->current->Matches("0"));
  EXPECT_TRUE(cfg->Find("SRIOV_EN")->next_boot.Matches("1"));
  fw.DoesNotTake("NUM_OF_VFS");
  fw.Reboot();
  cfg = fw.Query("0000:41:00.0");
  EXPECT_TRUE(cfg->Find("SRIOV_EN")->current->Matches("1"));
  EXPECT_TRUE(cfg->Find("NUM_OF_VFS")->current->Matches("0"));  // did not take
  EXPECT_FALSE(fw.Set("0000:41:00.0", {{"BOGUS", "1"}}).ok());
  EXPECT_FALSE(fw.Query("0000:99:00.0").ok());
}

TEST(FakeNetlink, RenameMoveAndEvents) {
  FakeNetlink nl;
  auto events = nl.WatchLinks();
  ASSERT_TRUE(events.ok());
  Link pf;
  pf.name = "enp65s0np0";
  pf.num_vfs = 2;
  nl.AddLink(pf);
  Link vf;
  vf.name = "enp65s0v0";
  nl.AddLink(vf);
  ASSERT_TRUE(nl.SetVfTrust("enp65s0np0", 1, true).ok());
  EXPECT_EQ(nl.GetLink("enp65s0np0")->vfs[1].trust, true);
  Status bad = nl.SetVfTrust("enp65s0np0", 5, true);
  EXPECT_EQ(bad.sys_errno(), EINVAL);
  ASSERT_TRUE(nl.SetName("enp65s0v0", "net1").ok());
  EXPECT_EQ(nl.GetLink("enp65s0v0").error().sys_errno, ENODEV);
  ASSERT_TRUE(nl.MoveToNetnsFd("net1", 7).ok());
  EXPECT_FALSE(nl.GetLink("net1").ok());
  int added = 0, removed = 0;
  for (;;) {
    auto e = (*events)->Next(std::chrono::milliseconds(0));
    ASSERT_TRUE(e.ok());
    if (!e->has_value()) break;
    ((*e)->type == LinkEventType::kRemoved ? removed : added)++;
  }
  EXPECT_EQ(added, 3);  // two adds and the rename
  EXPECT_EQ(removed, 1);
  nl.FailNext(Error{"Operation not permitted", EPERM});
  Status st = nl.SetMtu("enp65s0np0", 9000);
  EXPECT_EQ(st.message(), "set mtu 9000 on enp65s0np0: Operation not permitted");
}

TEST(FakeNetlink, MoveAsChecksNameAndMtuAndRecordsTheMove) {
  FakeNetlink nl;
  Link vf;
  vf.name = "enp65s0v0";
  nl.AddLink(vf);
  EXPECT_EQ(nl.MoveToNetnsFdAs("enp65s0v0", 7, "a-name-far-too-long", 1400).sys_errno(), EINVAL);
  EXPECT_EQ(nl.MoveToNetnsFdAs("enp65s0v0", 7, "net1", 70000).sys_errno(), EINVAL);
  EXPECT_EQ(nl.MoveToNetnsFdAs("enp65s0v1", 7, "net1", 1400).sys_errno(), ENODEV);
  EXPECT_TRUE(nl.GetLink("enp65s0v0").ok()) << "a refused move leaves the link here";
  ASSERT_TRUE(nl.MoveToNetnsFdAs("enp65s0v0", 7, "net1", 1400).ok());
  EXPECT_FALSE(nl.GetLink("enp65s0v0").ok());
  ASSERT_EQ(nl.moved_as().size(), 1u);
  EXPECT_EQ(nl.moved_as()[0].new_name, "net1");
  EXPECT_EQ(nl.moved_as()[0].netns_fd, 7);
  EXPECT_EQ(nl.moved_as()[0].mtu, 1400u);
}

TEST(FakeNetlink, RdmaMoveNeedsExclusiveMode) {
  FakeNetlink nl;
  RdmaDevice dev;
  dev.name = "mlx5_1";
  nl.AddRdmaDevice(dev);
  EXPECT_EQ(nl.MoveRdmaDeviceToNetns("mlx5_1", 5).sys_errno(), EOPNOTSUPP);
  ASSERT_TRUE(nl.SetRdmaNetnsMode(RdmaNetnsMode::kExclusive).ok());
  EXPECT_TRUE(nl.MoveRdmaDeviceToNetns("mlx5_1", 5).ok());
  EXPECT_TRUE(nl.ListRdmaDevices()->empty());
}

TEST(FakeClock, SleepAdvancesTimeInstantly) {
  FakeClock clock;
  auto t0 = clock.Now();
  clock.SleepFor(std::chrono::seconds(30));
  EXPECT_EQ(clock.Now() - t0, std::chrono::seconds(30));
}

TEST(CommandRebooter, RunsTheConfiguredCommand) {
  struct Runner : ProcessRunner {
    std::vector<std::string> argv;
    Result<ProcessOutput> Run(const std::vector<std::string>& a, std::chrono::milliseconds) override {
      argv = a;
      ProcessOutput o;
      o.exit_code = 1;
      o.err = "permission denied";
      return o;
    }
  } runner;
  CommandRebooter rebooter(runner, {"systemctl", "reboot"});
  Status st = rebooter.Reboot("firmware SRIOV_EN=1 on 0000:41:00.0");
  EXPECT_EQ(runner.argv, (std::vector<std::string>{"systemctl", "reboot"}));
  EXPECT_EQ(st.message(),
            "reboot node (firmware SRIOV_EN=1 on 0000:41:00.0) with systemctl reboot: exit code 1: permission denied");
}

}  // namespace
}  // namespace host
