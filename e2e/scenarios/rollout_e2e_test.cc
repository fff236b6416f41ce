// End-to-end scenarios of the rollout (issue 13): five simulated nodes, each
// with sysfs-sim, the real rdma-agent (its --reboot-command is the simulated
// reboot) and sim-kubelet, and the real rdma-operator, against kube-testapi.
// The user applies the RoCE policy from docs/examples with
// disruption.maxUnavailable 2: SR-IOV is off in every node's firmware, so
// every node needs one firmware reboot, which only the operator's rollout
// grants (cordon, drain through the Eviction API, grant, wait for the agent,
// uncordon). A watch on the Node objects runs the whole time and remembers
// the most nodes unschedulable at once; reboots are counted by the simulated
// node itself (sim/control's boot count, one more per boot_id).
//
// Like the other scenario binaries the process runs in a network namespace
// of its own (entered in main).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "e2e/scenarios/agent_process.h"
#include "e2e/scenarios/private_netns.h"
#include "e2e/scenarios/sim_cluster.h"
#include "kube/client.h"
#include "kube/informer.h"

namespace e2e {
namespace {

using namespace std::chrono_literals;

const kube::Resource kPdbs{"policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true};
constexpr char kPolicy[] = "roce-cx5";  // the name in docs/examples/roce-policy.yaml

bool Cordoned(const json& node) { return node.value("/spec/unschedulable"_json_pointer, false); }

json Condition(const json& obj, const std::string& type) {
  for (const auto& c : obj.value("/status/conditions"_json_pointer, json::array())) {
    if (c.value("type", "") == type) return c;
  }
  return json::object();
}
bool ConditionIs(const json& obj, const std::string& type, const std::string& status, const std::string& reason = "") {
  json c = Condition(obj, type);
  return c.value("status", "") == status && (reason.empty() || c.value("reason", "") == reason);
}

// The rollout record of a node state (its rdma.dev/rollout annotation);
// null when there is none.
json Record(const json& state) {
  const std::string s = state.value("/metadata/annotations/rdma.dev~1rollout"_json_pointer, "");
  return s.empty() ? json() : json::parse(s, nullptr, false);
}
bool RecordIs(const json& state, const std::string& step, const std::string& result = "") {
  json r = Record(state);
  return r.is_object() && r.value("step", "") == step && (result.empty() || r.value("result", "") == result);
}
int64_t RolloutCount(const json& policy, const std::string& field) {
  return policy.value("/status/rollout"_json_pointer, json::object()).value(field, int64_t{-1});
}

// Watches the Node objects (an informer: list, then watch, relist when the
// watch ends) and remembers the most that were unschedulable at once.
class UnschedulableWatch {
 public:
  explicit UnschedulableWatch(std::shared_ptr<kube::Client> client) : informer_(std::move(client), kube::resources::Nodes()) {
    informer_.AddEventHandler({[this](const json& o) { Saw(o, false); },
                               [this](const json&, const json& o) { Saw(o, false); },
                               [this](const json& o) { Saw(o, true); }});
    informer_.Start();
  }
  ~UnschedulableWatch() { informer_.Stop(); }
  bool WaitForSync() { return informer_.WaitForSync(10s); }

  int most() const {
    std::lock_guard<std::mutex> l(mu_);
    return most_;
  }
  std::string most_at() const {
    std::lock_guard<std::mutex> l(mu_);
    return most_at_;
  }

 private:
  void Saw(const json& node, bool deleted) {
    std::lock_guard<std::mutex> l(mu_);
    const std::string name = kube::NameOf(node);
    if (deleted || !Cordoned(node)) {
      cordoned_.erase(name);
    } else {
      cordoned_.insert(name);
    }
    if (static_cast<int>(cordoned_.size()) > most_) {
      most_ = static_cast<int>(cordoned_.size());
      most_at_.clear();
      for (const auto& n : cordoned_) most_at_ += n + " ";
    }
  }

  kube::Informer informer_;
  mutable std::mutex mu_;
  std::set<std::string> cordoned_;
  int most_ = 0;
  std::string most_at_;
};

class RolloutE2E : public SimCluster {
 protected:
  RolloutE2E() : SimCluster("rollout-e2e") {}

  // While <node dir>/hold-reboot exists the node's reboot does not happen
  // (a slow reboot): the agent is inside its reboot command.
  std::string RebootCommand(const SimNode& n) override {
    return "while [ -e " + HoldFile(n) + " ]; do sleep 0.05; done; echo reboot > " + n.sim->host_root() +
           "/sim/control";
  }
  static std::string HoldFile(const SimNode& n) { return n.dir + "/hold-reboot"; }

  // Five nodes; `setup(node)` runs on each before its agent starts; the
  // agents of the first `agents` nodes start now, the others' later
  // (StartAgents).
  void AddFiveNodes(const std::function<void(SimNode&)>& setup = {}, int agents = 5) {
    nodes_.reserve(5);
    for (int i = 1; i <= 5; ++i) {
      AddNode(i, setup, i <= agents);
      if (HasFatalFailure()) return;
    }
    for (int i = 0; i < agents; ++i) WaitForAgent(nodes_[i]);
  }
  void WaitForAgent(const SimNode& n) {
    WaitForNodeState(n, n.name + ": the agent reports its PF", [&](const json& o) {
      return o.value("/status/interfaces/0/pciAddress"_json_pointer, "") == n.pf;
    });
  }

  // The operator with short drain polls, as a user would set them for a
  // test cluster (defaults 2 s and 5 s).
  void StartTheOperator() { StartOperator({"--drain-poll-interval", "0.2", "--eviction-retry-delay", "0.2"}); }

  // docs/examples/roce-policy.yaml with `disruption` replaced.
  void ApplyPolicy(const json& disruption) {
    json policy = FromFile("docs/examples/roce-policy.yaml");
    ASSERT_EQ(policy.value("/metadata/name"_json_pointer, ""), kPolicy);
    policy["spec"]["disruption"] = disruption;
    auto created = client_->Create(kPolicies, policy);
    ASSERT_TRUE(created.ok()) << created.error().message;
  }

  json State(const SimNode& n) {
    auto o = client_->Get(kNodeStates, "", n.name);
    return o.ok() ? *o : json();
  }
  json NodeObject(const SimNode& n) {
    auto o = client_->Get(kube::resources::Nodes(), "", n.name);
    return o.ok() ? *o : json();
  }

  // Reboots so far: the simulated node boots once when it starts and once
  // per `echo reboot > sim/control` (each boot a new boot_id).
  int Reboots(const SimNode& n) {
    std::istringstream in(ReadFile(n.sim->host_root() + "/sim/control"));
    std::string key;
    int boots = -1;
    while (in >> key) {
      if (key == "boots") in >> boots;
    }
    return boots - 1;
  }

  // The rollout of node n finished: Idle/Done, the grant taken back, the
  // Node schedulable again unless an admin had cordoned it.
  json WaitForDone(const SimNode& n, bool admin_cordoned = false, std::chrono::milliseconds timeout = 60s) {
    json state = WaitForNodeState(
        n, n.name + ": rollout Idle/Done and the grant removed",
        [](const json& o) { return RecordIs(o, "Idle", "Done") && !o["spec"].contains("disruption"); }, timeout);
    WaitForNode(n, n.name + (admin_cordoned ? ": still cordoned (the admin's)" : ": uncordoned"),
                [&](const json& node) { return Cordoned(node) == admin_cordoned; });
    return state;
  }

  // What `kubectl get rns` and its conditions show for a configured node:
  // the current generation applied, Ready, the firmware's Current values
  // what was set for the next boot (SR-IOV on), one VF.
  void ExpectAppliedAndVerified(const SimNode& n) {
    json o = State(n);
    const int64_t gen = kube::GenerationOf(o);
    EXPECT_EQ(o.value("/status/syncState"_json_pointer, ""), "Succeeded") << n.name;
    EXPECT_EQ(o.value("/status/appliedGeneration"_json_pointer, int64_t{-1}), gen) << n.name;
    EXPECT_TRUE(ConditionIs(o, "Ready", "True")) << n.name << ": " << o["status"].dump();
    EXPECT_EQ(Condition(o, "Ready").value("observedGeneration", int64_t{-1}), gen) << n.name;
    EXPECT_FALSE(o.value("/status/rebootRequired"_json_pointer, true)) << n.name;
    bool sriov_on = false;
    for (const auto& p : o.value("/status/interfaces/0/firmware/parameters"_json_pointer, json::array())) {
      EXPECT_EQ(p.value("current", "?"), p.value("nextBoot", "!")) << n.name << ": " << p.dump();
      if (p.value("name", "") == "SRIOV_EN") sriov_on = p.value("current", "") == "True(1)";
    }
    EXPECT_TRUE(sriov_on) << n.name << ": " << o.value("/status/interfaces/0/firmware"_json_pointer, json()).dump();
    EXPECT_EQ(o.value("/status/interfaces/0/vfs"_json_pointer, json::array()).size(), 1u) << n.name;
  }
};

// The rollout a user watches on a cluster with an admin's cordon, a pod
// guarded by a PodDisruptionBudget, and an operator that gets killed:
//   - node-2 was cordoned by an admin before the policy: it counts against
//     the budget of 2 from the start, is rolled out at no extra cost, and
//     stays cordoned;
//   - node-1 runs a pod with a PodDisruptionBudget minAvailable 1: with
//     onDrainTimeout Wait and drainTimeoutSeconds 1 the policy is Stalled
//     naming the pod, and no node beyond the budget starts; the operator is
//     SIGKILLed in the middle of that drain; then onDrainTimeout Abort:
//     node-1 is uncordoned, counted failed, and the rollout goes on;
//   - node-3's reboot is slow: the operator is SIGKILLed while node-3 is
//     granted and rebooting, and the next one resumes;
//   - the user deletes the budget and node-1's rollout record to retry it.
// In the end every node is applied with its firmware verified, was rebooted
// exactly once, is uncordoned (node-2 excepted), and never were more than 2
// nodes unschedulable at once.
TEST_F(RolloutE2E, FiveNodesTwoAtATimeThroughABlockedDrainAndOperatorKills) {
  // Which pending node the operator takes first depends on which agent
  // reports first: nodes 3-5's agents start once node-1 is stalled.
  AddFiveNodes(
      [](SimNode& n) {
        if (n.name == "node-3") std::ofstream(HoldFile(n)) << "held\n";
      },
      /*agents=*/2);
  ASSERT_FALSE(HasFatalFailure());
  SimNode &n1 = nodes_[0], &n2 = nodes_[1], &n3 = nodes_[2];
  UnschedulableWatch watch(client_);
  ASSERT_TRUE(watch.WaitForSync());
  ASSERT_TRUE(client_->Patch(kube::resources::Nodes(), "", n2.name, kube::PatchType::kMerge,
                             {{"spec", {{"unschedulable", true}}}})
                  .ok());
  Pod("guarded", n1, 0, {{"app", "guarded"}});
  WaitForPod("guarded", "the guarded pod runs on node-1",
             [](const json& p) { return p.value("/status/phase"_json_pointer, "") == "Running"; });
  json pdb = {{"apiVersion", "policy/v1"},
              {"kind", "PodDisruptionBudget"},
              {"metadata", {{"name", "guarded"}, {"namespace", "default"}}},
              {"spec", {{"minAvailable", 1}, {"selector", {{"matchLabels", {{"app", "guarded"}}}}}}}};
  ASSERT_TRUE(client_->Create(kPdbs, pdb).ok());
  WaitFor("the budget allows no disruption", [&] { return client_->Get(kPdbs, "default", "guarded"); },
          [](const json& p) {
            return p.value("/status/currentHealthy"_json_pointer, 0) == 1 &&
                   p.value("/status/disruptionsAllowed"_json_pointer, -1) == 0;
          });

  StartTheOperator();
  ApplyPolicy({{"maxUnavailable", 2}, {"drainTimeoutSeconds", 1}, {"onDrainTimeout", "Wait"}});

  // Stalled on node-1, naming the pod.
  json policy = WaitForPolicy(kPolicy, "Stalled: node-1's drain timed out", [](const json& p) {
    return ConditionIs(p, "Stalled", "True", "DrainTimedOut");
  });
  EXPECT_NE(Condition(policy, "Stalled").value("message", "").find("default/guarded"), std::string::npos)
      << Condition(policy, "Stalled").dump();
  EXPECT_EQ(policy.value("/status/rollout/blocked/0/node"_json_pointer, ""), n1.name) << policy["status"].dump();
  EXPECT_EQ(policy.value("/status/rollout/blocked/0/pods/0"_json_pointer, ""), "default/guarded");
  // node-2 (the admin's cordon) goes through meanwhile, at no extra cost,
  // and keeps its cordon; nodes 3-5, pending, do not start: node-1 and
  // node-2 fill the budget of 2.
  WaitForDone(n2, /*admin_cordoned=*/true);
  for (int i = 2; i < 5; ++i) {
    StartAgent(nodes_[i]);
    WaitForAgent(nodes_[i]);
  }
  policy = WaitForPolicy(kPolicy, "three nodes pending", [](const json& p) { return RolloutCount(p, "pending") == 3; });
  for (int i = 2; i < 5; ++i) {
    json state = State(nodes_[i]);
    EXPECT_FALSE(Cordoned(NodeObject(nodes_[i]))) << nodes_[i].name;
    EXPECT_TRUE(Record(state).is_null()) << nodes_[i].name << " started: " << Record(state).dump();
    EXPECT_TRUE(state.value("/status/rebootRequired"_json_pointer, false)) << nodes_[i].name;
  }
  EXPECT_TRUE(client_->Get(kube::resources::Pods(), "default", "guarded").ok()) << "the budget held";

  // SIGKILL in the middle of node-1's drain; a new operator resumes it.
  json draining = State(n1);
  ASSERT_TRUE(RecordIs(draining, "Draining")) << Record(draining).dump();
  ASSERT_TRUE(Cordoned(NodeObject(n1)));
  operator_->Kill();
  StartTheOperator();
  ASSERT_TRUE(client_->Patch(kPolicies, "", kPolicy, kube::PatchType::kMerge,
                             {{"spec", {{"disruption", {{"onDrainTimeout", "Abort"}}}}}})
                  .ok());
  json aborted = WaitForNodeState(n1, "node-1 aborted", [](const json& o) { return RecordIs(o, "Idle", "Aborted"); });
  EXPECT_EQ(Record(aborted).value("drainStartedAt", "?"), Record(draining).value("drainStartedAt", "!"))
      << "the restarted operator went on with the same drain";
  WaitForNode(n1, "node-1 uncordoned after the abort", [](const json& node) { return !Cordoned(node); });
  policy = WaitForPolicy(kPolicy, "node-1 counted failed, Degraded", [](const json& p) {
    return RolloutCount(p, "failed") == 1 && ConditionIs(p, "Degraded", "True", "RolloutFailed");
  });
  EXPECT_EQ(Reboots(n1), 0) << "an aborted drain grants no reboot";

  // The rollout goes on: node-3, whose reboot is slow. SIGKILL while it is
  // granted and inside its reboot; a new operator resumes.
  WaitForNodeState(n3, "node-3 granted its reboot", [](const json& o) {
    return RecordIs(o, "Granted") && o.value("/spec/disruption/rebootAllowed"_json_pointer, false);
  });
  WaitFor(
      "node-3's agent is rebooting",
      [&]() -> kube::Result<json> { return json(ReadFile(n3.agent->log_path())); },
      [](const json& log) { return log.get<std::string>().find("op=reboot ") != std::string::npos; });
  EXPECT_EQ(Reboots(n3), 0);
  operator_->Kill();
  StartTheOperator();
  std::filesystem::remove(HoldFile(n3));
  WaitForDone(n3);
  WaitForDone(nodes_[3]);
  WaitForDone(nodes_[4]);

  // The user retries node-1: the budget goes, the drain timeout is the
  // docs' again (a pod takes its time to stop), and node-1's record goes.
  ASSERT_TRUE(client_->Delete(kPdbs, "default", "guarded").ok());
  ASSERT_TRUE(client_->Patch(kPolicies, "", kPolicy, kube::PatchType::kMerge,
                             {{"spec", {{"disruption", {{"drainTimeoutSeconds", 600}}}}}})
                  .ok());
  ASSERT_TRUE(client_->Patch(kNodeStates, "", n1.name, kube::PatchType::kMerge,
                             {{"metadata", {{"annotations", {{"rdma.dev/rollout", nullptr}}}}}})
                  .ok());
  WaitForDone(n1);
  WaitFor(
      "the guarded pod was evicted",
      [&]() -> kube::Result<json> {
        auto p = client_->Get(kube::resources::Pods(), "default", "guarded");
        if (!p.ok() && kube::IsNotFound(p.error())) return json{{"gone", true}};
        return p;
      },
      [](const json& p) { return p.contains("gone"); });

  policy = WaitForPolicy(kPolicy, "all five done, Ready, not Reconciling", [](const json& p) {
    return RolloutCount(p, "done") == 5 && RolloutCount(p, "failed") == 0 && ConditionIs(p, "Ready", "True") &&
           ConditionIs(p, "Reconciling", "False") && ConditionIs(p, "Stalled", "False");
  });
  for (auto& n : nodes_) {
    SCOPED_TRACE(n.name);
    ExpectAppliedAndVerified(n);
    json state = State(n);
    EXPECT_TRUE(RecordIs(state, "Idle", "Done")) << Record(state).dump();
    EXPECT_FALSE(state["spec"].contains("disruption"));
    EXPECT_EQ(Cordoned(NodeObject(n)), &n == &n2);
    EXPECT_EQ(Reboots(n), 1);
  }
  // The admin's cordon and one node in the rollout: 2, never more.
  EXPECT_EQ(watch.most(), 2) << "at once: " << watch.most_at();
  std::cout << "most nodes unschedulable at once: " << watch.most() << " (" << watch.most_at() << ")\n";
}

// A firmware setting that does not take on node-1 (its NUM_OF_VFS stays as
// it was after the reboot): node-1 ends Failed, its state Degraded with
// SettingDidNotTake, uncordoned and rebooted once, never again; the four
// others finish, never more than 2 nodes unschedulable at once.
TEST_F(RolloutE2E, AFirmwareSettingThatDoesNotTakeFailsThatNodeOnlyAndIsNotRebootedAgain) {
  AddFiveNodes([](SimNode& n) {
    if (n.name != "node-1") return;
    ASSERT_EQ(RunCommand({"env", n.sim->mstconfig_env(), std::string(E2E_BIN_DIR) + "/mstconfig-sim", "-d", n.pf,
                          "sim-not-take", "NUM_OF_VFS"}),
              0);
  });
  ASSERT_FALSE(HasFatalFailure());
  SimNode& n1 = nodes_[0];
  UnschedulableWatch watch(client_);
  ASSERT_TRUE(watch.WaitForSync());
  StartTheOperator();
  ApplyPolicy({{"maxUnavailable", 2}, {"drainTimeoutSeconds", 600}, {"onDrainTimeout", "Abort"}});

  json failed = WaitForNodeState(n1, "node-1's rollout Failed and the grant removed", [](const json& o) {
    return RecordIs(o, "Idle", "Failed") && !o["spec"].contains("disruption");
  });
  WaitForNode(n1, "node-1 uncordoned", [](const json& node) { return !Cordoned(node); });
  EXPECT_TRUE(ConditionIs(failed, "Degraded", "True", "SettingDidNotTake")) << failed["status"].dump();
  EXPECT_NE(Condition(failed, "Degraded").value("message", "").find("NUM_OF_VFS"), std::string::npos)
      << Condition(failed, "Degraded").dump();
  for (int i = 1; i < 5; ++i) WaitForDone(nodes_[i]);
  json policy = WaitForPolicy(kPolicy, "4 done, node-1 failed, the policy Degraded naming it", [](const json& p) {
    return RolloutCount(p, "done") == 4 && RolloutCount(p, "failed") == 1 &&
           ConditionIs(p, "Degraded", "True", "RolloutFailed") &&
           Condition(p, "Degraded").value("message", "").find("node-1") != std::string::npos;
  });
  for (int i = 1; i < 5; ++i) {
    SCOPED_TRACE(nodes_[i].name);
    ExpectAppliedAndVerified(nodes_[i]);
    EXPECT_EQ(Reboots(nodes_[i]), 1);
  }
  // The four others rolled out after node-1 had failed: it was not started
  // again for the same spec, and its agent did not reboot it again.
  EXPECT_EQ(Reboots(n1), 1);
  json still = State(n1);
  EXPECT_TRUE(RecordIs(still, "Idle", "Failed")) << Record(still).dump();
  EXPECT_FALSE(Cordoned(NodeObject(n1)));
  EXPECT_LE(watch.most(), 2) << "at once: " << watch.most_at();
  EXPECT_GE(watch.most(), 1);
  std::cout << "most nodes unschedulable at once: " << watch.most() << " (" << watch.most_at() << ")\n";
}

}  // namespace
}  // namespace e2e

int main(int argc, char** argv) { return e2e::RunTestsInPrivateNetns(argc, argv, "rollout-e2e-", &e2e::g_can_run); }
