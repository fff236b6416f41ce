#include "kube/command_line.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

namespace kube {
namespace {

namespace po = boost::program_options;

struct Parsed {
  std::optional<int> exit;
  std::string out, err;
  int workers = 0;
};

Parsed Parse(std::vector<std::string> args) {
  Parsed p;
  po::options_description desc("prog: test");
  desc.add_options()("help", "show this help")("workers", po::value(&p.workers)->default_value(4), "workers");
  args.insert(args.begin(), "prog");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  po::variables_map vm;
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  p.exit = ParseCommandLine(static_cast<int>(argv.size()), argv.data(), desc, vm, "prog");
  p.out = ::testing::internal::GetCapturedStdout();
  p.err = ::testing::internal::GetCapturedStderr();
  return p;
}

TEST(CommandLineTest, GoodFlagsGoOn) {
  auto p = Parse({"--workers", "8"});
  EXPECT_EQ(p.exit, std::nullopt);
  EXPECT_EQ(p.workers, 8);
  EXPECT_EQ(p.out + p.err, "");
}

TEST(CommandLineTest, HelpPrintsUsageAndStops) {
  auto p = Parse({"--help"});
  EXPECT_EQ(p.exit, 0);
  EXPECT_NE(p.out.find("--workers"), std::string::npos) << p.out;
}

TEST(CommandLineTest, BadFlagsSayWhatIsWrongAndStopWith2) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--wrokers", "8"}, {"--workers", "many"}}) {
    auto p = Parse(args);
    EXPECT_EQ(p.exit, 2) << args[0];
    EXPECT_EQ(p.err.rfind("prog: ", 0), 0u) << p.err;
    EXPECT_NE(p.err.find("--workers"), std::string::npos) << p.err;  // the usage follows
  }
}

TEST(CommandLineTest, LogLevelMustNameALevel) {
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(SetLogLevel("verbose", "prog"));
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("prog: unknown --log-level verbose"), std::string::npos);
  EXPECT_TRUE(SetLogLevel("debug", "prog"));
  EXPECT_EQ(spdlog::get_level(), spdlog::level::debug);
  EXPECT_TRUE(SetLogLevel("off", "prog"));
  EXPECT_EQ(spdlog::get_level(), spdlog::level::off);
  spdlog::set_level(spdlog::level::info);
}

}  // namespace
}  // namespace kube
