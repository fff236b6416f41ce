// The simulator as the agent will meet it: sysfs-sim mounted over FUSE in a
// network namespace this test creates, VF netdevs as real veths, and the
// fake mstconfig run as a program. Uses the agent's real host classes
// (RealSysfs, RealNetlink, MstconfigTool, SysfsDriverBinder). Needs root
// and /dev/fuse; cleans up by stopping the simulator (which removes its
// veths) and letting its private namespaces die with the test process.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/host/driver_binder.h"
#include "agent/host/mstconfig_tool.h"
#include "agent/host/real_netlink.h"
#include "agent/host/real_sysfs.h"
#include "agent/host/subprocess_runner.h"
#include "e2e/sim/sim_node_process.h"

namespace {

using namespace std::chrono_literals;

const char kPf[] = "bus/pci/devices/0000:41:00.0";

class SysfsSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0 || ::access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "needs root and /dev/fuse";
    char tmpl[] = "/tmp/sysfs-sim-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    sim::SimNodeOptions o;
    o.bin_dir = SIM_BIN_DIR;
    o.work_dir = dir_;
    o.config_json = R"({"pfs": [{"pci": "0000:41:00.0", "netdev": "enp65s0f0np0",
        "mac": "b8:ce:f6:00:41:00", "vf_netdev_prefix": "enp65s0f0v", "max_vfs": 8}]})";
    ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << std::strerror(errno);
    if (UseFabric()) {
      // This first namespace is the fabric, with a bridge; the simulator
      // opens it through /proc. Then a fresh namespace for the node itself.
      fabric_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
      ASSERT_EQ(Shell("ip link add br0 type bridge && ip link set br0 up"), 0);
      ASSERT_EQ(::unshare(CLONE_NEWNET), 0);
      o.fabric_netns = "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(fabric_);
      o.fabric_bridge = "br0";
    }
    auto node = sim::SimNodeProcess::Start(o);  // in our (node) namespace
    ASSERT_TRUE(node.ok()) << node.error().message;
    node_ = std::move(*node);
    ::setenv("MSTCONFIG_SIM_STATE", node_->state_dir().c_str(), 1);
    sysfs_ = std::make_unique<host::RealSysfs>(node_->sysfs_root());
    auto nl = host::RealNetlink::Open();
    ASSERT_TRUE(nl.ok());
    nl_ = std::move(*nl);
  }

  void TearDown() override {
    if (node_) {
      host::Status st = node_->Stop();
      EXPECT_TRUE(st.ok()) << st.message();
      if (nl_) {  // the simulator removed every netdev it made
        auto links = nl_->ListLinks();
        ASSERT_TRUE(links.ok());
        for (const auto& l : *links) EXPECT_EQ(l.name, "lo");
      }
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    if (fabric_ >= 0) ::close(fabric_);
  }
  virtual bool UseFabric() const { return false; }

  int Shell(const std::string& script, std::string* err = nullptr) {
    auto r = host::SubprocessRunner().Run({"bash", "-c", script}, 10s);  // dash says "I/O error" for every errno
    if (!r.ok()) return -1;
    if (err) *err = r->err;
    return r->exit_code;
  }

  // Firmware SR-IOV on with `vfs` VFs through the agent's FirmwareTool, then
  // a simulated reboot.
  void EnableSriov(int vfs) {
    host::SubprocessRunner runner;
    host::MstconfigTool tool(runner, node_->mstconfig_dir() + "/mstconfig");
    host::Status st = tool.Set("0000:41:00.0", {{"SRIOV_EN", "1"}, {"NUM_OF_VFS", std::to_string(vfs)}});
    ASSERT_TRUE(st.ok()) << st.message();
    auto cfg = tool.Query("0000:41:00.0");
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    EXPECT_TRUE(cfg->Find("NUM_OF_VFS")->current->Matches("0"));
    EXPECT_TRUE(cfg->Find("NUM_OF_VFS")->next_boot.Matches(std::to_string(vfs)));
    ASSERT_TRUE(node_->Reboot().ok());
    cfg = tool.Query("0000:41:00.0");
    EXPECT_TRUE(cfg->Find("NUM_OF_VFS")->current->Matches(std::to_string(vfs)));
  }

  std::string dir_;
  std::unique_ptr<sim::SimNodeProcess> node_;
  int fabric_ = -1;
  std::unique_ptr<host::RealSysfs> sysfs_;
  std::unique_ptr<host::RealNetlink> nl_;
};

TEST_F(SysfsSimTest, VfsAreRealNetdevsAndCountChangesGoThroughZero) {
  EXPECT_FALSE(sysfs_->Exists(std::string(kPf) + "/sriov_numvfs"));  // SR-IOV off in firmware
  ASSERT_TRUE(nl_->GetLink("enp65s0f0np0").ok());                    // the PF netdev is real
  EnableSriov(4);
  EXPECT_EQ(*sysfs_->Read("class/net/enp65s0f0np0/device/sriov_totalvfs"), "4");

  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "3").ok());
  for (int i = 0; i < 3; ++i) {
    auto link = nl_->GetLink("enp65s0f0v" + std::to_string(i));
    ASSERT_TRUE(link.ok()) << link.error().message;
    EXPECT_EQ(link->kind, "veth");
    EXPECT_EQ(*sysfs_->Read("class/net/enp65s0f0v" + std::to_string(i) + "/ifindex"), std::to_string(link->index));
  }
  EXPECT_EQ(host::PathBaseName(*sysfs_->ReadLink(std::string(kPf) + "/virtfn2")), "0000:41:00.3");

  host::Status busy = sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "2");
  EXPECT_EQ(busy.sys_errno(), EBUSY) << busy.message();
  EXPECT_EQ(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "5").sys_errno(), ERANGE);

  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "0").ok());
  EXPECT_EQ(nl_->GetLink("enp65s0f0v0").error().sys_errno, ENODEV);
  EXPECT_FALSE(sysfs_->Exists("class/net/enp65s0f0v0"));
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "2").ok());
  EXPECT_TRUE(nl_->GetLink("enp65s0f0v1").ok());
}

TEST_F(SysfsSimTest, ShellEchoSeesTheKernelsErrors) {
  EnableSriov(4);
  const std::string numvfs = node_->sysfs_root() + "/class/net/enp65s0f0np0/device/sriov_numvfs";
  EXPECT_EQ(Shell("echo 2 > " + numvfs), 0);
  std::string err;
  EXPECT_NE(Shell("echo 3 > " + numvfs, &err), 0);
  EXPECT_NE(err.find("Device or resource busy"), std::string::npos) << err;
  EXPECT_NE(Shell("echo 1 > " + node_->sysfs_root() + "/class/net/enp65s0f0np0/device/sriov_newfile", &err), 0);
}

TEST_F(SysfsSimTest, GuidSetThenRebindIsReadBack) {
  EnableSriov(2);
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "1").ok());
  ASSERT_TRUE(sysfs_->Write("class/net/enp65s0f0np0/device/sriov/0/node", "b8:ce:f6:03:00:41:00:01").ok());
  ASSERT_TRUE(sysfs_->Write("class/net/enp65s0f0np0/device/sriov/0/port", "b8:ce:f6:03:00:41:00:01").ok());
  host::SysfsDriverBinder binder(*sysfs_);
  ASSERT_TRUE(binder.Unbind("0000:41:00.1").ok());
  EXPECT_EQ(nl_->GetLink("enp65s0f0v0").error().sys_errno, ENODEV);  // the netdev goes with the driver
  ASSERT_TRUE(binder.Bind("0000:41:00.1", "mlx5_core").ok());
  auto ib = sysfs_->List("bus/pci/devices/0000:41:00.1/infiniband");
  ASSERT_TRUE(ib.ok());
  ASSERT_EQ(ib->size(), 1u);
  EXPECT_EQ(*sysfs_->Read("class/infiniband/" + (*ib)[0] + "/node_guid"), "b8ce:f603:0041:0001");
  EXPECT_TRUE(nl_->GetLink("enp65s0f0v0").ok());
}

TEST_F(SysfsSimTest, RenamesAndMovesShowInSysfs) {
  EnableSriov(2);
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "2").ok());
  ASSERT_TRUE(nl_->SetName("enp65s0f0v0", "net1").ok());
  EXPECT_TRUE(sysfs_->Exists("class/net/net1"));
  EXPECT_FALSE(sysfs_->Exists("class/net/enp65s0f0v0"));
  EXPECT_EQ(*sysfs_->List("bus/pci/devices/0000:41:00.1/net"), std::vector<std::string>{"net1"});

  // Into a "pod": gone from the node's sysfs, like the kernel's.
  int pod[2];
  ASSERT_EQ(::pipe(pod), 0);
  pid_t child = ::fork();
  if (child == 0) {
    ::unshare(CLONE_NEWNET);
    char c = 0;
    ::write(pod[1], &c, 1);
    ::pause();
    ::_exit(0);
  }
  char c;
  ASSERT_EQ(::read(pod[0], &c, 1), 1);
  int fd = ::open(("/proc/" + std::to_string(child) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(nl_->MoveToNetnsFd("enp65s0f0v1", fd).ok());
  EXPECT_FALSE(sysfs_->Exists("class/net/enp65s0f0v1"));
  EXPECT_FALSE(sysfs_->Exists("bus/pci/devices/0000:41:00.2/net"));
  // Destroying the VFs removes the moved netdev too (the kernel would).
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "0").ok());
  ::close(fd);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(pod[0]);
  ::close(pod[1]);
}

// What a container runtime checks for a DeviceSpec host path: "char M:m",
// "missing" or "not a char device".
std::string StatDevice(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "missing";
  if (!S_ISCHR(st.st_mode)) return "not a char device";
  return "char " + std::to_string(::major(st.st_rdev)) + ":" + std::to_string(::minor(st.st_rdev));
}

TEST_F(SysfsSimTest, DeviceNodesUnderTheHostRootFollowSysfs) {
  const std::string ib = node_->host_root() + "/dev/infiniband/";  // through the mount's dev link
  EXPECT_EQ(StatDevice(ib + "uverbs0"), "char 231:192");           // the PF's
  EXPECT_EQ(StatDevice(ib + "rdma_cm"), "char 10:58");
  EnableSriov(2);
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "1").ok());
  EXPECT_EQ(StatDevice(ib + "uverbs0"), "char 231:192");
  auto verbs = sysfs_->List("bus/pci/devices/0000:41:00.1/infiniband_verbs");
  ASSERT_TRUE(verbs.ok()) << verbs.error().message;
  ASSERT_EQ(verbs->size(), 1u);
  const std::string dev = *sysfs_->Read("class/infiniband_verbs/" + (*verbs)[0] + "/dev");
  EXPECT_EQ(StatDevice(ib + (*verbs)[0]), "char " + dev);
  EXPECT_EQ(StatDevice(ib + "umad1"), "char 231:1");
  EXPECT_EQ(StatDevice(node_->dev_dir() + "/infiniband/" + (*verbs)[0]), "char " + dev);

  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "0").ok());
  EXPECT_EQ(StatDevice(ib + (*verbs)[0]), "missing");
  EXPECT_EQ(StatDevice(ib + "umad1"), "missing");

  // Stopping the node removes its device nodes.
  ASSERT_TRUE(node_->Stop().ok());
  EXPECT_TRUE(std::filesystem::is_empty(node_->dev_dir() + "/infiniband"));
}

class SysfsSimFabricTest : public SysfsSimTest {
 protected:
  bool UseFabric() const override { return true; }
};

TEST_F(SysfsSimFabricTest, VfPeersArePortsOfTheFabricBridge) {
  EnableSriov(4);
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "2").ok());
  // Count the veth peers on the fabric side: the PF's and two VFs'.
  int self = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  ASSERT_EQ(::setns(fabric_, CLONE_NEWNET), 0);
  auto fabric_nl = host::RealNetlink::Open();
  ASSERT_EQ(::setns(self, CLONE_NEWNET), 0);
  ::close(self);
  ASSERT_TRUE(fabric_nl.ok());
  auto links = (*fabric_nl)->ListLinks();
  ASSERT_TRUE(links.ok());
  int veths = 0;
  for (const auto& l : *links) veths += l.kind == "veth" && l.up;
  EXPECT_EQ(veths, 3);
  ASSERT_TRUE(sysfs_->Write(std::string(kPf) + "/sriov_numvfs", "0").ok());
  links = (*fabric_nl)->ListLinks();
  veths = 0;
  for (const auto& l : *links) veths += l.kind == "veth";
  EXPECT_EQ(veths, 1);  // only the PF's
}

TEST(SysfsSimStartup, BadConfigIsAClearErrorNotACrash) {
  char tmpl[] = "/tmp/sysfs-sim-bad-XXXXXX";
  sim::SimNodeOptions o;
  o.bin_dir = SIM_BIN_DIR;
  o.work_dir = ::mkdtemp(tmpl);
  o.config_json = R"({"pfs": [{"pci": "41:00.0"}]})";
  auto node = sim::SimNodeProcess::Start(o);
  ASSERT_FALSE(node.ok());
  EXPECT_NE(node.error().message.find("sysfs-sim did not start: sysfs-sim: node config: pfs[0]"), std::string::npos)
      << node.error().message;
  std::filesystem::remove_all(o.work_dir);
}

TEST(SysfsSimStartup, AnUnusableDevDirIsAClearError) {
  if (::geteuid() != 0 || ::access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "needs root and /dev/fuse";
  char tmpl[] = "/tmp/sysfs-sim-bad-XXXXXX";
  sim::SimNodeOptions o;
  o.bin_dir = SIM_BIN_DIR;
  o.work_dir = ::mkdtemp(tmpl);
  o.config_json = R"({"pfs": [{"pci": "0000:41:00.0", "netdev": "p0", "mac": "b8:ce:f6:00:41:00"}]})";
  std::ofstream(o.work_dir + "/dev") << "a file where the dev directory should be\n";
  ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << std::strerror(errno);  // the PF veth goes here
  auto node = sim::SimNodeProcess::Start(o);
  ASSERT_FALSE(node.ok());
  EXPECT_NE(node.error().message.find("sysfs-sim: dev tree: create " + o.work_dir + "/dev/infiniband"),
            std::string::npos)
      << node.error().message;
  std::filesystem::remove_all(o.work_dir);
}

}  // namespace
