#include "bench/rdma_device.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "bench/testing/fake_verbs.h"

namespace bench {
namespace {

class RdmaDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("rdma-bench-sysfs-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  testing::FakeVerbs verbs_;
};

TEST_F(RdmaDeviceTest, DeviceFromVerbsIsEnough) {
  verbs_.devices = {"mlx5_1"};
  EXPECT_TRUE(CheckRdmaDevice(verbs_, dir_.string()).ok());
}

TEST_F(RdmaDeviceTest, NoDeviceAnywhereNamesBothPlacesLookedAt) {
  Status st = CheckRdmaDevice(verbs_, dir_.string());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no RDMA device"), std::string::npos);
  EXPECT_NE(st.message().find("ibv_get_device_list() returned no devices"), std::string::npos);
  EXPECT_NE(st.message().find(dir_.string() + " does not exist"), std::string::npos) << st.message();

  std::filesystem::create_directories(dir_);
  st = CheckRdmaDevice(verbs_, dir_.string());
  EXPECT_NE(st.message().find(dir_.string() + " is empty"), std::string::npos) << st.message();
}

TEST_F(RdmaDeviceTest, VerbsFailureCarriesErrno) {
  verbs_.device_list_errno = ENOSYS;
  Status st = CheckRdmaDevice(verbs_, dir_.string());
  EXPECT_NE(st.message().find("ibv_get_device_list() failed: Function not implemented"), std::string::npos)
      << st.message();
}

// The device exists in sysfs but verbs cannot open it: typical of a pod
// without /dev/infiniband or an image without the provider library.
TEST_F(RdmaDeviceTest, DeviceInSysfsButNotUsablePointsAtDevAndProvider) {
  std::filesystem::create_directories(dir_ / "mlx5_3");
  std::filesystem::create_directories(dir_ / "mlx5_0");
  Status st = CheckRdmaDevice(verbs_, dir_.string());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("lists mlx5_0, mlx5_3"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("/dev/infiniband/uverbs"), std::string::npos);
}

}  // namespace
}  // namespace bench
