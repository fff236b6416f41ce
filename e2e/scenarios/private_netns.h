// The main() of the e2e scenario binaries: every test runs in a network
// namespace of the process's own, made before any thread exists so every
// later thread (and every process the tests start) inherits it, and deleted
// at exit. Without root, /dev/fuse or `ip netns`, *can_run stays false and
// the tests skip themselves.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <string>

#include "e2e/scenarios/agent_process.h"

namespace e2e {

inline int RunTestsInPrivateNetns(int argc, char** argv, const std::string& prefix, bool* can_run) {
  ::testing::InitGoogleTest(&argc, argv);
  const std::string ns = prefix + std::to_string(::getpid());
#ifdef GTEST_FLAG_GET
  const bool listing = GTEST_FLAG_GET(list_tests);
#else
  const bool listing = ::testing::GTEST_FLAG(list_tests);
#endif
  if (listing) return RUN_ALL_TESTS();
  bool ok = ::geteuid() == 0 && ::access("/dev/fuse", R_OK | W_OK) == 0 && RunCommand({"ip", "netns", "add", ns}) == 0;
  if (ok) {
    int fd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    ok = fd >= 0 && ::setns(fd, CLONE_NEWNET) == 0 && RunCommand({"ip", "link", "set", "lo", "up"}) == 0;
    if (fd >= 0) ::close(fd);
  }
  *can_run = ok;
  int rc = RUN_ALL_TESTS();
  RunCommand({"ip", "netns", "del", ns});
  return rc;
}

}  // namespace e2e
