// Chaos suite for rdma-operator (ctest -L chaos; docs/reliability.md): a
// rollout to many nodes while kube-testapi is restarted again and again, or
// while it fails a fifth of the requests and drops every watch. The test
// plays the agents (as operator/integration does): it reports each node's
// NICs, then "applied". What must hold is what a user would check afterwards:
// every node state has its spec, the policy counts every node Ready, and no
// node state's spec was written twice for one generation (counted in the
// server's audit log).
//
// The scale is set by RDMA_CHAOS_NODES and RDMA_CHAOS_ROUNDS (defaults: 50
// nodes, 20 restarts) and, for the fault-injection scenario, by
// RDMA_CHAOS_FAULT_NODES (default 20, the CI short form; the long form is 50):
// every injected 429 carries Retry-After: 1, which the clients honour, so that
// scenario takes minutes at 50 nodes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "kube/client.h"
#include "kube/config.h"
#include "kube/http_transport.h"
#include "kube/integration/testapi_process.h"
#include "operator/integration/operator_process.h"
#include "operator/resources.h"

namespace rdma_operator {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
namespace fs = std::filesystem;

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

// Polls `pred` until it holds or `limit` passes; each check reads the API.
bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(25ms);
  }
  return pred();
}

struct Summary {
  int nodes = 0, restarts = 0, converged = 0, duplicate_spec_writes = 0;
  std::string Line(const std::string& scenario) const {
    return "chaos: " + scenario + ": nodes=" + std::to_string(nodes) + " restarts=" + std::to_string(restarts) +
           " converged=" + std::to_string(converged) +
           " duplicate_spec_writes=" + std::to_string(duplicate_spec_writes);
  }
};

class OperatorChaos : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* bin = std::getenv("KUBE_TESTAPI");
    if (bin == nullptr || !fs::exists(bin)) GTEST_SKIP() << "KUBE_TESTAPI (path to a built kube-testapi) is not set";
    std::string tmpl = (fs::temp_directory_path() / "op-chaos-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    audit_ = dir_ + "/audit.jsonl";
    server_ = std::make_unique<kube::testing::TestApiProcess>(bin, dir_, std::vector<std::string>{"--audit-log", audit_});
    ASSERT_EQ(server_->Start(), "");
    std::string error;
    client_ = testing::UnthrottledClient(server_->kubeconfig(), &error);
    ASSERT_NE(client_, nullptr) << error;
    int rc = 0;
    std::string out = testing::RunCommand(
        "kubectl --kubeconfig " + server_->kubeconfig() + " apply -f " + std::string(RDMA_SOURCE_DIR) + "/crds/", &rc);
    ASSERT_EQ(rc, 0) << out;
    nodes_ = EnvInt("RDMA_CHAOS_NODES", 50);
  }

  void TearDown() override {
    operator_.reset();
    server_.reset();
    if (!dir_.empty() && !::testing::Test::HasFailure()) fs::remove_all(dir_);
  }

  std::string Node(int i) { return "chaos-" + std::to_string(i); }

  // Nodes and a policy of our own: two VFs of resource "chaos" on every
  // ConnectX-5, no network (so no address blocks limit the node count).
  void CreateClusterObjects() {
    for (int i = 0; i < nodes_; ++i) {
      json node = {{"apiVersion", "v1"},
                   {"kind", "Node"},
                   {"metadata", {{"name", Node(i)}, {"labels", {{"chaos.rdma.dev/pool", "a"}}}}}};
      ASSERT_TRUE(WaitFor([&] { return client_->Create(kube::resources::Nodes(), node).ok(); }, 10s)) << Node(i);
    }
    json policy = {{"apiVersion", "rdma.dev/v1alpha1"},
                   {"kind", "RdmaNodePolicy"},
                   {"metadata", {{"name", "chaos"}}},
                   {"spec",
                    {{"nodeSelector", {{"matchLabels", {{"chaos.rdma.dev/pool", "a"}}}}},
                     {"nicSelector", {{"vendor", "15b3"}, {"deviceIDs", {"1017"}}}},
                     {"numVfs", 2},
                     {"resourceName", "chaos"}}}};
    ASSERT_TRUE(WaitFor([&] { return client_->Create(RdmaNodePolicies(), policy).ok(); }, 10s));
  }

  // The scripted agent: reports one ConnectX-5 PF once the operator has
  // created the node's state. False while the server is not answering.
  bool ReportNics(int i) {
    auto s = client_->Get(RdmaNodeStates(), "", Node(i));
    if (!s.ok()) return false;
    json st = *s;
    st["status"]["interfaces"] = {{{"pciAddress", "0000:41:00.0"},
                                   {"name", "ens1f0"},
                                   {"vendor", "15b3"},
                                   {"deviceID", "1017"},
                                   {"totalVfs", 16}}};
    return client_->UpdateStatus(RdmaNodeStates(), st).ok();
  }
  // The scripted agent: "applied the current spec", once the spec has it.
  bool ReportApplied(int i) {
    auto s = client_->Get(RdmaNodeStates(), "", Node(i));
    if (!s.ok() || !(*s)["spec"].contains("interfaces")) return false;
    json st = *s;
    st["status"]["appliedGeneration"] = kube::GenerationOf(st);
    st["status"]["observedGeneration"] = kube::GenerationOf(st);
    st["status"]["syncState"] = "Succeeded";
    return client_->UpdateStatus(RdmaNodeStates(), st).ok();
  }

  int ReadyNodes() {
    auto p = client_->Get(RdmaNodePolicies(), "", "chaos");
    if (!p.ok()) return -1;
    const json::json_pointer ready("/status/readyNodes");
    return p->contains(ready) && (*p)[ready].is_number_integer() ? (*p)[ready].get<int>() : 0;
  }

  // Writes of node-state specs (creates, updates, patches; not status) that
  // the server accepted, per node, beyond the node's final generation: a
  // spec written twice for one generation.
  int DuplicateSpecWrites(std::string* detail) {
    std::map<std::string, int> writes;
    std::ifstream in(audit_);
    for (std::string line; std::getline(in, line);) {
      json e = json::parse(line, nullptr, false);
      if (!e.is_object() || e.value("resource", "") != "rdmanodestates" || e.value("subresource", "") != "") continue;
      const std::string verb = e.value("verb", "");
      int code = e.value("code", 0);
      if ((verb == "create" || verb == "update" || verb == "patch") && code >= 200 && code < 300)
        writes[e.value("name", "")]++;
    }
    int duplicates = 0;
    for (int i = 0; i < nodes_; ++i) {
      auto s = client_->Get(RdmaNodeStates(), "", Node(i));
      int64_t generation = s.ok() ? kube::GenerationOf(*s) : 0;
      int extra = writes[Node(i)] - static_cast<int>(generation);
      if (extra > 0) {
        duplicates += extra;
        *detail += Node(i) + ": " + std::to_string(writes[Node(i)]) + " spec writes for generation " +
                   std::to_string(generation) + "\n";
      }
    }
    return duplicates;
  }

  std::string dir_, audit_;
  int nodes_ = 0;
  std::unique_ptr<kube::testing::TestApiProcess> server_;
  std::shared_ptr<kube::Client> client_;
  std::unique_ptr<testing::OperatorProcess> operator_;
};

// The rollout is cut into rounds: in each, the agents of a slice of the
// nodes report (NICs in the first half of the rounds, "applied" in the
// second), then the API server is restarted. The operator has to reconnect,
// relist and carry on each time.
TEST_F(OperatorChaos, ApiServerRestartedThroughoutARolloutEveryNodeConvergesOnce) {
  const int rounds = EnvInt("RDMA_CHAOS_ROUNDS", 20);
  CreateClusterObjects();
  if (HasFatalFailure()) return;
  operator_ = std::make_unique<testing::OperatorProcess>(RDMA_OPERATOR_BINARY, server_->kubeconfig(),
                                                         dir_ + "/operator.log");
  ASSERT_EQ(operator_->Start(), "");

  Summary sum;
  sum.nodes = nodes_;
  const int half = std::max(1, rounds / 2);
  for (int round = 0; round < rounds; ++round) {
    const bool applying = round >= half;
    const int phase_rounds = applying ? rounds - half : half;
    const int phase_round = applying ? round - half : round;
    const int from = nodes_ * phase_round / phase_rounds, to = nodes_ * (phase_round + 1) / phase_rounds;
    for (int i = from; i < to; ++i) {
      ASSERT_TRUE(WaitFor([&] { return applying ? ReportApplied(i) : ReportNics(i); }, 60s))
          << (applying ? "spec never reached " : "no node state for ") << Node(i) << " (round " << round << ")";
    }
    ASSERT_EQ(server_->Restart(), "") << "round " << round;
    sum.restarts++;
  }

  ASSERT_TRUE(WaitFor([&] { return ReadyNodes() == nodes_; }, 60s))
      << "policy counts " << ReadyNodes() << " of " << nodes_ << " nodes Ready; operator log: " << dir_
      << "/operator.log";
  for (int i = 0; i < nodes_; ++i) {
    auto s = client_->Get(RdmaNodeStates(), "", Node(i));
    if (s.ok() && (*s)["spec"].contains("interfaces") && (*s)["spec"]["interfaces"][0].value("numVfs", 0) == 2)
      sum.converged++;
  }
  std::string detail;
  sum.duplicate_spec_writes = DuplicateSpecWrites(&detail);
  std::cout << sum.Line("api-server-restarts") << std::endl;
  EXPECT_EQ(sum.converged, nodes_);
  EXPECT_EQ(sum.duplicate_spec_writes, 0) << detail;
}

// A fifth of the API requests fail (500 and 429 by turns) and every watch
// is dropped again and again while the agents report.
TEST_F(OperatorChaos, FailedRequestsAndDroppedWatchesThroughoutARolloutConverge) {
  nodes_ = EnvInt("RDMA_CHAOS_FAULT_NODES", 20);
  CreateClusterObjects();
  if (HasFatalFailure()) return;
  operator_ = std::make_unique<testing::OperatorProcess>(RDMA_OPERATOR_BINARY, server_->kubeconfig(),
                                                         dir_ + "/operator.log");
  ASSERT_EQ(operator_->Start(), "");
  // kube-testapi's admin endpoints. kubectl's own requests meet the injected
  // faults too, so it is retried; the body is a file because kubectl's
  // client retries a 429 by itself and cannot send stdin twice.
  int admin_calls = 0;
  auto admin = [&](const std::string& path, const json& body) {
    const std::string file = dir_ + "/admin-" + std::to_string(++admin_calls) + ".json";
    std::ofstream(file) << body.dump();
    std::string out;
    EXPECT_TRUE(WaitFor(
        [&] {
          int rc = 0;
          out = testing::RunCommand(
              "kubectl --kubeconfig " + server_->kubeconfig() + " create --raw " + path + " -f " + file, &rc);
          return rc == 0;
        },
        30s))
        << path << ": " << out;
  };

  Summary sum;
  sum.nodes = nodes_;
  int drops = 0;
  for (int phase = 0; phase < 2; ++phase) {
    for (int i = 0; i < nodes_; ++i) {
      if (i % 10 == 0) {
        admin("/admin/faults", {{"errorRate", 0.2}, {"errorCode", (i / 10) % 2 == 0 ? 500 : 429}});
        admin("/admin/drop-watches", json::object());
        drops++;
      }
      ASSERT_TRUE(WaitFor([&] { return phase == 0 ? ReportNics(i) : ReportApplied(i); }, 60s))
          << (phase == 1 ? "spec never reached " : "no node state for ") << Node(i);
    }
  }
  admin("/admin/faults", {{"errorRate", 0}});
  ASSERT_TRUE(WaitFor([&] { return ReadyNodes() == nodes_; }, 60s))
      << "policy counts " << ReadyNodes() << " of " << nodes_ << " nodes Ready";
  for (int i = 0; i < nodes_; ++i) {
    auto s = client_->Get(RdmaNodeStates(), "", Node(i));
    if (s.ok() && (*s)["spec"].contains("interfaces")) sum.converged++;
  }
  std::string detail;
  sum.duplicate_spec_writes = DuplicateSpecWrites(&detail);
  sum.restarts = 0;
  std::cout << sum.Line("faults-20pct-and-" + std::to_string(drops) + "-watch-drops") << std::endl;
  EXPECT_EQ(sum.converged, nodes_);
  EXPECT_EQ(sum.duplicate_spec_writes, 0) << detail;
}

}  // namespace
}  // namespace rdma_operator
