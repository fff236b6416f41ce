#include "agent/host/mstconfig_tool.h"

#include <gtest/gtest.h>

#include "agent/host/fake_process_runner.h"

namespace host {
namespace {

ProcessOutput Output(int code, std::string out, std::string err = "") {
  ProcessOutput o;
  o.exit_code = code;
  o.out = std::move(out);
  o.err = std::move(err);
  return o;
}

TEST(MstconfigTool, QueryRunsMstconfigWithAnArgumentVector) {
  FakeProcessRunner runner;
  runner.Expect({"mstconfig", "-d", "0000:41:00.0", "-e", "q"},
                Output(0,
                       "Device #1:\n----------\n\nDevice type:    ConnectX5\nDevice:         0000:41:00.0\n\n"
                       "Configurations:                              Default         Current         Next Boot\n"
                       "*        SRIOV_EN                            False(0)        False(0)        True(1)\n"));
  MstconfigTool tool(runner);
  auto cfg = tool.Query("0000:41:00.0");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_TRUE(cfg->Find("SRIOV_EN")->current->Matches("0"));
  EXPECT_TRUE(cfg->Find("SRIOV_EN")->next_boot.Matches("1"));
}

TEST(MstconfigTool, QueryOfAMissingDeviceNamesDeviceAndCause) {
  FakeProcessRunner runner;
  runner.Expect({"mstconfig", "-d", "0000:99:00.0", "-e", "q"},
                Output(1, "", "-E- Failed to open device: 0000:99:00.0\n"));
  MstconfigTool tool(runner);
  auto cfg = tool.Query("0000:99:00.0");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().message,
            "query firmware configuration of 0000:99:00.0: mstconfig failed with exit code 1: "
            "Failed to open device: 0000:99:00.0");
}

TEST(MstconfigTool, MissingProgramIsAnError) {
  FakeProcessRunner runner;
  runner.Expect({"mstconfig", "-d", "0000:41:00.0", "-e", "q"},
                Error{"run mstconfig: No such file or directory", ENOENT});
  MstconfigTool tool(runner);
  auto cfg = tool.Query("0000:41:00.0");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().sys_errno, ENOENT);
  EXPECT_NE(cfg.error().message.find("0000:41:00.0"), std::string::npos);
}

TEST(MstconfigTool, GarbageOutputIsAnErrorNotACrash) {
  FakeProcessRunner runner;
  runner.Expect({"mstconfig", "-d", "0000:41:00.0", "-e", "q"}, Output(0, "Segmentation fault?\n\x7f\x45LF"));
  MstconfigTool tool(runner);
  auto cfg = tool.Query("0000:41:00.0");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.error().message.find("query firmware configuration of 0000:41:00.0"), std::string::npos);
}

TEST(MstconfigTool, SetPassesYesAndEveryValue) {
  FakeProcessRunner runner;
  runner.Expect({"mstconfig", "-d", "0000:41:00.0", "-y", "set", "SRIOV_EN=1", "NUM_OF_VFS=8"},
                Output(0, "Applying... Done!\n-I- Please reboot machine to load new configurations.\n"));
  MstconfigTool tool(runner);
  Status st = tool.Set("0000:41:00.0", {{"SRIOV_EN", "1"}, {"NUM_OF_VFS", "8"}});
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST(MstconfigTool, SetFailureNamesValuesDeviceAndCause) {
  FakeProcessRunner runner;
  runner.Expect({"mstconfig", "-d", "0000:41:00.0", "-y", "set", "NUM_OF_VFS=500"},
                Output(3, "Applying... Failed!\n-E- Parameter NUM_OF_VFS' value is larger than maximum allowed 127\n"));
  MstconfigTool tool(runner);
  Status st = tool.Set("0000:41:00.0", {{"NUM_OF_VFS", "500"}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "set firmware NUM_OF_VFS=500 on 0000:41:00.0: Parameter NUM_OF_VFS' value is larger than maximum "
            "allowed 127 (exit code 3)");
}

}  // namespace
}  // namespace host
