#include "agent/deviceplugin/devices.h"

#include <gtest/gtest.h>

#include "agent/deviceplugin/plugin_manager.h"
#include "agent/deviceplugin/test_node.h"
#include "agent/host/fake_sysfs.h"

namespace deviceplugin {
namespace {

using testing_node::FourVfs;
using testing_node::kPf;
using testing_node::Node;


using testing_node::Vf;

TEST(Inventory, OneResourcePerGroupWithItsVfsByPciAddress) {
  Node n = FourVfs();
  Inventory inv = BuildInventory(n.spec, n.status, n.extras, {});
  ASSERT_EQ(inv.size(), 2u);
  ASSERT_EQ(inv["roce"].devices.size(), 2u);
  EXPECT_EQ(inv["roce"].devices[0].id, "0000:3b:00.2");
  EXPECT_EQ(inv["roce"].devices[1].id, "0000:3b:00.3");
  EXPECT_EQ(inv["other"].devices[0].id, "0000:3b:00.4");
  EXPECT_TRUE(inv["roce"].devices[0].healthy()) << inv["roce"].devices[0].why_unhealthy;
  EXPECT_EQ(inv["roce"].devices[0].uverbs_dev, "231:194");
  EXPECT_EQ(inv["roce"].devices[0].numa_node, 0);
  EXPECT_EQ(inv["roce"].devices[0].umad, "") << "umad only where the policy asks for it";
  EXPECT_FALSE(inv["roce"].exclusive);
}

// The pass of a new generation has started (observed 4, applied 3): a PF
// whose spec the new generation left as it was applied stays Healthy (a
// rollout's grant changes only spec.disruption); one whose spec changed
// waits for its apply; one whose apply failed is not helped.
TEST(Health, ANewGenerationThatLeavesThePfAsAppliedKeepsItsVfsHealthy) {
  Node n = FourVfs();
  const std::map<std::string, api::InterfaceSpec> applied = {{kPf, n.spec.interfaces[0]}};
  n.status.observed_generation = 4;
  EXPECT_FALSE(BuildInventory(n.spec, n.status, n.extras, {})["roce"].devices[0].healthy());
  EXPECT_TRUE(BuildInventory(n.spec, n.status, n.extras, {}, applied)["roce"].devices[0].healthy());
  Node changed = n;
  changed.spec.interfaces[0].mtu = 9000;
  EXPECT_EQ(BuildInventory(changed.spec, changed.status, changed.extras, {}, applied)["roce"].devices[0].why_unhealthy,
            "its PF's apply has not finished for this generation");
  Node failed = n;
  failed.status.sync_state = api::kSyncFailed;
  failed.status.last_error = api::AgentError{};
  failed.status.last_error->interface = kPf;
  EXPECT_FALSE(BuildInventory(failed.spec, failed.status, failed.extras, {}, applied)["roce"].devices[0].healthy());
}

TEST(Inventory, AResourceWhosePfIsNotFoundIsServedWithoutDevices) {
  Node n = FourVfs();
  n.status.interfaces.clear();
  Inventory inv = BuildInventory(n.spec, n.status, n.extras, {});
  ASSERT_TRUE(inv.count("roce"));
  EXPECT_TRUE(inv["roce"].devices.empty());
}

TEST(Inventory, VfsThatDoNotExistYetAreNotAdvertised) {
  Node n = FourVfs();
  n.status.interfaces[0].vfs.resize(1);
  Inventory inv = BuildInventory(n.spec, n.status, n.extras, {});
  EXPECT_EQ(inv["roce"].devices.size(), 1u);
  EXPECT_TRUE(inv["other"].devices.empty());
}

TEST(Health, EachRuleMakesTheVfUnhealthyWithItsReason) {
  struct Case {
    const char* name;
    void (*breakit)(api::VfStatus&);
    const char* reason;
  } cases[] = {
      {"unbound", [](api::VfStatus& v) { v.driver.clear(); }, "no driver is bound"},
      {"node guid zero", [](api::VfStatus& v) { v.node_guid = "00:00:00:00:00:00:00:00"; }, "its node GUID is zero"},
      {"sysfs-style zero", [](api::VfStatus& v) { v.node_guid = "0000:0000:0000:0000"; }, "its node GUID is zero"},
      {"port guid zero", [](api::VfStatus& v) { v.port_guid = "00:00:00:00:00:00:00:00"; }, "its port GUID is zero"},
      {"no rdma device", [](api::VfStatus& v) { v.rdma_device.clear(); }, "it has no RDMA device"},
      {"no uverbs", [](api::VfStatus& v) { v.uverbs_device.clear(); }, "it has no uverbs device"},
  };
  for (const Case& c : cases) {
    Node n = FourVfs();
    c.breakit(Vf(n, 0));
    Inventory inv = BuildInventory(n.spec, n.status, n.extras, {});
    const VfDevice& d = inv["roce"].devices[0];
    EXPECT_FALSE(d.healthy()) << c.name;
    EXPECT_EQ(d.why_unhealthy, c.reason) << c.name;
    EXPECT_TRUE(inv["roce"].devices[1].healthy()) << c.name << ": only the broken VF";
  }
}

TEST(Health, APfWhoseApplyIsNotDoneMakesAllItsVfsUnhealthy) {
  Node n = FourVfs();
  n.status.observed_generation = 4;  // generation 4 not applied yet
  for (const auto& [_, r] : BuildInventory(n.spec, n.status, n.extras, {})) {
    for (const VfDevice& d : r.devices) {
      EXPECT_FALSE(d.healthy()) << d.id;
      EXPECT_EQ(d.why_unhealthy, "its PF's apply has not finished for this generation");
    }
  }
}

TEST(Health, TheLastErrorCountsForItsPfOrTheWholeNodeOnly) {
  Node n = FourVfs();
  n.status.sync_state = api::kSyncFailed;
  n.status.last_error = api::AgentError{};
  n.status.last_error->interface = "0000:5e:00.0";  // another PF
  EXPECT_TRUE(PfApplied(n.status, kPf));
  n.status.last_error->interface = kPf;
  EXPECT_FALSE(PfApplied(n.status, kPf));
  n.status.last_error->interface = "";  // node-wide, e.g. the RDMA namespace mode
  EXPECT_FALSE(PfApplied(n.status, kPf));
  n.status.sync_state = api::kSyncSucceeded;  // an old error kept while waiting is not a failure now
  EXPECT_TRUE(PfApplied(n.status, kPf));
}

TEST(Health, AVfMovedIntoAPodKeepsItsFactsAndStaysHealthy) {
  Node n = FourVfs();
  n.status.rdma_namespace_mode = api::kRdmaNamespaceExclusive;
  Inventory before = BuildInventory(n.spec, n.status, n.extras, {});
  // Exclusive mode moved netdev and RDMA device away: the host sees neither.
  Vf(n, 0).name.clear();
  Vf(n, 0).rdma_device.clear();
  Vf(n, 0).uverbs_device.clear();
  Vf(n, 0).node_guid = Vf(n, 0).port_guid = "";
  Inventory after = BuildInventory(n.spec, n.status, n.extras, before);
  const VfDevice& d = after["roce"].devices[0];
  EXPECT_TRUE(d.healthy()) << d.why_unhealthy;
  EXPECT_TRUE(d.away);
  EXPECT_EQ(d.rdma_device, "mlx5_2");
  // Without an earlier view (agent restarted meanwhile) it cannot tell.
  EXPECT_FALSE(BuildInventory(n.spec, n.status, n.extras, {})["roce"].devices[0].healthy());
  // Unbinding it is not a move: it turns Unhealthy.
  Vf(n, 0).driver.clear();
  EXPECT_FALSE(BuildInventory(n.spec, n.status, n.extras, before)["roce"].devices[0].healthy());
}

TEST(Health, UmadAskedForButMissingIsUnhealthy) {
  Node n = FourVfs(/*umad=*/true);
  n.extras["0000:3b:00.2"].umad.clear();
  Inventory inv = BuildInventory(n.spec, n.status, n.extras, {});
  EXPECT_FALSE(inv["roce"].devices[0].healthy());
  EXPECT_EQ(inv["roce"].devices[0].why_unhealthy, "it has no umad device");
  EXPECT_EQ(inv["roce"].devices[1].umad, "umad3");
  EXPECT_EQ(inv["other"].devices[0].umad, "") << "the other group did not ask";
}

ResourceDevices Pool() {
  // Two PFs on two NUMA nodes; VF .3 is away (its last pod's teardown).
  ResourceDevices r;
  r.resource = "roce";
  auto add = [&](std::string id, std::string pf, int numa, bool away) {
    VfDevice d;
    d.id = std::move(id);
    d.pf = std::move(pf);
    d.numa_node = numa;
    d.away = away;
    r.devices.push_back(d);
  };
  add("0000:3b:00.2", "0000:3b:00.0", 0, false);
  add("0000:3b:00.3", "0000:3b:00.0", 0, true);
  add("0000:3b:00.4", "0000:3b:00.0", 0, false);
  add("0000:86:00.2", "0000:86:00.0", 1, false);
  add("0000:86:00.3", "0000:86:00.0", 1, false);
  add("0000:86:00.4", "0000:86:00.0", 1, false);
  return r;
}

TEST(Preferred, KeepsMustIncludeAndStaysOnItsNumaNodeAndPf) {
  ResourceDevices r = Pool();
  std::vector<std::string> all;
  for (const auto& d : r.devices) all.push_back(d.id);
  auto got = PreferDevices(r, all, {"0000:86:00.4"}, 2);
  EXPECT_EQ(got, (std::vector<std::string>{"0000:86:00.4", "0000:86:00.2"}));
}

TEST(Preferred, WithNothingChosenTakesThePfWithMostFreeVfsAndAvoidsAwayOnes) {
  ResourceDevices r = Pool();
  std::vector<std::string> all;
  for (const auto& d : r.devices) all.push_back(d.id);
  // PF 86 has three free VFs that are not away, PF 3b two.
  EXPECT_EQ(PreferDevices(r, all, {}, 3),
            (std::vector<std::string>{"0000:86:00.2", "0000:86:00.3", "0000:86:00.4"}));
  // Only PF 3b offered: the away VF comes last.
  EXPECT_EQ(PreferDevices(r, {"0000:3b:00.3", "0000:3b:00.2", "0000:3b:00.4"}, {}, 2),
            (std::vector<std::string>{"0000:3b:00.2", "0000:3b:00.4"}));
  EXPECT_EQ(PreferDevices(r, {"0000:3b:00.3", "0000:3b:00.2"}, {}, 2),
            (std::vector<std::string>{"0000:3b:00.2", "0000:3b:00.3"}))
      << "an away VF is still taken when nothing else is left";
}

TEST(Preferred, NeverMoreThanAskedOrOutsideAvailable) {
  ResourceDevices r = Pool();
  EXPECT_EQ(PreferDevices(r, {"0000:3b:00.2", "0000:ff:00.1"}, {}, 2), (std::vector<std::string>{"0000:3b:00.2"}));
  EXPECT_EQ(PreferDevices(r, {"0000:3b:00.2", "0000:3b:00.4"}, {}, 1).size(), 1u);
}

TEST(EnvName, PrefixAndNameUpperCasedWithUnderscores) {
  EXPECT_EQ(EnvName("roce"), "PCIDEVICE_RDMA_DEV_ROCE");
  EXPECT_EQ(EnvName("ib-hdr.a"), "PCIDEVICE_RDMA_DEV_IB_HDR_A");
}

TEST(Allocate, SharedModeGivesUverbsRdmaCmAndTheEnv) {
  Node n = FourVfs();
  Inventory inv = BuildInventory(n.spec, n.status, n.extras, {});
  auto resp = ContainerResponse(inv["roce"], {"0000:3b:00.2", "0000:3b:00.3"}, /*use_cdi=*/false);
  std::vector<std::string> paths;
  for (const auto& d : resp.devices()) {
    paths.push_back(d.host_path());
    EXPECT_EQ(d.container_path(), d.host_path());
    EXPECT_EQ(d.permissions(), "rw");
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"/dev/infiniband/rdma_cm", "/dev/infiniband/uverbs2",
                                             "/dev/infiniband/uverbs3"}));
  EXPECT_EQ(resp.envs().at("PCIDEVICE_RDMA_DEV_ROCE"), "0000:3b:00.2,0000:3b:00.3");
  auto info = nlohmann::json::parse(resp.envs().at("PCIDEVICE_RDMA_DEV_ROCE_INFO"));
  EXPECT_EQ(info["0000:3b:00.3"]["rdma"]["rdma_dev"], "mlx5_3");
  EXPECT_EQ(info["0000:3b:00.3"]["rdma"]["uverbs"], "/dev/infiniband/uverbs3");
  EXPECT_EQ(info["0000:3b:00.3"]["rdma"]["rdma_cm"], "/dev/infiniband/rdma_cm");
  EXPECT_EQ(info["0000:3b:00.3"]["generic"]["deviceID"], "0000:3b:00.3");
  EXPECT_EQ(resp.cdi_devices_size(), 0);
}

TEST(Allocate, UmadOnlyWhereAskedFor) {
  Node n = FourVfs(/*umad=*/true);
  Inventory inv = BuildInventory(n.spec, n.status, n.extras, {});
  auto resp = ContainerResponse(inv["roce"], {"0000:3b:00.2"}, false);
  ASSERT_EQ(resp.devices_size(), 3);
  EXPECT_EQ(resp.devices(2).host_path(), "/dev/infiniband/umad2");
  EXPECT_EQ(nlohmann::json::parse(resp.envs().at("PCIDEVICE_RDMA_DEV_ROCE_INFO"))["0000:3b:00.2"]["rdma"]["umad"],
            "/dev/infiniband/umad2");
  EXPECT_EQ(ContainerResponse(inv["other"], {"0000:3b:00.4"}, false).devices_size(), 2);
}

TEST(Allocate, ExclusiveModeWithCdiNamesTheVfsInsteadOfTheirUverbs) {
  Node n = FourVfs();
  n.status.rdma_namespace_mode = api::kRdmaNamespaceExclusive;
  Inventory inv = BuildInventory(n.spec, n.status, n.extras, {});
  ASSERT_TRUE(inv["roce"].exclusive);
  auto resp = ContainerResponse(inv["roce"], {"0000:3b:00.2"}, /*use_cdi=*/true);
  ASSERT_EQ(resp.cdi_devices_size(), 1);
  EXPECT_EQ(resp.cdi_devices(0).name(), "rdma.dev/vf=0000-3b-00.2");
  ASSERT_EQ(resp.devices_size(), 1) << "rdma_cm only: its number never changes";
  EXPECT_EQ(resp.devices(0).host_path(), "/dev/infiniband/rdma_cm");
  EXPECT_EQ(resp.envs().at("PCIDEVICE_RDMA_DEV_ROCE"), "0000:3b:00.2");
}

TEST(Cdi, SpecHasOneDeviceNodeEntryPerVfWithItsNumbers) {
  Node n = FourVfs(/*umad=*/true);
  n.status.rdma_namespace_mode = api::kRdmaNamespaceExclusive;
  Inventory inv = BuildInventory(n.spec, n.status, n.extras, {});
  nlohmann::json spec = CdiSpec(inv["roce"]);
  EXPECT_EQ(spec["cdiVersion"], "0.5.0");
  EXPECT_EQ(spec["kind"], "rdma.dev/vf");
  ASSERT_EQ(spec["devices"].size(), 2u);
  const auto& d = spec["devices"][0];
  EXPECT_EQ(d["name"], "0000-3b-00.2");
  const auto& nodes = d["containerEdits"]["deviceNodes"];
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0], (nlohmann::json{{"path", "/dev/infiniband/uverbs2"},
                                      {"hostPath", "/dev/infiniband/uverbs2"},
                                      {"type", "c"},
                                      {"major", 231},
                                      {"minor", 194},
                                      {"permissions", "rw"}}));
  EXPECT_EQ(nodes[1]["path"], "/dev/infiniband/umad2");
  EXPECT_EQ(nodes[1]["minor"], 2);
  EXPECT_EQ(CdiFileName("roce"), "rdma.dev-roce.json");
}

// The sysfs facts, read where the kernel keeps them (HARDWARE.md): the
// status names uverbs as /dev/infiniband/uverbsN, sysfs as uverbsN.
TEST(VfExtras, NumaUverbsAndUmadNumbersFromSysfs) {
  host::FakeSysfs sysfs;
  const std::string dir = "bus/pci/devices/0000:3b:00.2";
  sysfs.AddFile(dir + "/numa_node", "1");
  sysfs.AddFile(dir + "/infiniband_verbs/uverbs2/dev", "231:194");
  sysfs.AddFile(dir + "/infiniband_mad/umad2/dev", "231:2");
  Node n = FourVfs();
  auto extras = ReadVfExtras(sysfs, n.status);
  const VfExtras& e = extras.at("0000:3b:00.2");
  EXPECT_EQ(e.numa_node, 1);
  EXPECT_EQ(e.uverbs_dev, "231:194");
  EXPECT_EQ(e.umad, "umad2");
  EXPECT_EQ(e.umad_dev, "231:2");
  // A VF with nothing in sysfs: no NUMA node, no numbers, no crash.
  EXPECT_EQ(extras.at("0000:3b:00.3").numa_node, -1);
  EXPECT_EQ(extras.at("0000:3b:00.3").uverbs_dev, "");
}

TEST(VfExtras, TheReaderReadsAVfAgainOnlyWhenItsDevicesChanged) {
  host::FakeSysfs sysfs;
  const std::string dir = "bus/pci/devices/0000:3b:00.2";
  sysfs.AddFile(dir + "/infiniband_verbs/uverbs2/dev", "231:194");
  Node n = FourVfs();
  VfExtrasReader reader(sysfs);
  EXPECT_EQ(reader.Read(n.status).at("0000:3b:00.2").uverbs_dev, "231:194");
  sysfs.Remove(dir + "/infiniband_verbs/uverbs2/dev");
  sysfs.AddFile(dir + "/infiniband_verbs/uverbs2/dev", "231:250");  // cannot happen without a rename
  EXPECT_EQ(reader.Read(n.status).at("0000:3b:00.2").uverbs_dev, "231:194") << "cached";
  // A rebind renumbered it: read again.
  sysfs.AddFile(dir + "/infiniband_verbs/uverbs7/dev", "231:199");
  Vf(n, 0).uverbs_device = "/dev/infiniband/uverbs7";
  EXPECT_EQ(reader.Read(n.status).at("0000:3b:00.2").uverbs_dev, "231:199");
}

}  // namespace
}  // namespace deviceplugin
