// PfApplier against an in-memory sysfs whose sriov_numvfs behaves like the
// kernel's (EBUSY for N -> M), and fake netlink: the order of writes, the
// bounded wait for VF netdevs, and the error texts a user reads.
#include "agent/pf_applier.h"

#include <gtest/gtest.h>

#include "agent/host/fake_driver_binder.h"
#include "agent/host/fake_netlink.h"
#include "agent/host/fake_sysfs.h"

namespace agent {
namespace {

const char kPf[] = "0000:41:00.0";
const char kDir[] = "bus/pci/devices/0000:41:00.0";

class PfApplierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sysfs_.AddFile(std::string(kDir) + "/vendor", "0x15b3");
    sysfs_.AddFile(std::string(kDir) + "/sriov_totalvfs", "8");
    sysfs_.AddFile(std::string(kDir) + "/sriov_numvfs", "0");
    sysfs_.AddLink(std::string(kDir) + "/driver", "../../drivers/mlx5_core");
    sysfs_.AddDir("bus/pci/drivers/mlx5_core");
    sysfs_.OnWrite(std::string(kDir) + "/sriov_numvfs", [this](const std::string& v) { return WriteNumVfs(v); });
  }
  // The kernel: synchronous VF creation, EBUSY unless going through 0.
  host::Status WriteNumVfs(const std::string& v) {
    int n = std::stoi(v);
    if (n != 0 && vfs_ != 0) return host::Error{"Device or resource busy", EBUSY};
    for (int i = 0; i < vfs_; ++i) {
      sysfs_.Remove(std::string(kDir) + "/virtfn" + std::to_string(i));
      sysfs_.Remove("bus/pci/devices/0000:41:00." + std::to_string(i + 1));
    }
    vfs_ = n;
    for (int i = 0; i < n; ++i) {
      std::string vf = "bus/pci/devices/0000:41:00." + std::to_string(i + 1);
      sysfs_.AddLink(std::string(kDir) + "/virtfn" + std::to_string(i), "../0000:41:00." + std::to_string(i + 1));
      if (netdevs_appear_) {
        sysfs_.AddLink(vf + "/driver", "../../drivers/mlx5_core");
        sysfs_.AddDir(vf + "/net/ens1f0v" + std::to_string(i));
      } else {
        sysfs_.AddFile(vf + "/vendor", "0x15b3");
      }
    }
    sysfs_.AddFile(std::string(kDir) + "/sriov_numvfs", v);
    sysfs_.OnWrite(std::string(kDir) + "/sriov_numvfs", [this](const std::string& x) { return WriteNumVfs(x); });
    return host::Status::Ok();
  }
  std::vector<std::string> NumVfsWrites() {
    std::vector<std::string> out;
    for (const auto& [path, value] : sysfs_.writes()) {
      if (path.find("sriov_numvfs") != std::string::npos) out.push_back(value);
    }
    return out;
  }

  host::FakeSysfs sysfs_;
  host::FakeNetlink netlink_;
  host::FakeDriverBinder binder_;
  host::FakeClock clock_;
  PfApplier applier_{sysfs_, netlink_, binder_, clock_, std::chrono::seconds(30)};
  int vfs_ = 0;
  bool netdevs_appear_ = true;
};

TEST_F(PfApplierTest, ChangingTheCountGoesThroughZero) {
  { auto st = applier_.SetNumVfs(kPf, 4).status; ASSERT_TRUE(st.ok()) << st.message(); }
  StepResult r = applier_.SetNumVfs(kPf, 2);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(NumVfsWrites(), (std::vector<std::string>{"4", "0", "2"}));
  // Already right: nothing written.
  r = applier_.SetNumVfs(kPf, 2);
  EXPECT_TRUE(r.status.ok());
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(NumVfsWrites().size(), 3u);
}

TEST_F(PfApplierTest, MissingNetdevsEndInABoundedTimeoutNamingTheVfs) {
  netdevs_appear_ = false;
  StepResult r = applier_.SetNumVfs(kPf, 2);
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.message(),
            "wait for VF netdevs of 0000:41:00.0: VFs 0,1 have no driver or netdev after 30000 ms");
  EXPECT_EQ(r.status.sys_errno(), ETIMEDOUT);
}

TEST_F(PfApplierTest, OddOrMissingSriovFilesAreClearErrors) {
  sysfs_.AddFile(std::string(kDir) + "/sriov_numvfs", "abc");
  EXPECT_EQ(applier_.SetNumVfs(kPf, 2).status.message(),
            "read bus/pci/devices/0000:41:00.0/sriov_numvfs: \"abc\" is not a number");
  sysfs_.Remove(std::string(kDir) + "/sriov_numvfs");
  EXPECT_EQ(applier_.SetNumVfs(kPf, 2).status.message(),
            "set sriov_numvfs=2 on 0000:41:00.0: SR-IOV is not enabled (no sriov_numvfs; firmware SRIOV_EN off or "
            "not yet rebooted)");
  EXPECT_TRUE(applier_.SetNumVfs(kPf, 0).status.ok());  // nothing to undo
}

TEST_F(PfApplierTest, KernelRefusalKeepsTheKernelsReason) {
  sysfs_.OnWrite(std::string(kDir) + "/sriov_numvfs",
                 [](const std::string&) { return host::Status(host::Error{"Invalid argument", EINVAL}); });
  host::Status st = applier_.SetNumVfs(kPf, 2).status;
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.sys_errno(), EINVAL);
  EXPECT_NE(st.message().find("set sriov_numvfs=2 on 0000:41:00.0: "), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("Invalid argument"), std::string::npos) << st.message();
}

TEST_F(PfApplierTest, UnboundVfIsBoundAgain) {
  { auto st = applier_.SetNumVfs(kPf, 2).status; ASSERT_TRUE(st.ok()) << st.message(); }
  sysfs_.Remove("bus/pci/devices/0000:41:00.2/driver");  // killed between unbind and bind
  binder_.SetDriver("0000:41:00.2", "");
  sysfs_.Remove("bus/pci/devices/0000:41:00.2/net");
  StepResult r = applier_.SetNumVfs(kPf, 2);
  EXPECT_EQ(binder_.log(), (std::vector<std::string>{"bind 0000:41:00.2 mlx5_core"}));
  // The fake binder does not re-create the netdev: the wait reports it.
  EXPECT_EQ(r.status.message(), "wait for VF netdevs of 0000:41:00.0: VFs 1 have no driver or netdev after 30000 ms");
}

TEST_F(PfApplierTest, NetlinkGuidErrorNamesVfAndPf) {
  { auto st = applier_.SetNumVfs(kPf, 1).status; ASSERT_TRUE(st.ok()) << st.message(); }
  binder_.SetDriver("0000:41:00.1", "mlx5_core");
  // No sriov/<i>/node files: GUIDs go through netlink, which has no such PF link.
  StepResult r = applier_.SetGuids(kPf, "ens1f0", "mlx5_core", {0x0200000000000001});
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.message().rfind("set GUID 02:00:00:00:00:00:00:01 of VF 0 of 0000:41:00.0: ", 0), 0u)
      << r.status.message();
  EXPECT_TRUE(binder_.log().empty());  // no rebind after a failed set
}

TEST_F(PfApplierTest, GuidsThroughSriovFilesThenRebind) {
  { auto st = applier_.SetNumVfs(kPf, 1).status; ASSERT_TRUE(st.ok()) << st.message(); }
  binder_.SetDriver("0000:41:00.1", "mlx5_core");
  for (const char* f : {"node", "port", "mac"}) sysfs_.AddFile(std::string(kDir) + "/sriov/0/" + f, "");
  StepResult r = applier_.SetGuids(kPf, "ens1f0", "mlx5_core", {0x0200000000000001});
  EXPECT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(*sysfs_.Read(std::string(kDir) + "/sriov/0/node"), "02:00:00:00:00:00:00:01");
  EXPECT_EQ(*sysfs_.Read(std::string(kDir) + "/sriov/0/port"), "02:00:00:00:00:00:00:01");
  EXPECT_EQ(*sysfs_.Read(std::string(kDir) + "/sriov/0/mac"), "02:00:00:00:00:01");
  EXPECT_EQ(binder_.log(), (std::vector<std::string>{"unbind 0000:41:00.1", "bind 0000:41:00.1 mlx5_core"}));
}

TEST_F(PfApplierTest, VfInAPodNamespaceIsNotRebound) {
  { auto st = applier_.SetNumVfs(kPf, 1).status; ASSERT_TRUE(st.ok()) << st.message(); }
  binder_.SetDriver("0000:41:00.1", "mlx5_core");
  sysfs_.Remove("bus/pci/devices/0000:41:00.1/net");  // moved into a pod
  for (const char* f : {"node", "port", "mac"}) sysfs_.AddFile(std::string(kDir) + "/sriov/0/" + f, "");
  StepResult r = applier_.SetGuids(kPf, "ens1f0", "mlx5_core", {0x0200000000000001});
  EXPECT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_FALSE(r.changed);
  EXPECT_TRUE(binder_.log().empty());
}

}  // namespace
}  // namespace agent
