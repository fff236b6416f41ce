#include "agent/firmware_plan.h"

#include <gtest/gtest.h>

#include "agent/host/mstconfig_output.h"

namespace agent {
namespace {

host::FirmwareConfig Config(const std::string& rows) {
  std::string text =
      "\nDevice #1:\n----------\n\nDevice type:    ConnectX5\nName:           MCX515A-CCA_Ax_Bx\n"
      "Description:    ConnectX-5\nDevice:         0000:41:00.0\n\n"
      "Configurations:                              Default         Current         Next Boot\n" +
      rows;
  auto cfg = host::ParseMstconfigQuery(text);
  EXPECT_TRUE(cfg.ok()) << cfg.error().message;
  return cfg.ok() ? *cfg : host::FirmwareConfig{};
}

api::InterfaceSpec Spec(int num_vfs, std::optional<int> total, std::optional<std::string> link = std::nullopt) {
  api::InterfaceSpec s;
  s.pci_address = "0000:41:00.0";
  s.num_vfs = num_vfs;
  s.firmware = api::NodeFirmwareSpec{true, total, {}};
  s.link_type = link;
  return s;
}

TEST(FirmwarePlan, SetsOnlyWhatDiffersAndRebootsOnlyWhenCurrentDiffers) {
  struct Case {
    std::string name, rows;
    api::InterfaceSpec spec;
    std::string want_set, want_reboot;
  } cases[] = {
      {"fresh NIC", "         SRIOV_EN          False(0)     False(0)     False(0)\n"
                    "         NUM_OF_VFS        0            0            0\n",
       Spec(8, std::nullopt), "SRIOV_EN=1 NUM_OF_VFS=8 ", "SRIOV_EN NUM_OF_VFS "},
      {"already set, waiting for reboot", "*        SRIOV_EN          False(0)     False(0)     True(1)\n"
                                         "*        NUM_OF_VFS        0            0            8\n",
       Spec(8, std::nullopt), "", "SRIOV_EN NUM_OF_VFS "},
      {"in effect", "*        SRIOV_EN          False(0)     True(1)      True(1)\n"
                    "*        NUM_OF_VFS        0            16           16\n",
       Spec(8, std::nullopt), "", ""},
      {"only next boot differs", "*        SRIOV_EN          False(0)     True(1)      True(1)\n"
                                 "*        NUM_OF_VFS        0            8            4\n",
       Spec(8, 8), "NUM_OF_VFS=8 ", ""},
      {"exact totalVfs", "*        SRIOV_EN          False(0)     True(1)      True(1)\n"
                         "*        NUM_OF_VFS        0            16           16\n",
       Spec(8, 8), "NUM_OF_VFS=8 ", "NUM_OF_VFS "},
      {"link type", "*        SRIOV_EN          False(0)     True(1)      True(1)\n"
                    "*        NUM_OF_VFS        0            8            8\n"
                    "         LINK_TYPE_P1      ETH(2)       ETH(2)       ETH(2)\n",
       Spec(8, std::nullopt, "InfiniBand"), "LINK_TYPE_P1=IB ", "LINK_TYPE_P1 "},
  };
  for (const auto& c : cases) {
    auto plan = PlanFirmware("0000:41:00.0", Config(c.rows), DesiredFirmware(c.spec));
    ASSERT_TRUE(plan.ok()) << c.name << ": " << plan.error().message;
    std::string set, reboot;
    for (const auto& [k, v] : plan->to_set) set += k + "=" + v + " ";
    for (const auto& m : plan->needs_reboot) reboot += m.name + " ";
    EXPECT_EQ(set, c.want_set) << c.name;
    EXPECT_EQ(reboot, c.want_reboot) << c.name;
  }
}

TEST(FirmwarePlan, UnmanagedFirmwareIsLeftAlone) {
  api::InterfaceSpec s = Spec(8, std::nullopt);
  s.firmware->managed = false;
  EXPECT_TRUE(DesiredFirmware(s).empty());
  s.firmware.reset();
  EXPECT_TRUE(DesiredFirmware(s).empty());
}

TEST(FirmwarePlan, MissingParameterIsAClearError) {
  auto plan = PlanFirmware("0000:41:00.0", Config("         SRIOV_EN          False(0)     False(0)     False(0)\n"),
                           DesiredFirmware(Spec(8, std::nullopt)));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().message, "plan firmware of 0000:41:00.0: mstconfig query shows no parameter NUM_OF_VFS");
}

TEST(FirmwarePlan, SecondPortUsesLinkTypeP2) {
  api::InterfaceSpec s = Spec(0, std::nullopt, "Ethernet");
  s.pci_address = "0000:41:00.1";
  auto d = DesiredFirmware(s);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].name, "LINK_TYPE_P2");
  EXPECT_EQ(d[0].value, "ETH");
}

}  // namespace
}  // namespace agent
