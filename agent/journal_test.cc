#include "agent/journal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace agent {
namespace {

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/agent-journal-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(JournalTest, NoJournalYetIsEmpty) {
  Journal j(dir_ + "/sub");
  auto s = j.Load();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, JournalState{});
}

TEST_F(JournalTest, SaveThenLoadKeepsEverything) {
  Journal j(dir_ + "/sub");  // created on save
  JournalState s;
  s.applied_generation = 7;
  s.pfs["0000:41:00.0"] = JournalPf{2, {"ba:ce:f6:00:01:41:00:00", "ba:ce:f6:00:02:41:00:00"}};
  s.reboot = JournalReboot{7, "boot-a"};
  ASSERT_TRUE(j.Save(s).ok());
  auto back = Journal(dir_ + "/sub").Load();  // as a restarted agent would
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, s);
  EXPECT_FALSE(std::filesystem::exists(j.path() + ".tmp"));
}

TEST_F(JournalTest, TornOrForeignFileIsAnErrorNamingTheFile) {
  for (const char* text : {"{\"appliedGeneration\": 3, \"pf", "[]", "{\"appliedGeneration\": \"x\", \"pfs\": {}}"}) {
    std::ofstream(dir_ + "/journal.json") << text;
    auto s = Journal(dir_).Load();
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_NE(s.error().message.find("read journal " + dir_ + "/journal.json: not a valid journal"), std::string::npos)
        << s.error().message;
  }
}

TEST_F(JournalTest, UnwritableDirectoryIsAnError) {
  std::ofstream(dir_ + "/file") << "x";
  Journal j(dir_ + "/file/sub");
  host::Status st = j.Save(JournalState{});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("create journal directory " + dir_ + "/file/sub"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace agent
