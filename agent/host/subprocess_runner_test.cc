#include "agent/host/subprocess_runner.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>

namespace host {
namespace {

using namespace std::chrono_literals;

TEST(SubprocessRunner, CollectsOutputAndExitCode) {
  SubprocessRunner runner;
  auto r = runner.Run({"sh", "-c", "echo out; echo err >&2; exit 3"}, 10s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
}

TEST(SubprocessRunner, ArgumentsAreNotReparsedByAShell) {
  SubprocessRunner runner;
  auto r = runner.Run({"echo", "a; rm -rf /nonexistent", "$HOME"}, 10s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "a; rm -rf /nonexistent $HOME\n");
}

TEST(SubprocessRunner, MissingProgramIsAnError) {
  SubprocessRunner runner;
  auto r = runner.Run({"no-such-program-rdma-test", "-d", "x"}, 10s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sys_errno, ENOENT);
  EXPECT_EQ(r.error().message, "run no-such-program-rdma-test -d x: No such file or directory");
}

TEST(SubprocessRunner, HungProgramIsKilledAtTheTimeout) {
  SubprocessRunner runner;
  auto r = runner.Run({"sleep", "30"}, 200ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sys_errno, ETIMEDOUT);
  EXPECT_EQ(r.error().message, "run sleep 30: timed out after 200 ms");
}

TEST(SubprocessRunner, ABackgroundChildHoldingTheOutputDoesNotHangRun) {
  SubprocessRunner runner;
  // The shell exits at once; the sleep it leaves behind keeps stdout open
  // for longer than the timeout, so waiting for end-of-file would fail.
  auto r = runner.Run({"sh", "-c", "sleep 60 & echo $!; exit 0"}, 10s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->exit_code, 0);
  int orphan = std::atoi(r->out.c_str());
  ASSERT_GT(orphan, 0);
  ::kill(orphan, SIGKILL);
}

TEST(SubprocessRunner, LargeOutputIsNotTruncated) {
  SubprocessRunner runner;
  auto r = runner.Run({"head", "-c", "1000000", "/dev/zero"}, 10s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out.size(), 1000000u);
}

}  // namespace
}  // namespace host
