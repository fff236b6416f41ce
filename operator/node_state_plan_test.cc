// The node-state reconcile's pure core, as the reconciler runs it:
// RequestedBlocks, then BlockLedger::ClaimAll on a ledger holding what other
// nodes hold, then AssembleSpec; and DiffNodeState on node states as the
// cache has them.
#include "operator/node_state_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "operator/test_objects.h"

namespace rdma_operator {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using json = nlohmann::json;
using testing::Network;

constexpr char kNode[] = "node-a";
constexpr char kPci0[] = "0000:41:00.0";
constexpr char kPci1[] = "0000:41:00.1";
// 8 GUIDs: ...:00 to ...:07.
constexpr char kGuidStart[] = "02:00:00:00:00:09:00:00";
constexpr char kGuidEnd[] = "02:00:00:00:00:09:00:07";

std::string Guid(int offset) { return "02:00:00:00:00:09:00:0" + std::to_string(offset); }

api::RdmaNetwork Net(const std::string& name, const std::string& resource, const std::string& subnet) {
  json spec = {{"resourceName", resource}};
  if (!subnet.empty()) spec["ipam"] = {{"subnet", subnet}, {"nodeBlockSize", 64}};
  return Network("default", name, spec);
}

api::InterfaceSpec Iface(const std::string& pci, const std::string& name, int num_vfs, const std::string& resource) {
  api::InterfaceSpec i;
  i.pci_address = pci;
  i.name = name;
  i.num_vfs = num_vfs;
  i.vf_groups.push_back({resource, "p", 0, num_vfs - 1, std::nullopt, {}});
  return i;
}

// A merge that configures ens1f0 with num_vfs VFs of `resource`, its GUIDs
// from the 8-GUID pool when pool is set.
MergeResult Merged(int num_vfs, const std::string& resource, bool pool) {
  MergeResult m;
  m.spec.interfaces.push_back(Iface(kPci0, "ens1f0", num_vfs, resource));
  m.spec.rdma_namespace_mode = "Exclusive";
  m.resources.insert(resource);
  if (pool) m.guid_pools.push_back({kPci0, kGuidStart, kGuidEnd, num_vfs});
  return m;
}

std::string GuidPoolOf() { return GuidPoolName(kGuidStart, kGuidEnd); }

// "default/net:start-end" per IP block.
std::vector<std::string> IpBlocks(const api::RdmaNodeStateSpec& s) {
  std::vector<std::string> out;
  for (const api::IpBlock& b : s.ip_blocks)
    out.push_back(b.network_namespace + "/" + b.network + ":" + b.start + "-" + b.end);
  return out;
}

// "pci numVfs=N guids=start-end" per PF.
std::vector<std::string> Pfs(const api::RdmaNodeStateSpec& s) {
  std::vector<std::string> out;
  for (const api::InterfaceSpec& i : s.interfaces)
    out.push_back(i.pci_address + " numVfs=" + std::to_string(i.num_vfs.value_or(-1)) + " guids=" +
                  (i.guid_block ? i.guid_block->start + "-" + i.guid_block->end : "none"));
  return out;
}

struct Planned {
  api::RdmaNodeStateSpec spec;
  std::vector<std::string> guid_problems;
  std::vector<std::string> wake;
  std::set<std::string> released;
};

Planned Plan(BlockLedger& ledger, const MergeResult& merged, const std::vector<api::RdmaNetwork>& networks,
             const api::RdmaNodeStateSpec* current) {
  Planned p;
  BlockNeeds needs = RequestedBlocks(kNode, merged, networks, current);
  Claims claims = ledger.ClaimAll(kNode, needs.Requests());
  p.wake = NetworksToWake(needs, claims);
  p.released = claims.released;
  p.spec = AssembleSpec(kNode, merged, needs, claims, current, &p.guid_problems);
  return p;
}

TEST(NodeStatePlan, BlocksFollowTheNodesNetworksAndPoolPfs) {
  struct Held {
    std::string pool;
    uint64_t size;
    std::string owner;
    BlockRun run;
  };
  struct Case {
    const char* name;
    MergeResult merged;
    std::vector<api::RdmaNetwork> networks;
    std::optional<api::RdmaNodeStateSpec> current;
    std::vector<Held> held;  // the ledger before the reconcile
    std::vector<std::string> ip_blocks, pfs, wake, released;
    std::string problem;  // substring of the one GUID problem, "" for none
  };
  api::RdmaNodeStateSpec pf_with_4_guids;  // what the node has: 4 VFs, GUIDs 0-3
  pf_with_4_guids.interfaces.push_back(Iface(kPci0, "ens1f0", 4, "ib"));
  pf_with_4_guids.interfaces[0].guid_block = api::GuidRange{Guid(0), Guid(3), {}};
  const std::string kIpRoce = IpPoolName("default", "roce-net");
  const std::string kPf0 = std::string(kNode) + "/" + kPci0;

  const Case cases[] = {
      {"a network the node's VF groups use gives it a block, and its status is woken",
       Merged(4, "roce", false),
       {Net("roce-net", "roce", "10.56.0.0/24")},
       std::nullopt,
       {},
       {"default/roce-net:10.56.0.1-10.56.0.64"},
       {"0000:41:00.0 numVfs=4 guids=none"},
       {"default/roce-net"},
       {},
       ""},
      {"networks of other resources or without IPAM give none",
       Merged(4, "roce", false),
       {Net("other-net", "other", "10.57.0.0/24"), Net("no-ipam", "roce", "")},
       std::nullopt,
       {},
       {},
       {"0000:41:00.0 numVfs=4 guids=none"},
       {},
       {},
       ""},
      {"blocks are sorted by network, and a block held stays (no wake-up)",
       Merged(4, "roce", false),
       {Net("zeta", "roce", "10.58.0.0/24"), Net("roce-net", "roce", "10.56.0.0/24")},
       std::nullopt,
       {{IpPoolName("default", "zeta"), 3, kNode, {2, 1}}},
       {"default/roce-net:10.56.0.1-10.56.0.64", "default/zeta:10.58.0.129-10.58.0.192"},
       {"0000:41:00.0 numVfs=4 guids=none"},
       {"default/roce-net"},
       {},
       ""},
      {"IP pool exhausted: no block, and the network is woken to report it",
       Merged(4, "roce", false),
       {Net("roce-net", "roce", "10.56.0.0/24")},
       std::nullopt,
       {{kIpRoce, 3, "node-b", {0, 1}}, {kIpRoce, 3, "node-c", {1, 1}}, {kIpRoce, 3, "node-d", {2, 1}}},
       {},
       {"0000:41:00.0 numVfs=4 guids=none"},
       {"default/roce-net"},
       {},
       ""},
      {"a network dropped from the node releases its block",
       Merged(4, "roce", false),
       {},
       std::nullopt,
       {{kIpRoce, 3, kNode, {1, 1}}},
       {},
       {"0000:41:00.0 numVfs=4 guids=none"},
       {},
       {kIpRoce},
       ""},
      {"a pool-mode PF gets numVfs consecutive GUIDs, first fit",
       Merged(4, "ib", true),
       {},
       std::nullopt,
       {{GuidPoolOf(), 8, "node-b/" + std::string(kPci0), {0, 2}}},
       {},
       {"0000:41:00.0 numVfs=4 guids=" + Guid(2) + "-" + Guid(5)},
       {},
       {},
       ""},
      {"GUID pool exhausted keeps the old PF as it is",
       Merged(8, "ib", true),
       {},
       pf_with_4_guids,
       {{GuidPoolOf(), 8, kPf0, {0, 4}}, {GuidPoolOf(), 8, "node-b/" + std::string(kPci0), {4, 4}}},
       {},
       {"0000:41:00.0 numVfs=4 guids=" + Guid(0) + "-" + Guid(3)},
       {},
       {},
       "GUID pool 02:00:00:00:00:09:00:00-02:00:00:00:00:09:00:07 has no 8 free GUIDs left for PF ens1f0 "
       "(0000:41:00.0) of node node-a"},
      {"GUID pool exhausted leaves out a PF that was not configured",
       Merged(4, "ib", true),
       {},
       std::nullopt,
       {{GuidPoolOf(), 8, "node-b/" + std::string(kPci0), {0, 8}}},
       {},
       {},
       {},
       {},
       "has no 4 free GUIDs left for PF ens1f0"},
  };
  for (const Case& c : cases) {
    BlockLedger ledger;
    for (const Held& h : c.held) ASSERT_TRUE(ledger.Seed(h.pool, h.size, h.owner, h.run)) << c.name;
    Planned p = Plan(ledger, c.merged, c.networks, c.current ? &*c.current : nullptr);
    EXPECT_THAT(IpBlocks(p.spec), ElementsAreArray(c.ip_blocks)) << c.name;
    EXPECT_THAT(Pfs(p.spec), ElementsAreArray(c.pfs)) << c.name;
    EXPECT_THAT(p.wake, ElementsAreArray(c.wake)) << c.name;
    EXPECT_THAT(p.released, ElementsAreArray(c.released)) << c.name;
    if (c.problem.empty()) {
      EXPECT_THAT(p.guid_problems, ElementsAre()) << c.name;
    } else {
      EXPECT_THAT(p.guid_problems, ElementsAre(HasSubstr(c.problem))) << c.name;
    }
  }
}

TEST(NodeStatePlan, AKeptPfHoldsItsOldGuidsSoALaterPfCannotTakeThem) {
  // ens1f0 has GUIDs 0-3 and now wants 8 (the pool has 8, node-b holds
  // 4-7): it keeps 0-3. ens1f1, claimed after it in the same pass, wants 4
  // and must not get the slots ens1f0 still uses.
  BlockLedger ledger;
  ASSERT_TRUE(ledger.Seed(GuidPoolOf(), 8, std::string(kNode) + "/" + kPci0, {0, 4}));
  ASSERT_TRUE(ledger.Seed(GuidPoolOf(), 8, "node-b/" + std::string(kPci0), {4, 4}));
  api::RdmaNodeStateSpec current;
  current.interfaces.push_back(Iface(kPci0, "ens1f0", 4, "ib"));
  current.interfaces[0].guid_block = api::GuidRange{Guid(0), Guid(3), {}};
  MergeResult merged = Merged(8, "ib", true);
  merged.spec.interfaces.push_back(Iface(kPci1, "ens1f1", 4, "ib"));
  merged.guid_pools.push_back({kPci1, kGuidStart, kGuidEnd, 4});

  Planned p = Plan(ledger, merged, {}, &current);
  EXPECT_THAT(Pfs(p.spec), ElementsAre("0000:41:00.0 numVfs=4 guids=" + Guid(0) + "-" + Guid(3)));
  EXPECT_EQ(p.guid_problems.size(), 2u);
  EXPECT_EQ(ledger.Find(GuidPoolOf(), std::string(kNode) + "/" + kPci0), (BlockRun{0, 4}));
  EXPECT_THAT(ledger.Usage(GuidPoolOf()).waiting, ElementsAre("node-a/0000:41:00.0", "node-a/0000:41:00.1"));
}

TEST(NodeStatePlan, FieldsTheOperatorDoesNotComputeAreKept) {
  api::RdmaNodeStateSpec current;
  current.disruption = api::DisruptionGrant{true, false, {}};
  current.unknown_fields = {{"future", 1}};
  BlockLedger ledger;
  Planned p = Plan(ledger, Merged(4, "roce", false), {}, &current);
  EXPECT_EQ(p.spec.disruption, current.disruption);
  EXPECT_EQ(p.spec.unknown_fields, current.unknown_fields);
  EXPECT_EQ(p.spec.rdma_namespace_mode, "Exclusive");  // computed: from the merge
}

TEST(NodeStatePlan, AnInvalidSpecIsNotWrittenAndSaysWhy) {
  MergeResult m = Merged(4, "roce", false);
  EXPECT_EQ(SpecProblem(kNode, m.spec), std::nullopt);
  m.spec.interfaces[0].pci_address = "41:00.0";  // as an agent might report it
  std::optional<std::string> why = SpecProblem(kNode, m.spec);
  ASSERT_TRUE(why);
  EXPECT_THAT(*why, HasSubstr("computed spec for node node-a is invalid, not written: "
                              "spec.interfaces[0].pciAddress: \"41:00.0\" is not a PCI address"));
}

TEST(NodeStatePlan, ConflictTextIsOneLinePerConflict) {
  EXPECT_EQ(ConflictText({}), "");
  EXPECT_EQ(ConflictText({{{"a", "b"}, kPci0, "a and b disagree"}, {{"c", "d"}, "", "c and d disagree"}}),
            "a and b disagree\nc and d disagree");
}

json NodeObj() {
  return {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", kNode}, {"uid", "uid-node"}}}};
}

json Owner() {
  return {{"apiVersion", "v1"}, {"kind", "Node"},      {"name", kNode},
          {"uid", "uid-node"}, {"controller", false}, {"blockOwnerDeletion", false}};
}

// A node state as the cache has it: with the spec `spec`, an agent status,
// and the given annotations and owner references.
json StateObj(const api::RdmaNodeStateSpec& spec, json annotations, json owners) {
  api::RdmaNodeState s;
  s.metadata.name = kNode;
  s.spec = spec;
  json j = api::ToJson(s);
  j["metadata"]["uid"] = "uid-state";
  j["metadata"]["resourceVersion"] = "7";
  if (!annotations.is_null()) j["metadata"]["annotations"] = annotations;
  if (!owners.is_null()) j["metadata"]["ownerReferences"] = owners;
  j["status"] = {{"syncState", "Succeeded"}};
  return j;
}

TEST(DiffNodeState, WritesOnlyWhatDiffersAndKeepsTheRest) {
  const api::RdmaNodeStateSpec old_spec = Merged(4, "roce", false).spec;
  const api::RdmaNodeStateSpec new_spec = Merged(8, "roce", false).spec;
  const json kOtherAnnotation = {{"team", "hpc"}};
  const json kWithConflict = {{"team", "hpc"}, {kConflictsAnnotation, "a and b disagree"}};
  using Kind = NodeStateWrite::Kind;
  struct Case {
    const char* name;
    json state;  // null: no node state yet
    api::RdmaNodeStateSpec desired;
    std::string conflicts;
    Kind kind;
    bool spec_changed, conflicts_changed;
    json annotations;  // of the written object (null: none)
  };
  const Case cases[] = {
      {"nothing changed gives no write", StateObj(old_spec, kOtherAnnotation, {Owner()}), old_spec, "", Kind::kNone,
       false, false, nullptr},
      {"the owner reference is added", StateObj(old_spec, kOtherAnnotation, nullptr), old_spec, "", Kind::kUpdate,
       false, false, kOtherAnnotation},
      {"a new spec is written", StateObj(old_spec, kOtherAnnotation, {Owner()}), new_spec, "", Kind::kUpdate, true,
       false, kOtherAnnotation},
      {"a new conflict is annotated", StateObj(old_spec, kOtherAnnotation, {Owner()}), old_spec, "a and b disagree",
       Kind::kUpdate, false, true, kWithConflict},
      {"a resolved conflict loses its annotation", StateObj(old_spec, kWithConflict, {Owner()}), old_spec, "",
       Kind::kUpdate, false, true, kOtherAnnotation},
      {"no node state: created, owned by the Node", nullptr, new_spec, "", Kind::kCreate, true, false, nullptr},
      {"no node state: created with its conflicts", nullptr, new_spec, "a and b disagree", Kind::kCreate, true, true,
       {{kConflictsAnnotation, "a and b disagree"}}},
  };
  for (const Case& c : cases) {
    std::optional<api::RdmaNodeState> parsed;
    if (!c.state.is_null()) {
      ASSERT_TRUE(api::FromJson(c.state, &parsed.emplace()).empty()) << c.name;
    }
    const json* state_obj = c.state.is_null() ? nullptr : &c.state;
    NodeStateWrite w = DiffNodeState(NodeObj(), c.desired, c.conflicts, state_obj, parsed ? &*parsed : nullptr);
    EXPECT_EQ(w.kind, c.kind) << c.name;
    if (w.kind == Kind::kNone) continue;
    EXPECT_EQ(w.spec_changed, c.spec_changed) << c.name;
    EXPECT_EQ(w.conflicts_changed, c.conflicts_changed) << c.name;
    const json& meta = w.object["metadata"];
    EXPECT_EQ(meta.value("annotations", json()), c.annotations) << c.name;
    EXPECT_EQ(meta["ownerReferences"], json::array({Owner()})) << c.name;
    api::RdmaNodeState written;
    ASSERT_TRUE(api::FromJson(w.object, &written).empty()) << c.name;
    EXPECT_EQ(Pfs(written.spec), Pfs(c.desired)) << c.name;
    if (c.kind == Kind::kUpdate) {
      // The agent's status and the object's identity go back as they were.
      EXPECT_EQ(w.object["status"], c.state["status"]) << c.name;
      EXPECT_EQ(meta["resourceVersion"], "7") << c.name;
    } else {
      EXPECT_EQ(meta["name"], kNode) << c.name;
      EXPECT_FALSE(w.object.contains("status")) << c.name;
    }
  }
}

}  // namespace
}  // namespace rdma_operator
