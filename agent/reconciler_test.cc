// The reconciler against the simulated kernel (SimulatedNode, in-process) and
// the simulator's mstconfig: what a user sees in status after each pass.
#include "agent/reconciler.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include "agent/guid_assignment.h"
#include "agent/host/fake_driver_binder.h"
#include "agent/host/fake_netlink.h"
#include "agent/host/fake_sysfs.h"
#include "agent/host/fake_process_runner.h"
#include "agent/host/mstconfig_tool.h"
#include "api/guid.h"
#include "e2e/sim/fake_netdev_backend.h"
#include "e2e/sim/firmware_store.h"
#include "e2e/sim/in_process_mstconfig.h"
#include "e2e/sim/sim_tree_sysfs.h"
#include "e2e/sim/simulated_node.h"

namespace agent {
namespace {

const char kPf[] = "0000:41:00.0";

using sim::InProcessMstconfig;  // mstconfig-sim in-process, sharing the node's firmware state

struct SimRebooter : host::Rebooter {
  sim::SimulatedNode* node = nullptr;
  int reboots = 0;
  host::Status Reboot(const std::string&) override {
    ++reboots;
    return node->Reboot();
  }
};

struct SimBootId : host::BootId {
  sim::SimulatedNode* node = nullptr;
  host::Result<std::string> Read() override { return node->boot_id(); }
};

const api::Condition* Cond(const api::RdmaNodeStateStatus& s, std::string_view type) {
  return api::FindCondition(s.conditions, type);
}

class ReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/agent-reconciler-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    auto cfg = sim::ParseNodeConfig(R"({"pfs": [{"pci": "0000:41:00.0", "netdev": "enp65s0f0np0",
        "mac": "b8:ce:f6:00:41:00", "vf_netdev_prefix": "enp65s0f0v", "max_vfs": 16}]})");
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    store_ = std::make_unique<sim::FirmwareStore>(dir_ + "/state");
    node_ = std::make_unique<sim::SimulatedNode>(*cfg, *store_, netdevs_);
    ASSERT_TRUE(node_->Boot().ok());
    sysfs_ = std::make_unique<sim::SimTreeSysfs>(node_->tree());
    binder_ = std::make_unique<host::SysfsDriverBinder>(*sysfs_);
    mstconfig_.state = dir_ + "/state";
    rebooter_.node = node_.get();
    boot_id_.node = node_.get();
    Restart();
  }
  void TearDown() override {
    reconciler_.reset();
    node_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A new agent process: fresh reconciler and journal object, same host.
  void Restart() {
    reconciler_.reset();
    journal_ = std::make_unique<Journal>(dir_ + "/journal");
    HostAccess host{*sysfs_, netlink_, firmware_, *binder_, rebooter_, boot_id_, clock_};
    reconciler_ = std::make_unique<Reconciler>(host, *journal_);
  }
  api::RdmaNodeStateSpec Spec(int num_vfs, bool reboot_allowed, std::optional<int> total = std::nullopt) {
    api::RdmaNodeStateSpec s;
    s.disruption = api::DisruptionGrant{std::nullopt, reboot_allowed, {}};
    api::InterfaceSpec i;
    i.pci_address = kPf;
    i.num_vfs = num_vfs;
    i.firmware = api::NodeFirmwareSpec{true, total, {}};
    s.interfaces.push_back(i);
    return s;
  }
  // Runs passes like the agent does: again at once after a (simulated) reboot.
  api::RdmaNodeStateStatus Pass(int64_t gen, const api::RdmaNodeStateSpec& spec) {
    for (int i = 0; i < 3; ++i) {
      PassResult r = reconciler_->Reconcile(gen, spec, last_);
      last_ = r.status;
      if (!r.rebooted) break;
    }
    return *last_;
  }
  std::vector<std::string> VfGuids(const api::RdmaNodeStateStatus& s) {
    std::vector<std::string> out;
    for (const auto& vf : s.interfaces.at(0).vfs) out.push_back(vf.node_guid);
    return out;
  }

  std::string dir_;
  sim::FakeNetdevBackend netdevs_;
  std::unique_ptr<sim::FirmwareStore> store_;
  std::unique_ptr<sim::SimulatedNode> node_;
  std::unique_ptr<sim::SimTreeSysfs> sysfs_;
  host::FakeNetlink netlink_;
  InProcessMstconfig mstconfig_;
  host::MstconfigTool firmware_{mstconfig_};
  std::unique_ptr<host::SysfsDriverBinder> binder_;
  SimRebooter rebooter_;
  SimBootId boot_id_;
  host::FakeClock clock_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<Reconciler> reconciler_;
  std::optional<api::RdmaNodeStateStatus> last_;

};

TEST_F(ReconcilerTest, FirmwareChangeWaitsForARebootGrant) {
  auto s = Pass(1, Spec(4, false));
  EXPECT_EQ(rebooter_.reboots, 0);
  EXPECT_EQ(s.sync_state, api::kSyncPending);
  EXPECT_TRUE(s.reboot_required);
  EXPECT_EQ(Cond(s, api::kConditionProgressing)->status, "True");
  EXPECT_EQ(Cond(s, api::kConditionProgressing)->reason, api::kReasonWaitingForReboot);
  EXPECT_NE(Cond(s, api::kConditionProgressing)->message.find("0000:41:00.0: SRIOV_EN wanted 1, Current False(0)"),
            std::string::npos)
      << Cond(s, api::kConditionProgressing)->message;
  EXPECT_EQ(Cond(s, api::kConditionReady)->status, "False");
  // Firmware Next Boot is already set; status shows both columns.
  const auto& params = s.interfaces.at(0).firmware->parameters;
  ASSERT_EQ(params.size(), 3u);  // SRIOV_EN, NUM_OF_VFS, LINK_TYPE_P1
  auto num = std::find_if(params.begin(), params.end(), [](const auto& p) { return p.name == "NUM_OF_VFS"; });
  ASSERT_NE(num, params.end());
  EXPECT_EQ(num->current, "0");
  EXPECT_EQ(num->next_boot, "4");
  EXPECT_EQ(s.last_apply->phases.at(0).result, "Pending");
}

TEST_F(ReconcilerTest, GrantedRebootThenVfsWithNonZeroUniqueDerivedGuids) {
  auto s = Pass(1, Spec(4, true));
  EXPECT_EQ(rebooter_.reboots, 1);
  EXPECT_EQ(s.sync_state, api::kSyncSucceeded) << (s.last_error ? s.last_error->message : "");
  EXPECT_EQ(Cond(s, api::kConditionReady)->status, "True");
  EXPECT_EQ(Cond(s, api::kConditionReady)->observed_generation, 1);
  EXPECT_EQ(s.applied_generation, 1);
  EXPECT_FALSE(s.reboot_required);
  ASSERT_EQ(s.vf_count, 4);
  const auto& pf = s.interfaces.at(0);
  EXPECT_EQ(pf.num_vfs, 4);
  EXPECT_EQ(pf.node_guid, "b8:ce:f6:03:00:00:41:00");  // MAC b8:ce:f6:00:41:00
  std::set<std::string> unique;
  for (const auto& vf : pf.vfs) {
    EXPECT_EQ(vf.node_guid, api::FormatGuid(*DeriveVfGuid(0xb8cef60300004100, vf.index)));
    EXPECT_EQ(vf.port_guid, vf.node_guid);
    EXPECT_FALSE(vf.name.empty());
    EXPECT_EQ(vf.driver, "mlx5_core");
    EXPECT_EQ(vf.uverbs_device.rfind("/dev/infiniband/uverbs", 0), 0u);
    unique.insert(vf.node_guid);
  }
  EXPECT_EQ(unique.size(), 4u);
  std::vector<std::string> names;
  for (const auto& ph : s.last_apply->phases) names.push_back(ph.name + ":" + ph.result);
  EXPECT_EQ(names, (std::vector<std::string>{"Firmware:Succeeded", "Vfs:Succeeded", "Guids:Succeeded"}));
  // The journal has what was applied.
  auto j = journal_->Load();
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->applied_generation, 1);
  EXPECT_EQ(j->pfs.at(kPf).guids, VfGuids(s));
}

TEST_F(ReconcilerTest, UnmanagedFirmwareIsASkippedPhase) {
  ASSERT_TRUE(store_->Update(kPf, [](sim::FirmwareDeviceState& d) {
                      d.Find("SRIOV_EN")->next_boot = "True(1)";
                      d.Find("NUM_OF_VFS")->next_boot = "4";
                      return host::Status::Ok();
                    }).ok());
  ASSERT_TRUE(node_->Reboot().ok());
  api::RdmaNodeStateSpec s = Spec(2, false);
  s.interfaces[0].firmware.reset();
  auto st = Pass(1, s);
  std::vector<std::string> names;
  for (const auto& ph : st.last_apply->phases) names.push_back(ph.name + ":" + ph.result);
  EXPECT_EQ(names, (std::vector<std::string>{"Firmware:Skipped", "Vfs:Succeeded", "Guids:Succeeded"}));
  EXPECT_EQ(rebooter_.reboots, 0);
}

TEST_F(ReconcilerTest, CountChangeWaitsForDrainWhilePodsUseVfs) {
  auto s = Pass(1, Spec(3, true));
  ASSERT_EQ(s.vf_count, 3);
  netdevs_.MoveAway(s.interfaces[0].vfs[1].name);  // VF 1 is in a pod now
  node_->Refresh();
  s = Pass(2, Spec(2, true));
  EXPECT_EQ(s.vf_count, 3);  // nothing removed
  EXPECT_EQ(s.sync_state, api::kSyncPending);
  EXPECT_EQ(Cond(s, api::kConditionProgressing)->message,
            "0000:41:00.0: 1 VF(s) in use by pods; changing numVfs from 3 to 2 waits for spec.disruption.drained");
  api::RdmaNodeStateSpec drained = Spec(2, true);
  drained.disruption->drained = true;
  s = Pass(3, drained);
  EXPECT_EQ(s.vf_count, 2);
  EXPECT_EQ(Cond(s, api::kConditionReady)->status, "True");
}

TEST_F(ReconcilerTest, IdlePassChangesNothingInStatus) {
  auto first = Pass(1, Spec(2, true));
  ASSERT_EQ(first.sync_state, api::kSyncSucceeded);
  clock_.Advance(std::chrono::minutes(5));
  auto second = Pass(1, Spec(2, true));
  EXPECT_EQ(second, first);  // so the agent writes nothing
}

TEST_F(ReconcilerTest, NumVfsChangeGoesThroughZeroAndKeepsGuids) {
  auto s4 = Pass(1, Spec(4, true, 8));
  ASSERT_EQ(s4.vf_count, 4);
  auto s2 = Pass(2, Spec(2, true, 8));
  EXPECT_EQ(s2.sync_state, api::kSyncSucceeded) << (s2.last_error ? s2.last_error->message : "");
  ASSERT_EQ(s2.vf_count, 2);
  EXPECT_EQ(VfGuids(s2), (std::vector<std::string>{VfGuids(s4)[0], VfGuids(s4)[1]}));
  EXPECT_EQ(rebooter_.reboots, 1);  // 2 <= NUM_OF_VFS 8: no firmware change
  auto s6 = Pass(3, Spec(6, true, 8));
  EXPECT_EQ(s6.vf_count, 6);
  EXPECT_EQ(Cond(s6, api::kConditionReady)->status, "True");
}

TEST_F(ReconcilerTest, SettingThatDoesNotTakeIsDegradedWithoutASecondReboot) {
  ASSERT_TRUE(store_->Update(kPf, [](sim::FirmwareDeviceState& d) {
                      d.not_taking.insert("NUM_OF_VFS");
                      return host::Status::Ok();
                    }).ok());
  auto s = Pass(1, Spec(4, true));
  for (int i = 0; i < 3; ++i) s = Pass(1, Spec(4, true));
  EXPECT_EQ(rebooter_.reboots, 1);
  EXPECT_EQ(Cond(s, api::kConditionDegraded)->status, "True");
  EXPECT_EQ(Cond(s, api::kConditionDegraded)->reason, api::kReasonSettingDidNotTake);
  ASSERT_TRUE(s.last_error);
  EXPECT_EQ(s.last_error->interface, kPf);
  EXPECT_EQ(s.last_error->operation, "verify firmware after reboot");
  EXPECT_NE(s.last_error->message.find("NUM_OF_VFS wanted 4, Current 0"), std::string::npos) << s.last_error->message;
  EXPECT_EQ(s.sync_state, api::kSyncFailed);
  // An agent restart does not reboot again either.
  Restart();
  s = Pass(1, Spec(4, true));
  EXPECT_EQ(rebooter_.reboots, 1);
}

TEST_F(ReconcilerTest, PfRemovedFromSpecWhileAgentWasDownIsUndone) {
  ASSERT_EQ(Pass(1, Spec(3, true)).vf_count, 3);
  Restart();
  api::RdmaNodeStateSpec empty;
  auto s = Pass(2, empty);
  EXPECT_EQ(s.vf_count, 0);
  EXPECT_EQ(Cond(s, api::kConditionReady)->status, "True");
  EXPECT_TRUE(journal_->Load()->pfs.empty());
}

TEST_F(ReconcilerTest, InterruptedRebindIsFinishedAfterRestart) {
  auto s = Pass(1, Spec(2, true));
  ASSERT_EQ(s.vf_count, 2);
  const std::string vf1 = s.interfaces[0].vfs[1].pci_address;
  // The agent died between unbind and bind of VF 1.
  ASSERT_TRUE(binder_->Unbind(vf1).ok());
  Restart();
  auto again = Pass(1, Spec(2, true));
  EXPECT_EQ(again.interfaces[0].vfs[1].driver, "mlx5_core");
  EXPECT_EQ(VfGuids(again), VfGuids(s));
  EXPECT_EQ(Cond(again, api::kConditionReady)->status, "True");
}

TEST_F(ReconcilerTest, NumVfsAboveFirmwareLimitIsAClearError) {
  auto s = Pass(1, Spec(4, true));
  api::RdmaNodeStateSpec unmanaged = Spec(10, true);
  unmanaged.interfaces[0].firmware.reset();
  s = Pass(2, unmanaged);
  ASSERT_TRUE(s.last_error);
  EXPECT_EQ(s.last_error->operation, "create VFs");
  EXPECT_EQ(s.last_error->message,
            "set sriov_numvfs=10 on 0000:41:00.0: exceeds sriov_totalvfs=4 (firmware NUM_OF_VFS)");
  EXPECT_EQ(Cond(s, api::kConditionDegraded)->status, "True");
  EXPECT_EQ(s.vf_count, 4);  // nothing torn down for an impossible request
}

TEST_F(ReconcilerTest, InvalidSpecIsDegradedAndNothingIsTouched) {
  api::RdmaNodeStateSpec bad = Spec(4, true);
  bad.interfaces[0].pci_address = "not-a-pci-address";
  auto s = Pass(1, bad);
  EXPECT_EQ(Cond(s, api::kConditionDegraded)->reason, api::kReasonInvalidSpec);
  EXPECT_EQ(rebooter_.reboots, 0);
}

TEST_F(ReconcilerTest, MissingPfIsNamed) {
  api::RdmaNodeStateSpec s = Spec(1, true);
  s.interfaces[0].pci_address = "0000:42:00.0";
  s.interfaces[0].firmware.reset();
  auto st = Pass(1, s);
  ASSERT_TRUE(st.last_error);
  EXPECT_EQ(st.last_error->interface, "0000:42:00.0");
  EXPECT_EQ(st.last_error->message, "PF 0000:42:00.0 not found on this node (no Mellanox PCI function there)");
}

TEST_F(ReconcilerTest, GuidBlockFromSpecIsUsed) {
  api::RdmaNodeStateSpec s = Spec(2, true);
  s.interfaces[0].guid_block = api::GuidRange{"02:00:00:00:00:00:10:00", "02:00:00:00:00:00:10:0f", {}};
  auto st = Pass(1, s);
  EXPECT_EQ(VfGuids(st), (std::vector<std::string>{"02:00:00:00:00:00:10:00", "02:00:00:00:00:00:10:01"}));
}

TEST_F(ReconcilerTest, NetlinkErrorOnMtuIsReportedNotFatal) {
  api::RdmaNodeStateSpec s = Spec(1, true);
  s.interfaces[0].mtu = 9000;
  auto st = Pass(1, s);  // FakeNetlink has no links: GetLink fails
  ASSERT_TRUE(st.last_error);
  EXPECT_EQ(st.last_error->operation, "set MTU");
  EXPECT_NE(st.last_error->message.find("set MTU 9000 on 0000:41:00.0 (enp65s0f0np0)"), std::string::npos)
      << st.last_error->message;
  EXPECT_EQ(st.vf_count, 1);
}

// Malformed mstconfig output: a clear error naming the PF, never a crash.
TEST(ReconcilerFirmwareErrors, MalformedMstconfigOutput) {
  host::FakeSysfs sysfs;
  sysfs.AddFile("bus/pci/devices/0000:41:00.0/vendor", "0x15b3");
  host::FakeNetlink netlink;
  host::FakeProcessRunner runner;
  runner.Expect({"mstconfig", "-d", "0000:41:00.0", "-e", "q"},
                host::ProcessOutput{0, "Device #1:\n----------\nConfigurations: garbage\n", ""});
  host::MstconfigTool firmware(runner);
  host::FakeDriverBinder binder;
  host::FakeRebooter rebooter;
  host::FakeBootId boot;
  host::FakeClock clock;
  char tmpl[] = "/tmp/agent-reconciler-test-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  Journal journal(dir);
  Reconciler r(HostAccess{sysfs, netlink, firmware, binder, rebooter, boot, clock}, journal);
  api::RdmaNodeStateSpec spec;
  api::InterfaceSpec i;
  i.pci_address = "0000:41:00.0";
  i.num_vfs = 2;
  i.firmware = api::NodeFirmwareSpec{true, std::nullopt, {}};
  spec.interfaces.push_back(i);
  auto out = r.Reconcile(1, spec, std::nullopt);
  ASSERT_TRUE(out.status.last_error);
  EXPECT_EQ(out.status.last_error->interface, "0000:41:00.0");
  EXPECT_EQ(out.status.last_error->operation, "configure firmware");
  EXPECT_NE(out.status.last_error->message.find("0000:41:00.0"), std::string::npos);
  EXPECT_EQ(api::FindCondition(out.status.conditions, api::kConditionDegraded)->status, "True");
  EXPECT_TRUE(rebooter.reasons().empty());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace agent
