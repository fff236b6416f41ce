// StateFile on a temporary directory: what a restarted agent reads back, and
// the errors it gets when the file cannot be read or written.
#include "agent/host/state_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace host {
namespace {

class StateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/agent-state-file-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Contents(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string dir_;
};

TEST_F(StateFileTest, NotWrittenYetReadsAsNothing) {
  for (const std::string& path : {dir_ + "/state.json", dir_ + "/sub/state.json"}) {
    auto r = StateFile(path, "journal").Read();
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(*r) << path;
  }
}

TEST_F(StateFileTest, WriteCreatesTheDirectoryAndAFreshObjectReadsItBack) {
  const std::string path = dir_ + "/a/b/state.json";
  ASSERT_TRUE(StateFile(path, "journal").WriteAtomically("{\"x\": 1}\n").ok());
  auto r = StateFile(path, "journal").Read();
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(*r);
  EXPECT_EQ(**r, "{\"x\": 1}\n");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST_F(StateFileTest, ARewriteReplacesEverythingAlsoWhenALeftoverTemporaryFileIsThere) {
  const std::string path = dir_ + "/state.json";
  StateFile file(path, "journal");
  ASSERT_TRUE(file.WriteAtomically(std::string(100000, 'a')).ok());
  std::ofstream(path + ".tmp") << std::string(200, 'z');  // a write interrupted before its rename
  ASSERT_TRUE(file.WriteAtomically("short").ok());
  EXPECT_EQ(Contents(path), "short");
  auto r = file.Read();
  ASSERT_TRUE(r.ok() && *r);
  EXPECT_EQ(**r, "short");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST_F(StateFileTest, AFileThatCannotBeReadIsAnErrorNamingIt) {
  const std::string path = dir_ + "/" + std::string(300, 'n');  // longer than NAME_MAX
  auto r = StateFile(path, "journal").Read();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("read journal " + path + ": ", 0), 0u) << r.error().message;
  EXPECT_EQ(r.error().sys_errno, ENAMETOOLONG);

  std::filesystem::create_directory(dir_ + "/state.json");  // not a file
  auto dir = StateFile(dir_ + "/state.json", "journal").Read();
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().message.rfind("read journal " + dir_ + "/state.json: ", 0), 0u) << dir.error().message;
}

TEST_F(StateFileTest, WritesThatCannotHappenAreErrorsNamingTheStep) {
  std::ofstream(dir_ + "/file") << "x";
  Status no_dir = StateFile(dir_ + "/file/sub/state.json", "journal").WriteAtomically("x");
  ASSERT_FALSE(no_dir.ok());
  EXPECT_EQ(no_dir.message().rfind("create journal directory " + dir_ + "/file/sub: ", 0), 0u) << no_dir.message();

  std::filesystem::create_directory(dir_ + "/state.json.tmp");  // the temporary file cannot be opened
  Status no_tmp = StateFile(dir_ + "/state.json", "journal").WriteAtomically("x");
  ASSERT_FALSE(no_tmp.ok());
  EXPECT_EQ(no_tmp.message().rfind("open " + dir_ + "/state.json.tmp: ", 0), 0u) << no_tmp.message();
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/state.json"));
  std::filesystem::remove(dir_ + "/state.json.tmp");

  std::filesystem::create_directories(dir_ + "/busy.json/x");  // a directory where the file should be
  Status no_rename = StateFile(dir_ + "/busy.json", "journal").WriteAtomically("x");
  ASSERT_FALSE(no_rename.ok());
  EXPECT_EQ(no_rename.message().rfind("rename " + dir_ + "/busy.json.tmp to " + dir_ + "/busy.json: ", 0), 0u)
      << no_rename.message();
}

}  // namespace
}  // namespace host
