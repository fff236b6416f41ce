// Integration tests for rdma-operator against a live API server (the fixture,
// operator_cluster.h, says which and plays the agents). They assert what a
// user would check: node state specs, NADs, allocations, conditions. On a
// real cluster the tests that need a cluster of their own (the docs examples
// with their fixed names, no NAD CRD) are skipped, and the NAD CRD is
// installed only if the cluster has none.
#include "operator/integration/operator_cluster.h"

namespace rdma_operator {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using json = nlohmann::json;
namespace fs = std::filesystem;
using testing::CondIs;
using testing::FindCond;
using testing::IntAt;
using testing::OperatorCluster;
using testing::WaitFor;

// The docs examples, applied as a user would, rolled out to three nodes;
// then a node leaves, the operator restarts and a node joins: nothing that
// was allocated moves.
TEST_F(OperatorCluster, DocsExamplesRollOutAndSurviveARestartWithoutReallocation) {
  // The examples have fixed names and select the cluster's nodes by label.
  NeedTestApi("applies the docs examples as they are");
  if (IsSkipped()) return;
  CreateUnlessExists("namespace ml");
  Kubectl("apply -f " + std::string(RDMA_SOURCE_DIR) + "/docs/examples/");
  auto& op = StartOperator();
  CreateNode("roce-1", {{"rdma.dev/roce", "true"}});
  CreateNode("roce-2", {{"rdma.dev/roce", "true"}});
  CreateNode("ib-1", {{"node.example.com/pool", "ib"}});
  ReportNics("roce-1", {Pf("0000:41:00.0", "ens1f0", "1017")});
  ReportNics("roce-2", {Pf("0000:41:00.0", "ens1f0", "1017")});
  ReportNics("ib-1", {Pf("0000:81:00.0", "ens1f0", "101b")});

  // RoCE nodes: one VF for rdma.dev/roce and a block of roce-net each.
  json r1, r2;
  ASSERT_TRUE(WaitFor([&] {
    r1 = State("roce-1");
    r2 = State("roce-2");
    return r1["spec"].contains("ipBlocks") && r2["spec"].contains("ipBlocks");
  })) << r1.dump()
      << "\n"
      << r2.dump();
  const json& iface = r1["spec"]["interfaces"][0];
  EXPECT_EQ(iface["pciAddress"], "0000:41:00.0");
  EXPECT_EQ(iface["numVfs"], 1);
  EXPECT_EQ(iface["linkType"], "Ethernet");
  EXPECT_EQ(iface["vfGroups"], json::parse(R"([{"resourceName":"roce","policy":"roce-cx5","firstVf":0,"lastVf":0}])"));
  EXPECT_EQ(r1["spec"]["ipBlocks"][0]["network"], "roce-net");
  EXPECT_NE(r1["spec"]["ipBlocks"][0]["start"], r2["spec"]["ipBlocks"][0]["start"]);
  // Owned by the Node, so deleting the Node garbage-collects it.
  EXPECT_EQ(r1["metadata"]["ownerReferences"][0]["kind"], "Node");

  // InfiniBand node: the two equal-priority policies split the PF, GUIDs
  // from the pool.
  json ib;
  ASSERT_TRUE(WaitFor([&] {
    ib = State("ib-1");
    return ib["spec"].contains("interfaces") && ib["spec"]["interfaces"][0].contains("guidBlock");
  })) << ib.dump();
  const json& ibi = ib["spec"]["interfaces"][0];
  EXPECT_EQ(ibi["numVfs"], 8);
  EXPECT_EQ(ibi["linkType"], "InfiniBand");
  EXPECT_EQ(ibi["vfGroups"].size(), 2u);
  EXPECT_EQ(ibi["guidBlock"]["start"], "02:00:00:00:00:01:00:00");
  EXPECT_EQ(ibi["guidBlock"]["end"], "02:00:00:00:00:01:00:07");
  EXPECT_FALSE(ib["spec"].contains("ipBlocks"));  // no network for ib_* resources

  // NADs in both target namespaces.
  for (const char* ns : {"default", "ml"}) {
    json nad;
    ASSERT_TRUE(WaitFor([&] { return !(nad = Get(NetworkAttachmentDefinitions(), ns, "roce-net")).is_null(); })) << ns;
    EXPECT_EQ(nad["metadata"]["annotations"]["k8s.v1.cni.cncf.io/resourceName"], "rdma.dev/roce");
    EXPECT_EQ(json::parse(nad["spec"]["config"].get<std::string>())["type"], "rdma-cni");
  }
  json net;
  ASSERT_TRUE(WaitFor([&] {
    net = Get(RdmaNetworks(), "default", "roce-net");
    return CondIs(net, "Ready", "True", "Rendered") && IntAt(net, "/status/addresses/allocatedBlocks") == 2;
  })) << net.dump(2);
  EXPECT_EQ(net["status"]["addresses"]["capacityBlocks"], 10);
  EXPECT_EQ(net["status"]["networkAttachmentDefinitions"].size(), 2u);

  // Policy rollup: matched 2, progressing until the agents report applied.
  json policy;
  ASSERT_TRUE(WaitFor([&] {
    policy = Get(RdmaNodePolicies(), "", "roce-cx5");
    return IntAt(policy, "/status/matchedNodes") == 2 && CondIs(policy, "Progressing", "True", "Applying");
  })) << policy.dump(2);
  ReportApplied("roce-1");
  ReportApplied("roce-2");
  ASSERT_TRUE(WaitFor([&] {
    policy = Get(RdmaNodePolicies(), "", "roce-cx5");
    return IntAt(policy, "/status/readyNodes") == 2 && CondIs(policy, "Ready", "True", "Applied") &&
           CondIs(policy, "Degraded", "False");
  })) << policy.dump(2);

  // A node leaves: its state goes, its block is released.
  ASSERT_TRUE(client_->Delete(kube::resources::Nodes(), "", "roce-2").ok());
  ASSERT_TRUE(WaitFor([&] {
    net = Get(RdmaNetworks(), "default", "roce-net");
    return State("roce-2").is_null() && IntAt(net, "/status/addresses/allocatedBlocks") == 1;
  })) << net.dump(2);

  // Restart the operator; a new node joins. Nothing already allocated moves.
  const json roce1_before = State("roce-1"), ib_before = State("ib-1");
  op.Stop();
  StartOperator();
  CreateNode("roce-3", {{"rdma.dev/roce", "true"}});
  ReportNics("roce-3", {Pf("0000:41:00.0", "ens1f0", "1017")});
  json r3;
  ASSERT_TRUE(WaitFor([&] { return (r3 = State("roce-3"))["spec"].contains("ipBlocks"); })) << r3.dump();
  EXPECT_EQ(State("roce-1")["spec"], roce1_before["spec"]);
  EXPECT_EQ(kube::GenerationOf(State("roce-1")), kube::GenerationOf(roce1_before));
  EXPECT_EQ(State("ib-1")["spec"], ib_before["spec"]);
  EXPECT_NE(r3["spec"]["ipBlocks"][0]["start"], roce1_before["spec"]["ipBlocks"][0]["start"]);
}

// Equal priority, one PF, different numVfs: both policies and the node
// state say so; giving one a lower number resolves it.
TEST_F(OperatorCluster, EqualPriorityConflictIsReportedOnBothPoliciesAndTheNodeState) {
  StartOperator();
  const std::string node = NodeName("c");
  CreateNode(node, {{label_, "true"}});
  ReportNics(node, {Pf("0000:41:00.0", "ens1f0", "1017")});
  auto policy = [&](const std::string& name, int priority, int num_vfs) {
    policies_.push_back(name);
    return "apiVersion: rdma.dev/v1alpha1\nkind: RdmaNodePolicy\nmetadata: {name: " + name +
           "}\nspec:\n  priority: " + std::to_string(priority) + "\n  nodeSelector: {matchLabels: {\"" + label_ +
           "\": \"true\"}}\n  nicSelector: {pfNames: [ens1f0]}\n  numVfs: " + std::to_string(num_vfs) +
           "\n  resourceName: r" + suffix_ + "\n";
  };
  const std::string a = "it-" + suffix_ + "-a", b = "it-" + suffix_ + "-b";
  Apply(policy(a, 10, 8));
  json s;
  ASSERT_TRUE(WaitFor([&] { return (s = State(node))["spec"].contains("interfaces"); })) << s.dump(2);
  EXPECT_EQ(s["spec"]["interfaces"][0]["numVfs"], 8);

  // b has the same priority and wants 4 VFs on the same PF.
  Apply(policy(b, 10, 4));
  for (const auto& name : {a, b}) {
    json p;
    ASSERT_TRUE(WaitFor([&] { return CondIs(p = Get(RdmaNodePolicies(), "", name), "Degraded", "True", "Conflict"); }))
        << p.dump(2);
    EXPECT_THAT(FindCond(p, "Degraded")->value("message", ""), HasSubstr("numVfs 8 vs 4"));
  }
  ASSERT_TRUE(WaitFor([&] {
    s = State(node);
    return s["metadata"].contains("annotations") && s["metadata"]["annotations"].contains("rdma.dev/conflicts");
  })) << s.dump(2);
  EXPECT_THAT(s["metadata"]["annotations"]["rdma.dev/conflicts"].get<std::string>(), HasSubstr(a + " and " + b));
  // Never a silent pick: the PF keeps its last good configuration.
  EXPECT_EQ(s["spec"]["interfaces"][0]["numVfs"], 8);

  // A lower number for b resolves it, in b's favour.
  Apply(policy(b, 5, 4));
  ASSERT_TRUE(WaitFor([&] {
    s = State(node);
    return s["spec"]["interfaces"][0]["numVfs"] == 4 &&
           !(s["metadata"].contains("annotations") && s["metadata"]["annotations"].contains("rdma.dev/conflicts"));
  })) << s.dump(2);
  ASSERT_TRUE(WaitFor([&] { return CondIs(Get(RdmaNodePolicies(), "", a), "Degraded", "False"); }));
}

// What the schema cannot reject (CEL rules, which kube-testapi does not run;
// cross-field checks) is reported Degraded with what to fix. On a real
// cluster the CEL rules reject at apply: both outcomes tell the user.
TEST_F(OperatorCluster, InvalidObjectsAreRejectedOrDegradedWithWhatToFix) {
  StartOperator();
  int rc = 0;
  // Schema: unknown link type is an enum violation.
  std::string out = Apply("apiVersion: rdma.dev/v1alpha1\nkind: RdmaNodePolicy\nmetadata: {name: it-" + suffix_ +
                              "-badlink}\nspec:\n  nodeSelector: {}\n  nicSelector: {}\n  numVfs: 1\n"
                              "  linkType: Token\n  resourceName: x\n",
                          true, &rc);
  EXPECT_NE(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("linkType"));

  // VF range beyond numVfs.
  const std::string vf = "it-" + suffix_ + "-vfrange";
  policies_.push_back(vf);
  out = Apply("apiVersion: rdma.dev/v1alpha1\nkind: RdmaNodePolicy\nmetadata: {name: " + vf +
                  "}\nspec:\n  nodeSelector: {matchLabels: {\"" + label_ +
                  "\": \"true\"}}\n  nicSelector: {pfNames: [\"ens1f0#0-15\"]}\n  numVfs: 8\n  resourceName: x\n",
              true, &rc);
  if (rc == 0) {
    json p;
    ASSERT_TRUE(WaitFor([&] { return CondIs(p = Get(RdmaNodePolicies(), "", vf), "Degraded", "True", "InvalidSpec"); }))
        << p.dump(2);
    EXPECT_THAT(FindCond(p, "Degraded")->value("message", ""), HasSubstr("numVfs"));
  } else {
    EXPECT_THAT(out, HasSubstr("numVfs"));
  }

  // Overlapping IP ranges.
  out = Apply("apiVersion: rdma.dev/v1alpha1\nkind: RdmaNetwork\nmetadata: {name: overlap, namespace: " + ns_ +
                  "}\nspec:\n  resourceName: x\n  ipam:\n    subnet: 10.9.0.0/24\n    ranges:\n"
                  "    - {start: 10.9.0.10, end: 10.9.0.50}\n    - {start: 10.9.0.40, end: 10.9.0.60}\n",
              true, &rc);
  if (rc == 0) {
    json n;
    ASSERT_TRUE(WaitFor([&] {
      return CondIs(n = Get(RdmaNetworks(), ns_, "overlap"), "Degraded", "True", "InvalidSpec");
    })) << n.dump(2);
    EXPECT_THAT(FindCond(n, "Degraded")->value("message", ""), HasSubstr("overlap"));
    EXPECT_TRUE(Get(NetworkAttachmentDefinitions(), ns_, "overlap").is_null());  // nothing rendered
  } else {
    EXPECT_THAT(out, HasSubstr("overlap"));
  }
}

// A subnet with room for one node block and two nodes that need one:
// AddressesExhausted with the numbers; a node leaving frees its block for
// the waiting one.
TEST_F(OperatorCluster, AddressExhaustionIsAConditionWithNumbersAndReleaseFreesABlock) {
  StartOperator();
  const std::string resource = "r" + suffix_;
  const std::string p = "it-" + suffix_ + "-pol";
  policies_.push_back(p);
  Apply("apiVersion: rdma.dev/v1alpha1\nkind: RdmaNodePolicy\nmetadata: {name: " + p +
        "}\nspec:\n  nodeSelector: {matchLabels: {\"" + label_ +
        "\": \"true\"}}\n  nicSelector: {vendor: \"15b3\"}\n  numVfs: 2\n"
        "  resourceName: " +
        resource +
        "\n---\n"
        "apiVersion: rdma.dev/v1alpha1\nkind: RdmaNetwork\nmetadata: {name: tiny, namespace: " +
        ns_ + "}\nspec:\n  resourceName: " + resource + "\n  ipam: {subnet: 10.77.0.0/29, nodeBlockSize: 4}\n");
  const std::string n1 = NodeName("x1"), n2 = NodeName("x2");
  CreateNode(n1, {{label_, "true"}});
  CreateNode(n2, {{label_, "true"}});
  ReportNics(n1, {Pf("0000:41:00.0", "ens1f0", "1017")});
  ReportNics(n2, {Pf("0000:41:00.0", "ens1f0", "1017")});
  json net;
  ASSERT_TRUE(WaitFor([&] {
    return CondIs(net = Get(RdmaNetworks(), ns_, "tiny"), "Degraded", "True", "AddressesExhausted");
  })) << net.dump(2);
  EXPECT_THAT(
      FindCond(net, "Degraded")->value("message", ""),
      HasSubstr("subnet 10.77.0.0/29 has 6 usable addresses (1 blocks), 2 nodes need 4 each: 1 node without a block"));
  EXPECT_EQ(net["status"]["addresses"]["allocatedBlocks"], 1);
  // Exactly one node got the block.
  const bool first_has = State(n1)["spec"].contains("ipBlocks");
  const std::string holder = first_has ? n1 : n2, waiting = first_has ? n2 : n1;
  EXPECT_FALSE(State(waiting)["spec"].contains("ipBlocks"));

  ASSERT_TRUE(client_->Delete(kube::resources::Nodes(), "", holder).ok());
  json w;
  ASSERT_TRUE(WaitFor([&] { return (w = State(waiting))["spec"].contains("ipBlocks"); })) << w.dump(2);
  EXPECT_EQ(w["spec"]["ipBlocks"][0]["start"], "10.77.0.1");
  ASSERT_TRUE(WaitFor([&] { return CondIs(Get(RdmaNetworks(), ns_, "tiny"), "Degraded", "False"); }));
}

// A GUID pool with room for one PF's VFs and two nodes that need it: the
// policy says so with the numbers; the other node's PF is not configured
// (no VFs with GUIDs the subnet manager does not expect).
TEST_F(OperatorCluster, GuidPoolExhaustionIsReportedOnThePolicy) {
  StartOperator();
  const std::string p = "it-" + suffix_ + "-guid";
  policies_.push_back(p);
  Apply("apiVersion: rdma.dev/v1alpha1\nkind: RdmaNodePolicy\nmetadata: {name: " + p +
        "}\nspec:\n  nodeSelector: {matchLabels: {\"" + label_ +
        "\": \"true\"}}\n  nicSelector: {vendor: \"15b3\"}\n"
        "  numVfs: 8\n  linkType: InfiniBand\n  resourceName: ib\n  guid:\n    mode: Pool\n    pool: {start: "
        "\"02:00:00:00:00:09:00:00\", end: \"02:00:00:00:00:09:00:07\"}\n");
  const std::string n1 = NodeName("g1"), n2 = NodeName("g2");
  CreateNode(n1, {{label_, "true"}});
  CreateNode(n2, {{label_, "true"}});
  ReportNics(n1, {Pf("0000:41:00.0", "ib0", "101b")});
  ReportNics(n2, {Pf("0000:41:00.0", "ib0", "101b")});
  json policy;
  ASSERT_TRUE(WaitFor([&] {
    return CondIs(policy = Get(RdmaNodePolicies(), "", p), "Degraded", "True", "AddressesExhausted");
  })) << policy.dump(2);
  EXPECT_THAT(FindCond(policy, "Degraded")->value("message", ""),
              HasSubstr("has 8 GUIDs, 8 handed to 1 PFs: 1 PF(s) without a block"));
  int with_block = 0, unconfigured = 0;
  for (const auto& n : {n1, n2}) {
    json s = State(n);
    if (!s["spec"].contains("interfaces") || s["spec"]["interfaces"].empty()) {
      ++unconfigured;
    } else if (s["spec"]["interfaces"][0].contains("guidBlock")) {
      ++with_block;
    }
  }
  EXPECT_EQ(with_block, 1);
  EXPECT_EQ(unconfigured, 1);
}

// Networks render NADs; a NAD someone else made is never overwritten; one
// no longer targeted is deleted.
TEST_F(OperatorCluster, NadsAreRenderedAndAForeignNadIsLeftAlone) {
  StartOperator();
  const std::string other = ns_ + "-b";
  CreateNamespace(other);
  Apply("apiVersion: k8s.cni.cncf.io/v1\nkind: NetworkAttachmentDefinition\nmetadata: {name: net, namespace: " + other +
        "}\nspec: {config: '{\"cniVersion\":\"1.0.0\",\"type\":\"macvlan\"}'}\n");
  Apply("apiVersion: rdma.dev/v1alpha1\nkind: RdmaNetwork\nmetadata: {name: net, namespace: " + ns_ +
        "}\nspec:\n  resourceName: r\n  targetNamespaces: [" + ns_ + ", " + other + "]\n");
  json n;
  ASSERT_TRUE(WaitFor([&] { return CondIs(n = Get(RdmaNetworks(), ns_, "net"), "Degraded", "True", "Conflict"); }))
      << n.dump(2);
  EXPECT_THAT(FindCond(n, "Degraded")->value("message", ""), HasSubstr(other + "/net"));
  EXPECT_THAT(Get(NetworkAttachmentDefinitions(), other, "net")["spec"]["config"].get<std::string>(),
              HasSubstr("macvlan"));
  EXPECT_FALSE(Get(NetworkAttachmentDefinitions(), ns_, "net").is_null());

  // Retarget to the own namespace only: Ready; the foreign NAD still untouched.
  Apply("apiVersion: rdma.dev/v1alpha1\nkind: RdmaNetwork\nmetadata: {name: net, namespace: " + ns_ +
        "}\nspec:\n  resourceName: r\n  targetNamespaces: [" + ns_ + "]\n");
  ASSERT_TRUE(WaitFor([&] { return CondIs(n = Get(RdmaNetworks(), ns_, "net"), "Ready", "True", "Rendered"); }))
      << n.dump(2);
  EXPECT_FALSE(Get(NetworkAttachmentDefinitions(), other, "net").is_null());

  // Network deleted: its NAD goes.
  ASSERT_TRUE(client_->Delete(RdmaNetworks(), ns_, "net").ok());
  ASSERT_TRUE(WaitFor([&] { return Get(NetworkAttachmentDefinitions(), ns_, "net").is_null(); }));
}

// A cluster without the NAD CRD, which the test then installs: kube-testapi
// only, since a real cluster's CRD is not the test's to remove.
class WithoutNadCrd : public OperatorCluster {
 protected:
  void SetUp() override {
    if (!kube::testing::RealClusterKubeconfig().empty())
      GTEST_SKIP() << "needs a cluster without the NAD CRD (RDMA_TEST_KUBECONFIG is set)";
    OperatorCluster::SetUp();
  }
  bool InstallNadCrd() override { return false; }
};

// No NAD CRD: Degraded/NadCrdMissing; picked up once the CRD is applied.
TEST_F(WithoutNadCrd, MissingNadCrdIsDegradedAndPickedUpOnceInstalled) {
  StartOperator();
  Apply("apiVersion: rdma.dev/v1alpha1\nkind: RdmaNetwork\nmetadata: {name: net, namespace: " + ns_ +
        "}\nspec: {resourceName: r}\n");
  json n;
  ASSERT_TRUE(WaitFor([&] { return CondIs(n = Get(RdmaNetworks(), ns_, "net"), "Degraded", "True", "NadCrdMissing"); }))
      << n.dump(2);
  Kubectl("apply -f " + std::string(RDMA_SOURCE_DIR) + "/crds/third-party/");
  ASSERT_TRUE(WaitFor([&] { return CondIs(n = Get(RdmaNetworks(), ns_, "net"), "Ready", "True", "Rendered"); }))
      << n.dump(2);
  EXPECT_FALSE(Get(NetworkAttachmentDefinitions(), ns_, "net").is_null());
}

// Two replicas with leader election: only the one holding the Lease writes.
TEST_F(OperatorCluster, WithTwoOperatorsOnlyTheLeaderWrites) {
  std::vector<std::string> le = {"--leader-elect",
                                 "--namespace",
                                 ns_,
                                 "--leader-election-id",
                                 "rdma-operator-it",
                                 "--lease-duration",
                                 "4",
                                 "--renew-deadline",
                                 "3",
                                 "--retry-period",
                                 "0.5"};
  auto with_id = [&](const std::string& id) {
    auto args = le;
    args.insert(args.end(), {"--identity", id});
    return args;
  };
  auto& a = StartOperator(with_id("op-a"));
  auto& b = StartOperator(with_id("op-b"));
  std::string holder;
  ASSERT_TRUE(WaitFor([&] {
    json lease = Get(kube::resources::Leases(), ns_, "rdma-operator-it");
    if (!lease.is_object() || !lease["spec"].is_object()) return false;
    holder = lease["spec"].value("holderIdentity", "");
    return !holder.empty();
  }));
  auto& leader = holder == "op-a" ? a : b;
  auto& follower = holder == "op-a" ? b : a;

  const std::string p = "it-" + suffix_ + "-le";
  policies_.push_back(p);
  Apply("apiVersion: rdma.dev/v1alpha1\nkind: RdmaNodePolicy\nmetadata: {name: " + p +
        "}\nspec:\n  nodeSelector: {matchLabels: {\"" + label_ +
        "\": \"true\"}}\n  nicSelector: {vendor: \"15b3\"}\n  numVfs: 2\n"
        "  resourceName: r\n");
  for (const char* n : {"l1", "l2", "l3"}) {
    CreateNode(NodeName(n), {{label_, "true"}});
    ReportNics(NodeName(n), {Pf("0000:41:00.0", "ens1f0", "1017")});
  }
  for (const char* n : {"l1", "l2", "l3"})
    ASSERT_TRUE(WaitFor([&] { return State(NodeName(n))["spec"].contains("interfaces"); })) << n;
  EXPECT_GE(leader.Metric("rdma_operator_node_state_spec_writes_total"), 3);
  // The follower serves metrics (it is alive) but has written nothing.
  ASSERT_TRUE(WaitFor([&] { return follower.Metric("rdma_operator_node_state_spec_writes_total") >= 0; }));
  EXPECT_EQ(follower.Metric("rdma_operator_node_state_spec_writes_total"), 0);

  // The leader steps down (SIGTERM releases the Lease): the other takes over
  // and configures a node that joins now.
  leader.Stop();
  CreateNode(NodeName("l4"), {{label_, "true"}});
  ReportNics(NodeName("l4"), {Pf("0000:41:00.0", "ens1f0", "1017")});
  ASSERT_TRUE(WaitFor([&] { return State(NodeName("l4"))["spec"].contains("interfaces"); }));
  EXPECT_GE(follower.Metric("rdma_operator_node_state_spec_writes_total"), 1);
}

}  // namespace
}  // namespace rdma_operator
