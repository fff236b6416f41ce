#include "agent/host/mstconfig_output.h"

#include <gtest/gtest.h>

namespace host {
namespace {

// The shape of the seed write-up's `mlxconfig -d ... q` (plain form: a Next
// Boot column only, with parts of the table elided as "...").
constexpr const char* kPlainQuery = R"(
Device #1:
----------

Device type:        ConnectX5
Name:               MCX515A-CCA_Ax_Bx
Description:        ConnectX-5 EN network interface card; 100GbE single-port QSFP28; PCIe3.0 x16; tall bracket; ROHS R6
Device:             /dev/mst/mt4119_pciconf0

Configurations:                                          Next Boot
...
        NUM_OF_VFS                                  1
        SRIOV_EN                                    True(1)
...
)";

// mstflint 4.x with -e: Default / Current / Next Boot, '*' on changed rows.
constexpr const char* kVerboseQuery = R"(
Device #1:
----------

Device type:    ConnectX5
Name:           MCX516A-CCA_Ax
Description:    ConnectX-5 EN network interface card; 100GbE dual-port QSFP28; PCIe3.0 x16; tall bracket; ROHS R6
Device:         0000:0d:00.0

Configurations:                              Default         Current         Next Boot
         MEMIC_BAR_SIZE                      0               0               0
*        NUM_OF_VFS                          0               8               16
*        SRIOV_EN                            False(0)        True(1)         True(1)
         LINK_TYPE_P1                        ETH(2)          ETH(2)          ETH(2)
*        LINK_TYPE_P2                        ETH(2)          ETH(2)          IB(1)
         ESWITCH_HAIRPIN_DESCRIPTORS         Array[0..7]     Array[0..7]     Array[0..7]
*        MEMIC_SIZE_LIMIT                    _256KB(1)       _256KB(1)       DISABLED(0)
The '*' shows parameters with next value different from default/current value.
)";

TEST(MstconfigQuery, PlainFormFromTheSeedWriteUp) {
  auto cfg = ParseMstconfigQuery(kPlainQuery);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->device_type, "ConnectX5");
  EXPECT_EQ(cfg->name, "MCX515A-CCA_Ax_Bx");
  EXPECT_EQ(cfg->device, "/dev/mst/mt4119_pciconf0");
  ASSERT_EQ(cfg->params.size(), 2u);
  const FirmwareParam* sriov = cfg->Find("SRIOV_EN");
  ASSERT_NE(sriov, nullptr);
  EXPECT_EQ(sriov->next_boot.label, "True");
  EXPECT_EQ(sriov->next_boot.number, 1);
  EXPECT_FALSE(sriov->current.has_value());  // the plain form has no Current column
  EXPECT_EQ(cfg->Find("NUM_OF_VFS")->next_boot.number, 1);
}

TEST(MstconfigQuery, VerboseFormHasDefaultCurrentAndNextBoot) {
  auto cfg = ParseMstconfigQuery(kVerboseQuery);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->device, "0000:0d:00.0");
  ASSERT_EQ(cfg->params.size(), 7u);
  const FirmwareParam* vfs = cfg->Find("NUM_OF_VFS");
  ASSERT_NE(vfs, nullptr);
  EXPECT_TRUE(vfs->marked);
  EXPECT_EQ(vfs->default_value->number, 0);
  EXPECT_EQ(vfs->current->number, 8);
  EXPECT_EQ(vfs->next_boot.number, 16);
  const FirmwareParam* p2 = cfg->Find("LINK_TYPE_P2");
  EXPECT_TRUE(p2->current->Matches("ETH"));
  EXPECT_TRUE(p2->next_boot.Matches("IB"));
  EXPECT_TRUE(p2->next_boot.Matches("1"));
  EXPECT_FALSE(p2->next_boot.Matches("ETH"));
  const FirmwareParam* arr = cfg->Find("ESWITCH_HAIRPIN_DESCRIPTORS");
  EXPECT_EQ(arr->next_boot.label, "Array[0..7]");
  EXPECT_FALSE(arr->next_boot.number.has_value());
  EXPECT_FALSE(cfg->Find("MEMIC_BAR_SIZE")->marked);
}

TEST(MstconfigQuery, OutputFilteredToTheTableStillParses) {
  // What `mstconfig -d <pci> q | grep -e Config -e NUM_OF_VFS` leaves.
  auto cfg = ParseMstconfigQuery(
      "Configurations:                              Default         Current         Next Boot\n"
      "*        NUM_OF_VFS                          16              16              8\n");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->Find("NUM_OF_VFS")->current->number, 16);
  EXPECT_EQ(cfg->Find("NUM_OF_VFS")->next_boot.number, 8);
}

TEST(MstconfigQuery, ValuesMatchDesiredSpellings) {
  EXPECT_TRUE(FirmwareValue::Parse("True(1)").Matches("1"));
  EXPECT_TRUE(FirmwareValue::Parse("True(1)").Matches("true"));
  EXPECT_FALSE(FirmwareValue::Parse("False(0)").Matches("1"));
  EXPECT_TRUE(FirmwareValue::Parse("8").Matches("8"));
  EXPECT_FALSE(FirmwareValue::Parse("8").Matches("16"));
  EXPECT_TRUE(FirmwareValue::Parse("ETH(2)").Matches("eth"));
}

struct BadOutput {
  const char* name;
  const char* text;
  const char* expected;  // a substring of the error
};

class MstconfigQueryMalformed : public ::testing::TestWithParam<BadOutput> {};

TEST_P(MstconfigQueryMalformed, IsAClearError) {
  auto cfg = ParseMstconfigQuery(GetParam().text);
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.error().message.find(GetParam().expected), std::string::npos) << cfg.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, MstconfigQueryMalformed,
    ::testing::Values(
        BadOutput{"empty", "", "empty"}, BadOutput{"blank", "\n\n   \n", "empty"},
        BadOutput{"garbage", "\x01\x02 hello world \xff\n", "no \"Configurations:\" table"},
        BadOutput{"header_only", "Device #1:\n----------\n\nDevice type:    ConnectX5\n",
                  "no \"Configurations:\" table"},
        BadOutput{"table_without_rows", "Configurations:      Default   Current   Next Boot\n", "no parameters"},
        BadOutput{"truncated_row",
                  "Configurations:                              Default         Current         Next Boot\n"
                  "         SRIOV_EN                            False(0)        True(1)\n",
                  "SRIOV_EN has 2 values, the table has 3 columns"},
        BadOutput{"too_many_values",
                  "Configurations:                              Next Boot\n"
                  "         SRIOV_EN                            False(0)        True(1)\n",
                  "SRIOV_EN has 2 values"},
        BadOutput{"unknown_column",
                  "Configurations:                              Default         Factory         Next Boot\n"
                  "         SRIOV_EN                            False(0)        True(1)         True(1)\n",
                  "unknown column \"Factory\""},
        BadOutput{"no_next_boot",
                  "Configurations:                              Default         Current\n"
                  "         SRIOV_EN                            False(0)        True(1)\n",
                  "no \"Next Boot\" column"},
        BadOutput{"not_a_row",
                  "Configurations:                              Next Boot\n"
                  "         sriov is on\n",
                  "expected a parameter row"},
        BadOutput{"lone_star",
                  "Configurations:                              Next Boot\n"
                  "*\n",
                  "expected a parameter row"},
        BadOutput{"device_not_found", "-E- Failed to open device: 0000:99:00.0\n",
                  "Failed to open device: 0000:99:00.0"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(MstconfigSet, SuccessfulSet) {
  ProcessOutput out;
  out.out =
      "\nDevice #1:\n----------\n\nDevice type:    ConnectX5\nDevice:         0000:02:00.0\n\n"
      "Configurations:                              Next Boot       New\n"
      "         SRIOV_EN                            False(0)        True(1)\n"
      "         NUM_OF_VFS                          0               8\n\n"
      " Apply new Configuration? (y/n) [n] : y\nApplying... Done!\n"
      "-I- Please reboot machine to load new configurations.\n";
  EXPECT_TRUE(CheckMstconfigSet(out).ok());
}

TEST(MstconfigSet, RejectedValueCarriesTheToolsReason) {
  ProcessOutput out;
  out.exit_code = 3;
  out.out =
      "Configurations:                                         Next Boot                         New\n"
      "        NUM_OF_VFS                                      4                                 65535\n"
      " Apply new Configuration? (y/n) [n] : y\nApplying... Failed!\n"
      "-E- Parameter NUM_OF_VFS' value is larger than maximum allowed 127\n";
  Status st = CheckMstconfigSet(out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("larger than maximum allowed 127"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("exit code 3"), std::string::npos) << st.message();
}

TEST(MstconfigSet, NonZeroExitWithoutDiagnosticsIsAnError) {
  ProcessOutput out;
  out.exit_code = 1;
  Status st = CheckMstconfigSet(out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "exit code 1");
}

}  // namespace
}  // namespace host
