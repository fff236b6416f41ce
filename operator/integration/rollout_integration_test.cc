// The operator's disruption rollout against a live API server: the
// operator cordons, drains through the Eviction API (PodDisruptionBudgets
// hold), grants the reboot, waits for the agent and uncordons, never more
// nodes at once than the policy's maxUnavailable, and resumes after being
// killed. The test plays what is not the operator:
//   - the agents (ScriptedAgents): a node whose spec has a new generation
//     reports "Pending, reboot required"; once spec.disruption.rebootAllowed
//     is set it "reboots" (counted) and reports the generation applied, and
//     from then on (the firmware took) applies every generation at once;
//   - the kubelets: a pod the eviction made Terminating is removed (a
//     DELETE with grace 0, as a kubelet does once its containers stopped);
//   - an observer that watches Node objects the whole time and remembers
//     the most nodes unschedulable at once.
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "operator/drain_plan.h"
#include "operator/integration/operator_cluster.h"
#include "operator/integration/scripted_agent.h"

namespace rdma_operator {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using json = nlohmann::json;
using testing::CondIs;
using testing::FindCond;
using testing::IntAt;
using testing::OperatorCluster;
using testing::WaitFor;

// spec.unschedulable of a Node object (absent: false).
bool Cordoned(const json& node) {
  return node.contains("spec") && node["spec"].value("unschedulable", false) == true;
}

// Runs `step` every 20 ms on a thread of its own until destroyed.
class Loop {
 public:
  explicit Loop(std::function<void()> step)
      : thread_([this, step = std::move(step)](std::stop_token stop) {
          while (!stop.stop_requested()) {
            step();
            std::this_thread::sleep_for(20ms);  // a polling period, not a wait for a result
          }
        }) {}

 private:
  std::jthread thread_;
};

class ScriptedAgents {
 public:
  ScriptedAgents(std::shared_ptr<kube::Client> client, std::vector<std::string> nodes)
      : client_(std::move(client)), nodes_(std::move(nodes)), loop_([this] { Step(); }) {}

  // While held, a node's granted reboot does not "finish" (a slow reboot).
  void Hold(const std::string& node, bool held) { Set(held_, node, held); }
  // While silent, a node's agent reports nothing (it has not started yet).
  void Silence(const std::string& node, bool silent) { Set(silent_, node, silent); }
  std::map<std::string, int> Reboots() const {
    std::lock_guard lock(mu_);
    return reboots_;
  }

 private:
  void Set(std::set<std::string>& set, const std::string& node, bool in) {
    std::lock_guard lock(mu_);
    if (in)
      set.insert(node);
    else
      set.erase(node);
  }
  void Step() {
    for (const std::string& node : nodes_) {
      {
        std::lock_guard lock(mu_);
        if (silent_.count(node)) continue;
      }
      auto got = client_->Get(RdmaNodeStates(), "", node);
      if (!got.ok()) continue;
      json s = *got;
      const int64_t gen = kube::GenerationOf(s);
      if (!s["spec"].contains("interfaces") || s["spec"]["interfaces"].empty()) continue;
      const json status = s.value("status", json::object());
      if (status.value("appliedGeneration", int64_t{0}) == gen && status.value("syncState", "") == "Succeeded")
        continue;
      const bool granted = s["spec"].contains("disruption") && s["spec"]["disruption"].value("rebootAllowed", false);
      if (granted) {
        {
          std::lock_guard lock(mu_);
          if (held_.count(node)) continue;
        }
        testing::ReportApplied(s);
      } else if (Rebooted(node)) {  // the firmware took: any later generation applies without a reboot
        testing::ReportApplied(s);
      } else if (!testing::ReportWaitingForReboot(s)) {
        continue;
      }
      // A conflict: the next step reads again (and has not rebooted yet).
      if (client_->UpdateStatus(RdmaNodeStates(), s).ok() && granted) {
        std::lock_guard lock(mu_);
        ++reboots_[node];
      }
    }
  }

  bool Rebooted(const std::string& node) const {
    std::lock_guard lock(mu_);
    return reboots_.count(node) > 0;
  }

  std::shared_ptr<kube::Client> client_;
  const std::vector<std::string> nodes_;
  mutable std::mutex mu_;
  std::set<std::string> held_, silent_;
  std::map<std::string, int> reboots_;
  Loop loop_;  // last: stopped before the members it uses go
};

class RolloutTest : public OperatorCluster {
 protected:
  void TearDown() override {
    kubelet_.reset();
    agents_.reset();
    observer_.reset();
    OperatorCluster::TearDown();
  }

  // n nodes labelled for the policy, each reporting one ConnectX-5 PF.
  std::vector<std::string> Nodes(int n) {
    std::vector<std::string> names;
    for (int i = 0; i < n; ++i) {
      names.push_back(NodeName(std::string(1, char('a' + i))));
      CreateNode(names.back(), {{label_, "yes"}});
      ReportNics(names.back(), {Pf("0000:41:00.0", "ens1f0", "1017")});
    }
    return names;
  }

  void ApplyPolicy(const std::string& name, const std::string& disruption) {
    policies_.push_back(name);
    Apply("apiVersion: rdma.dev/v1alpha1\nkind: RdmaNodePolicy\nmetadata: {name: " + name +
          "}\nspec:\n  nodeSelector: {matchLabels: {\"" + label_ +
          "\": \"yes\"}}\n  nicSelector: {vendor: \"15b3\"}\n  numVfs: 4\n  resourceName: roce-" + suffix_ +
          "\n  firmware: {managed: true, allowReboot: true}\n  disruption: " + disruption + "\n");
  }

  // A running pod bound to `node`, Ready, with `labels`.
  void CreatePod(const std::string& name, const std::string& node, const json& labels = json::object()) {
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", name}, {"namespace", ns_}, {"labels", labels}}},
                {"spec", {{"nodeName", node}, {"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}};
    auto c = client_->Create(kube::resources::Pods(), pod);
    ASSERT_TRUE(c.ok()) << c.error().ToString();
    json st = *c;
    st["status"] = {{"phase", "Running"}, {"conditions", {{{"type", "Ready"}, {"status", "True"}}}}};
    auto u = client_->UpdateStatus(kube::resources::Pods(), st);
    ASSERT_TRUE(u.ok()) << u.error().ToString();
  }

  // Pod "guarded" on `node`, with a PodDisruptionBudget that never allows
  // its eviction (minAvailable 1 of 1).
  void CreateGuardedPod(const std::string& node) {
    CreatePod("guarded", node, {{"app", "guarded"}});
    Apply("apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: guarded, namespace: " + ns_ +
          "}\nspec:\n  minAvailable: 1\n  selector: {matchLabels: {app: guarded}}\n");
  }

  void StartKubelet() {
    kubelet_ = std::make_unique<Loop>([this] {
      auto pods = client_->List(kube::resources::Pods(), ns_);
      if (!pods.ok()) return;
      for (const json& p : (*pods)["items"]) {
        if (!p["metadata"].contains("deletionTimestamp")) continue;
        kube::DeleteOptions now;
        now.grace_period_seconds = 0;
        (void)client_->Delete(kube::resources::Pods(), ns_, kube::NameOf(p), now);
      }
    });
  }

  // Watches every Node and keeps the most unschedulable at once.
  void StartObserver(const std::vector<std::string>& nodes) {
    observer_ = std::make_unique<Loop>([this, nodes] {
      int cordoned = 0;
      for (const std::string& n : nodes) {
        auto got = client_->Get(kube::resources::Nodes(), "", n);
        if (got.ok() && Cordoned(*got)) ++cordoned;
      }
      int seen = max_cordoned_.load();
      while (cordoned > seen && !max_cordoned_.compare_exchange_weak(seen, cordoned)) {
      }
    });
  }

  std::optional<RolloutRecord> Record(const std::string& node) {
    json s = State(node);
    if (s.is_null() || !s["metadata"].contains("annotations")) return std::nullopt;
    return ParseRolloutRecord(s["metadata"]["annotations"].value(kRolloutAnnotation, ""));
  }
  bool Unschedulable(const std::string& node) {
    return Cordoned(Get(kube::resources::Nodes(), "", node));
  }
  bool DoneAndUncordoned(const std::string& node, bool admin_cordoned = false) {
    auto r = Record(node);
    json s = State(node);
    return r && r->step == kStepIdle && r->result == kResultDone && !s["spec"].contains("disruption") &&
           Unschedulable(node) == admin_cordoned;
  }

  std::unique_ptr<ScriptedAgents> agents_;
  std::unique_ptr<Loop> kubelet_, observer_;
  std::atomic<int> max_cordoned_{0};
};

// Five nodes, maxUnavailable 2, one of them cordoned by an admin before:
// every node is drained, rebooted once and uncordoned (the admin's stays
// cordoned), the pods on them are evicted, and never more than 2 nodes are
// unschedulable at once.
TEST_F(RolloutTest, FiveNodesRebootTwoAtATimeAndAnAdminsCordonStays) {
  const auto nodes = Nodes(5);
  // The admin's cordon, before anything: it counts against the budget.
  ASSERT_TRUE(client_->Patch(kube::resources::Nodes(), "", nodes[4], kube::PatchType::kMerge,
                             {{"spec", {{"unschedulable", true}}}})
                  .ok());
  for (int i = 0; i < 5; ++i) CreatePod("app-" + std::to_string(i), nodes[i]);
  StartKubelet();
  StartObserver(nodes);
  agents_ = std::make_unique<ScriptedAgents>(client_, nodes);
  StartOperator({"--drain-poll-interval", "0.2"});
  ApplyPolicy("reboot-" + suffix_, "{maxUnavailable: 2}");

  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(WaitFor([&] { return DoneAndUncordoned(nodes[i], i == 4); }, 60s))
        << nodes[i] << ": " << State(nodes[i]).dump();
  EXPECT_LE(max_cordoned_.load(), 2);
  EXPECT_GE(max_cordoned_.load(), 1);
  for (const auto& [node, n] : agents_->Reboots()) EXPECT_EQ(n, 1) << node << " rebooted " << n << " times";
  EXPECT_EQ(agents_->Reboots().size(), 5u);
  for (int i = 0; i < 5; ++i)  // evicted, then removed by the "kubelet"
    EXPECT_TRUE(WaitFor([&] { return Get(kube::resources::Pods(), ns_, "app-" + std::to_string(i)).is_null(); }));
  json policy;
  EXPECT_TRUE(WaitFor([&] {
    policy = Get(RdmaNodePolicies(), "", "reboot-" + suffix_);
    return IntAt(policy, "/status/rollout/done") == 5 && CondIs(policy, "Ready", "True") &&
           CondIs(policy, "Reconciling", "False") && CondIs(policy, "Stalled", "False");
  })) << policy.dump();
}

// A PodDisruptionBudget that never allows the eviction: with Wait the node
// stays draining, its policy says Stalled and names the pod, and no other
// node starts beyond the budget of 1; switched to Abort, the node is
// uncordoned and counted failed, and the rollout goes on to the others.
TEST_F(RolloutTest, ABlockedDrainStallsWithTheBlockingPodThenAbortMovesOn) {
  const auto nodes = Nodes(3);
  CreateGuardedPod(nodes[0]);
  StartKubelet();
  agents_ = std::make_unique<ScriptedAgents>(client_, nodes);
  // b and c report only once a holds the budget.
  agents_->Silence(nodes[1], true);
  agents_->Silence(nodes[2], true);
  StartOperator({"--drain-poll-interval", "0.2", "--eviction-retry-delay", "0.2"});
  const std::string name = "pdb-" + suffix_;
  ApplyPolicy(name, "{maxUnavailable: 1, drainTimeoutSeconds: 1, onDrainTimeout: Wait}");

  json policy;
  ASSERT_TRUE(WaitFor([&] {
    policy = Get(RdmaNodePolicies(), "", name);
    return CondIs(policy, "Stalled", "True", "DrainTimedOut");
  }, 30s)) << policy.dump();
  EXPECT_THAT(FindCond(policy, "Stalled")->value("message", ""), HasSubstr(ns_ + "/guarded"));
  EXPECT_EQ(policy["status"]["rollout"]["blocked"][0]["node"], nodes[0]);
  EXPECT_EQ(policy["status"]["rollout"]["blocked"][0]["pods"][0], ns_ + "/guarded");
  auto stalled = Record(nodes[0]);
  ASSERT_TRUE(stalled);
  EXPECT_EQ(stalled->step, kStepDraining);
  EXPECT_TRUE(stalled->stalled);
  EXPECT_TRUE(Unschedulable(nodes[0]));
  // The budget is 1 and node a holds it: b and c, waiting for their reboot
  // too (the policy counts them pending), are not touched.
  agents_->Silence(nodes[1], false);
  agents_->Silence(nodes[2], false);
  ASSERT_TRUE(WaitFor([&] {
    policy = Get(RdmaNodePolicies(), "", name);
    return IntAt(policy, "/status/rollout/pending") == 2;
  })) << policy.dump();
  for (int i : {1, 2}) {
    EXPECT_FALSE(Unschedulable(nodes[i])) << nodes[i];
    EXPECT_FALSE(InRollout(Record(nodes[i]))) << nodes[i];
  }
  EXPECT_FALSE(Get(kube::resources::Pods(), ns_, "guarded").is_null());  // the budget held

  ApplyPolicy(name, "{maxUnavailable: 1, drainTimeoutSeconds: 1, onDrainTimeout: Abort}");
  EXPECT_TRUE(WaitFor([&] {
    auto r = Record(nodes[0]);
    return r && r->step == kStepIdle && r->result == kResultAborted && !Unschedulable(nodes[0]);
  }, 30s)) << State(nodes[0]).dump();
  for (int i : {1, 2}) EXPECT_TRUE(WaitFor([&] { return DoneAndUncordoned(nodes[i]); }, 30s)) << nodes[i];
  EXPECT_TRUE(WaitFor([&] {
    policy = Get(RdmaNodePolicies(), "", name);
    return IntAt(policy, "/status/rollout/failed") == 1 && IntAt(policy, "/status/rollout/done") == 2 &&
           CondIs(policy, "Degraded", "True", "RolloutFailed") && CondIs(policy, "Stalled", "True", "RolloutFailed");
  })) << policy.dump();
  EXPECT_EQ(agents_->Reboots().count(nodes[0]), 0u);  // never granted
}

// The operator SIGKILLed while a node drains and again while another
// reboots: each restart resumes from the records in the API; no node is
// rebooted twice and none stays cordoned.
TEST_F(RolloutTest, KilledMidDrainAndMidRebootItResumesWithoutASecondReboot) {
  const auto nodes = Nodes(2);
  CreateGuardedPod(nodes[0]);
  StartKubelet();
  agents_ = std::make_unique<ScriptedAgents>(client_, nodes);
  // b's agent waits until a is done, so that a is the node that drains.
  agents_->Silence(nodes[1], true);
  agents_->Hold(nodes[1], true);
  const std::vector<std::string> flags = {"--drain-poll-interval", "0.2", "--eviction-retry-delay", "0.2"};
  testing::OperatorProcess& first = StartOperator(flags);
  ApplyPolicy("kill-" + suffix_, "{maxUnavailable: 1}");

  // Mid-drain: a is cordoned, its pod held by the budget.
  ASSERT_TRUE(WaitFor([&] {
    auto r = Record(nodes[0]);
    return r && r->step == kStepDraining && !r->blocking_pods.empty() && Unschedulable(nodes[0]);
  }, 30s)) << State(nodes[0]).dump();
  first.Kill();
  Kubectl("delete poddisruptionbudget guarded -n " + ns_);
  testing::OperatorProcess& second = StartOperator(flags);
  EXPECT_TRUE(WaitFor([&] { return DoneAndUncordoned(nodes[0]); }, 30s)) << State(nodes[0]).dump();
  agents_->Silence(nodes[1], false);

  // Mid-reboot: b is granted, its "reboot" held.
  ASSERT_TRUE(WaitFor([&] {
    auto r = Record(nodes[1]);
    return r && r->step == kStepGranted && Unschedulable(nodes[1]);
  }, 30s)) << State(nodes[1]).dump();
  second.Kill();
  StartOperator(flags);
  agents_->Hold(nodes[1], false);
  EXPECT_TRUE(WaitFor([&] { return DoneAndUncordoned(nodes[1]); }, 30s)) << State(nodes[1]).dump();
  EXPECT_EQ(agents_->Reboots(), (std::map<std::string, int>{{nodes[0], 1}, {nodes[1], 1}}));
}

}  // namespace
}  // namespace rdma_operator
