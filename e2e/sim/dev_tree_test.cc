// DevTree: the simulated node's /dev/infiniband as real device nodes. The
// plan is tested as a pure function; the sync against a temporary directory
// with real mknod (needs root or CAP_MKNOD, else skipped), driven by a
// SimulatedNode through its OnChange hook as sysfs-sim does.
#include "e2e/sim/dev_tree.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "e2e/sim/fake_netdev_backend.h"
#include "e2e/sim/sim_tree_sysfs.h"

namespace sim {
namespace {

TEST(PlanDevSync, KeepsRightNodesReplacesWrongOnesRemovesStrays) {
  const std::vector<CharDevice> want = {{"rdma_cm", 10, 58}, {"uverbs0", 231, 192}, {"uverbs1", 231, 193}};
  const std::vector<DevEntry> have = {
      {"rdma_cm", true, 10, 58, 0666},    // right: kept
      {"uverbs0", true, 231, 193, 0666},  // renumbered: replaced
      {"uverbs1", false, 0, 0, 0644},     // a regular file: replaced
      {"uverbs2", true, 231, 194, 0666},  // its VF is gone: removed
      {"umad0", true, 231, 0, 0600},      // not wanted at all: removed
  };
  DevPlan plan = PlanDevSync(want, have);
  EXPECT_EQ(plan.remove, (std::vector<std::string>{"uverbs0", "uverbs1", "uverbs2", "umad0"}));
  EXPECT_EQ(plan.create, (std::vector<CharDevice>{{"uverbs0", 231, 192}, {"uverbs1", 231, 193}}));

  const std::vector<DevEntry> wrong_mode = {{"rdma_cm", true, 10, 58, 0600}};
  plan = PlanDevSync({{"rdma_cm", 10, 58}}, wrong_mode);
  EXPECT_EQ(plan.remove, std::vector<std::string>{"rdma_cm"});
  EXPECT_EQ(plan.create.size(), 1u);

  plan = PlanDevSync({}, {});
  EXPECT_TRUE(plan.remove.empty());
  EXPECT_TRUE(plan.create.empty());
}

class DevTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dev-tree-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    // mknod of a char device needs CAP_MKNOD; try once and skip without it.
    const std::string probe = dir_ + "/probe";
    if (::mknod(probe.c_str(), S_IFCHR | 0600, ::makedev(1, 3)) != 0) GTEST_SKIP() << "mknod needs CAP_MKNOD";
    ::unlink(probe.c_str());
    auto cfg = ParseNodeConfig(R"({"pfs": [{"pci": "0000:41:00.0", "netdev": "enp65s0f0np0",
        "mac": "b8:ce:f6:00:41:00", "vf_netdev_prefix": "enp65s0f0v", "max_vfs": 8}]})");
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    store_ = std::make_unique<FirmwareStore>(dir_ + "/state");
    node_ = std::make_unique<SimulatedNode>(*cfg, *store_, netdevs_);
    dev_ = std::make_unique<DevTree>(dir_ + "/dev");
    node_->OnChange([this] {
      host::Status st = dev_->Sync(node_->CharDevices());
      EXPECT_TRUE(st.ok()) << st.message();
    });
    ASSERT_TRUE(node_->Boot().ok());
    // Firmware SR-IOV on with 4 VFs, and the reboot that applies it.
    ASSERT_TRUE(store_
                    ->Update("0000:41:00.0",
                             [](FirmwareDeviceState& d) {
                               d.Find("SRIOV_EN")->next_boot = "True(1)";
                               d.Find("NUM_OF_VFS")->next_boot = "4";
                               return host::Status::Ok();
                             })
                    .ok());
    ASSERT_TRUE(node_->Reboot().ok());
    sysfs_ = std::make_unique<SimTreeSysfs>(node_->tree());
  }
  void TearDown() override {
    node_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // What stat() says about <dev>/infiniband/<name>: "char 231:192 0666",
  // "missing", or "not a char device".
  std::string Stat(const std::string& name) {
    struct stat st {};
    if (::stat((dev_->infiniband_dir() + "/" + name).c_str(), &st) != 0) return "missing";
    if (!S_ISCHR(st.st_mode)) return "not a char device";
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", st.st_mode & 07777);
    return "char " + std::to_string(::major(st.st_rdev)) + ":" + std::to_string(::minor(st.st_rdev)) + " " + mode;
  }
  std::vector<std::string> Names() {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dev_->infiniband_dir()))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  void NumVfs(int n) { ASSERT_TRUE(sysfs_->Write("bus/pci/devices/0000:41:00.0/sriov_numvfs", std::to_string(n)).ok()); }
  void Driver(const std::string& op, const std::string& pci) {
    ASSERT_TRUE(sysfs_->Write("bus/pci/drivers/mlx5_core/" + op, pci).ok()) << op << " " << pci;
  }

  std::string dir_;
  FakeNetdevBackend netdevs_;
  std::unique_ptr<FirmwareStore> store_;
  std::unique_ptr<SimulatedNode> node_;
  std::unique_ptr<DevTree> dev_;
  std::unique_ptr<SimTreeSysfs> sysfs_;
};

TEST_F(DevTreeTest, NodesFollowVfsRebindsAndVfRemoval) {
  // Booted: the PF's devices and rdma_cm.
  EXPECT_EQ(Names(), (std::vector<std::string>{"rdma_cm", "umad0", "uverbs0"}));
  EXPECT_EQ(Stat("rdma_cm"), "char 10:58 0666");
  EXPECT_EQ(Stat("uverbs0"), "char 231:192 0666");
  EXPECT_EQ(Stat("umad0"), "char 231:0 0666");

  NumVfs(3);
  EXPECT_EQ(Stat("uverbs3"), "char 231:195 0666");
  EXPECT_EQ(Stat("umad3"), "char 231:3 0666");
  EXPECT_EQ(Names().size(), 9u);

  // Unbind VF0 (uverbs1) and VF1 (uverbs2), bind VF1 first: it gets
  // uverbs1, VF0 gets uverbs2. The node for uverbs1 must be VF1's now.
  Driver("unbind", "0000:41:00.1");
  EXPECT_EQ(Stat("uverbs1"), "missing");
  EXPECT_EQ(Stat("umad1"), "missing");
  Driver("unbind", "0000:41:00.2");
  Driver("bind", "0000:41:00.2");
  EXPECT_EQ(*sysfs_->List("bus/pci/devices/0000:41:00.2/infiniband_verbs"), std::vector<std::string>{"uverbs1"});
  EXPECT_EQ(Stat("uverbs1"), "char 231:193 0666");
  EXPECT_EQ(Stat("uverbs2"), "missing");
  Driver("bind", "0000:41:00.1");
  EXPECT_EQ(Stat("uverbs2"), "char 231:194 0666");

  // Fewer VFs (through 0, as the kernel wants): the higher numbers go.
  NumVfs(0);
  EXPECT_EQ(Names(), (std::vector<std::string>{"rdma_cm", "umad0", "uverbs0"}));
  NumVfs(1);
  EXPECT_EQ(Names(), (std::vector<std::string>{"rdma_cm", "umad0", "umad1", "uverbs0", "uverbs1"}));
  EXPECT_EQ(Stat("uverbs1"), "char 231:193 0666");
  EXPECT_EQ(Stat("uverbs2"), "missing");

  // A reboot drops the VFs' nodes too.
  ASSERT_EQ(node_->tree().Write("sim/control", "reboot"), 0);
  EXPECT_EQ(Names(), (std::vector<std::string>{"rdma_cm", "umad0", "uverbs0"}));
}

TEST_F(DevTreeTest, StaleAndWrongNodesAreRepairedAndClearRemovesAll) {
  const std::string ib = dev_->infiniband_dir();
  ASSERT_EQ(::unlink((ib + "/uverbs0").c_str()), 0);
  ASSERT_EQ(::mknod((ib + "/uverbs0").c_str(), S_IFCHR | 0600, ::makedev(231, 199)), 0);  // wrong number
  std::ofstream(ib + "/uverbs7") << "left over\n";                                         // not from sysfs
  ASSERT_TRUE(dev_->Sync(node_->CharDevices()).ok());
  EXPECT_EQ(Stat("uverbs0"), "char 231:192 0666");
  EXPECT_EQ(Stat("uverbs7"), "missing");

  ASSERT_TRUE(dev_->Clear().ok());
  EXPECT_TRUE(Names().empty());
}

TEST(DevTree, AnUnusableDirectoryIsAnErrorNamingIt) {
  char tmpl[] = "/tmp/dev-tree-bad-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  std::ofstream(dir + "/dev") << "a file, not a directory\n";
  DevTree dev(dir + "/dev");
  host::Status st = dev.Sync({{"rdma_cm", 10, 58}});
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(dir + "/dev/infiniband"), std::string::npos) << st.message();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sim
