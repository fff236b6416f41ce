// The fake mstconfig: its output is what the agent's parser reads from the
// real tool, and it keeps firmware state like the NIC does.
#include "e2e/sim/mstconfig_sim.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "agent/host/mstconfig_output.h"
#include "agent/host/mstconfig_tool.h"
#include "e2e/sim/in_process_mstconfig.h"

namespace sim {
namespace {

class MstconfigSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mstconfig-sim-test-XXXXXX";
    state_ = ::mkdtemp(tmpl);
    ASSERT_EQ(Run({"-d", "0000:41:00.0", "sim-add-device", "--ports", "2", "--max-vfs", "16"}), 0) << err_;
  }
  void TearDown() override { std::filesystem::remove_all(state_); }
  int Run(std::vector<std::string> args, const std::string& stdin_text = "") {
    out_.clear();
    err_.clear();
    std::istringstream in(stdin_text);
    return RunMstconfigSim(std::move(args), state_, in, &out_, &err_);
  }
  host::FirmwareConfig Query() {
    EXPECT_EQ(Run({"-d", "0000:41:00.0", "-e", "q"}), 0) << err_;
    auto cfg = host::ParseMstconfigQuery(out_);
    EXPECT_TRUE(cfg.ok()) << (cfg.ok() ? "" : cfg.error().message) << "\n" << out_;
    return cfg.ok() ? *cfg : host::FirmwareConfig{};
  }

  std::string state_, out_, err_;
};

TEST_F(MstconfigSimTest, QueryParsesWithTheAgentsParser) {
  host::FirmwareConfig cfg = Query();
  EXPECT_EQ(cfg.device_type, "ConnectX5");
  EXPECT_EQ(cfg.device, "0000:41:00.0");
  ASSERT_NE(cfg.Find("SRIOV_EN"), nullptr);
  EXPECT_EQ(cfg.Find("SRIOV_EN")->current->raw, "False(0)");
  EXPECT_EQ(cfg.Find("LINK_TYPE_P2")->next_boot.raw, "ETH(2)");
  EXPECT_FALSE(cfg.Find("NUM_OF_VFS")->marked);
}

TEST_F(MstconfigSimTest, SetChangesNextBootUntilAReboot) {
  ASSERT_EQ(Run({"-d", "41:00.0", "-y", "set", "SRIOV_EN=1", "NUM_OF_VFS=8", "LINK_TYPE_P1=IB"}), 0) << err_;
  EXPECT_NE(out_.find("Applying... Done!"), std::string::npos);
  EXPECT_TRUE(host::CheckMstconfigSet(host::ProcessOutput{0, out_, err_}).ok());
  host::FirmwareConfig cfg = Query();
  const host::FirmwareParam* vfs = cfg.Find("NUM_OF_VFS");
  EXPECT_TRUE(vfs->current->Matches("0"));
  EXPECT_TRUE(vfs->next_boot.Matches("8"));
  EXPECT_TRUE(vfs->marked);
  EXPECT_TRUE(cfg.Find("LINK_TYPE_P1")->next_boot.Matches("IB"));

  ASSERT_EQ(Run({"sim-reboot"}), 0) << err_;
  cfg = Query();
  EXPECT_TRUE(cfg.Find("NUM_OF_VFS")->current->Matches("8"));
  EXPECT_TRUE(cfg.Find("SRIOV_EN")->current->Matches("True"));
  EXPECT_TRUE(cfg.Find("LINK_TYPE_P1")->current->Matches("IB"));
}

TEST_F(MstconfigSimTest, ASettingThatDoesNotTakeKeepsItsCurrentValue) {
  ASSERT_EQ(Run({"-d", "0000:41:00.0", "sim-not-take", "NUM_OF_VFS"}), 0) << err_;
  ASSERT_EQ(Run({"-d", "0000:41:00.0", "-y", "set", "SRIOV_EN=1", "NUM_OF_VFS=8"}), 0) << err_;
  ASSERT_EQ(Run({"sim-reboot"}), 0);
  host::FirmwareConfig cfg = Query();
  EXPECT_TRUE(cfg.Find("SRIOV_EN")->current->Matches("1"));
  EXPECT_TRUE(cfg.Find("NUM_OF_VFS")->current->Matches("0"));
  EXPECT_TRUE(cfg.Find("NUM_OF_VFS")->next_boot.Matches("8"));
  ASSERT_EQ(Run({"-d", "0000:41:00.0", "sim-take", "NUM_OF_VFS"}), 0);
  ASSERT_EQ(Run({"sim-reboot"}), 0);
  EXPECT_TRUE(Query().Find("NUM_OF_VFS")->current->Matches("8"));
}

TEST_F(MstconfigSimTest, ErrorsLookLikeMstconfigs) {
  EXPECT_EQ(Run({"-d", "0000:99:00.0", "q"}), 1);
  EXPECT_EQ(err_, "-E- Failed to open device: 0000:99:00.0\n");

  EXPECT_EQ(Run({"-d", "0000:41:00.0", "-y", "set", "NUM_OF_VFS=500"}), 1);
  EXPECT_NE(out_.find("Applying... Failed!"), std::string::npos);
  EXPECT_EQ(err_, "-E- Parameter NUM_OF_VFS' value is larger than maximum allowed 16\n");
  host::Status st = host::CheckMstconfigSet(host::ProcessOutput{1, out_, err_});
  EXPECT_NE(st.message().find("larger than maximum allowed 16"), std::string::npos);
  EXPECT_TRUE(Query().Find("NUM_OF_VFS")->next_boot.Matches("0"));  // nothing applied

  EXPECT_EQ(Run({"-d", "0000:41:00.0", "-y", "set", "SRIOV_EN=maybe"}), 1);
  EXPECT_NE(err_.find("Bad value \"maybe\" for SRIOV_EN"), std::string::npos);
  EXPECT_EQ(Run({"-d", "0000:41:00.0", "-y", "set", "NO_SUCH=1"}), 1);
  EXPECT_EQ(err_, "-E- The Device doesn't support NO_SUCH parameter\n");
  EXPECT_EQ(Run({"-d", "0000:41:00.0", "-y", "set", "SRIOV_EN"}), 1);
  EXPECT_EQ(Run({"-d", "0000:41:00.0", "frobnicate"}), 1);

  std::string out, err;
  std::istringstream in;
  EXPECT_EQ(RunMstconfigSim({"q"}, "", in, &out, &err), 1);
  EXPECT_NE(err.find("no state directory"), std::string::npos);
}

TEST_F(MstconfigSimTest, WithoutYesItAsksAndHonoursNo) {
  EXPECT_EQ(Run({"-d", "0000:41:00.0", "set", "SRIOV_EN=1"}, "n\n"), 1);
  EXPECT_EQ(err_, "-E- Aborted by user.\n");
  EXPECT_TRUE(Query().Find("SRIOV_EN")->next_boot.Matches("0"));
  EXPECT_EQ(Run({"-d", "0000:41:00.0", "set", "SRIOV_EN=1"}, "y\n"), 0);
  EXPECT_TRUE(Query().Find("SRIOV_EN")->next_boot.Matches("1"));
}

// The agent's real FirmwareTool, with the simulator behind its process runner.
TEST_F(MstconfigSimTest, AgentFirmwareToolDrivesTheSimulator) {
  InProcessMstconfig runner;
  runner.state = state_;
  host::MstconfigTool tool(runner);
  ASSERT_TRUE(tool.Set("0000:41:00.0", {{"SRIOV_EN", "1"}, {"NUM_OF_VFS", "4"}}).ok());
  auto cfg = tool.Query("0000:41:00.0");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_TRUE(cfg->Find("NUM_OF_VFS")->next_boot.Matches("4"));
  host::Status bad = tool.Set("0000:41:00.0", {{"NUM_OF_VFS", "999"}});
  EXPECT_EQ(
      bad.message(),
      "set firmware NUM_OF_VFS=999 on 0000:41:00.0: Parameter NUM_OF_VFS' value is larger than maximum allowed 16 "
      "(exit code 1)");
  auto missing = tool.Query("0000:42:00.0");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "query firmware configuration of 0000:42:00.0: mstconfig failed with exit code 1: Failed to open device: "
            "0000:42:00.0");
}

}  // namespace
}  // namespace sim
