#include "agent/host/boot_id.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace host {
namespace {

TEST(FileBootId, ReadsTheKernelsBootIdUnderTheHostRoot) {
  char tmpl[] = "/tmp/boot-id-test-XXXXXX";
  std::string root = ::mkdtemp(tmpl);
  FileBootId id(root + "/");
  auto missing = id.Read();
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message.rfind("read " + root + "/proc/sys/kernel/random/boot_id: ", 0), 0u)
      << missing.error().message;
  std::filesystem::create_directories(root + "/proc/sys/kernel/random");
  std::ofstream(root + "/proc/sys/kernel/random/boot_id") << "0b5c1a6e-1f0a-4c43-9d55-6f1f1f3c1a2b\n";
  auto got = id.Read();
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, "0b5c1a6e-1f0a-4c43-9d55-6f1f1f3c1a2b");
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace host
