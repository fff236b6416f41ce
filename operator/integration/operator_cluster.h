// The fixture of the operator's integration tests (operator/integration):
// a live API server — kube-testapi started per test, or the cluster
// RDMA_TEST_KUBECONFIG names (never the one in KUBECONFIG) — the CRDs, a
// namespace of the test's own, rdma-operator processes, and the scripted
// agent: the test creates Node objects, writes the NICs "found" into
// RdmaNodeState.status.interfaces and later reports the spec applied. Every
// wait has a deadline and re-checks the API (no sleeps standing in for
// synchronisation). Objects carry a random suffix and are deleted
// afterwards. Header-only; used only by operator/integration.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <thread>

#include "kube/client.h"
#include "kube/config.h"
#include "kube/http_transport.h"
#include "kube/integration/testapi_process.h"
#include "operator/integration/operator_process.h"
#include "operator/resources.h"

namespace rdma_operator::testing {

using namespace std::chrono_literals;
using json = nlohmann::json;



inline std::string RandomSuffix() {
  static std::mt19937_64 rng(std::random_device{}());
  char b[9];
  std::snprintf(b, sizeof(b), "%08x", static_cast<unsigned>(rng()));
  return b;
}

// Polls `pred` every 25 ms until it holds or `limit` passes; the API server
// is the source of truth, so each check reads it.
inline bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds limit = 20s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(25ms);
  }
  return pred();
}

// The integer at `path` ("/status/readyNodes") of an object read from the
// API, 0 while the operator has not written it (or the object is not there):
// json::value() would throw on the missing parent.
inline int64_t IntAt(const json& obj, const std::string& path) {
  const json::json_pointer p(path);
  return obj.is_object() && obj.contains(p) && obj[p].is_number_integer() ? obj[p].get<int64_t>() : 0;
}

inline const json* FindCond(const json& obj, const std::string& type) {
  if (!obj.contains("status") || !obj["status"].contains("conditions")) return nullptr;
  for (const auto& c : obj["status"]["conditions"])
    if (c.value("type", "") == type) return &c;
  return nullptr;
}
inline bool CondIs(const json& obj, const std::string& type, const std::string& status, const std::string& reason = "") {
  const json* c = FindCond(obj, type);
  return c && c->value("status", "") == status && (reason.empty() || c->value("reason", "") == reason) &&
         c->value("observedGeneration", int64_t{-1}) == kube::GenerationOf(obj);
}

class OperatorCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    kubeconfig_ = kube::testing::RealClusterKubeconfig();
    real_ = !kubeconfig_.empty();
    const char* bin = std::getenv("KUBE_TESTAPI");
    if (!real_ && (bin == nullptr || !std::filesystem::exists(bin)))
      GTEST_SKIP() << "neither RDMA_TEST_KUBECONFIG nor KUBE_TESTAPI (path to a built kube-testapi) is set";
    std::string tmpl = (std::filesystem::temp_directory_path() / "op-it-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    if (!real_) {
      server_ = std::make_unique<kube::testing::TestApiProcess>(bin, dir_);
      ASSERT_EQ(server_->Start(), "");
      kubeconfig_ = server_->kubeconfig();
    }
    std::string error;
    client_ = UnthrottledClient(kubeconfig_, &error);
    ASSERT_NE(client_, nullptr) << error;

    suffix_ = RandomSuffix();
    ns_ = "op-it-" + suffix_;
    label_ = "it.rdma.dev/" + suffix_;
    // The operator under test needs this source's CRDs (on a real cluster
    // this updates rdma.dev's CRDs, as installing the operator does).
    Kubectl("apply -f " + std::string(RDMA_SOURCE_DIR) + "/crds/");
    // The NAD CRD belongs to Multus where it is installed: left as it is.
    if (InstallNadCrd()) CreateUnlessExists("-f " + std::string(RDMA_SOURCE_DIR) + "/crds/third-party/");
    CreateNamespace(ns_);
  }

  // Deletes what the test created (on kube-testapi the server goes anyway).
  // Deletion is only asked for: a server without a controller manager never
  // finishes deleting a namespace, nor collects owned objects.
  void TearDown() override {
    operators_.clear();
    if (client_ && real_) {
      for (const auto& n : nodes_) {
        (void)client_->Delete(kube::resources::Nodes(), "", n);
        (void)client_->Delete(RdmaNodeStates(), "", n);
      }
      for (const auto& p : policies_) (void)client_->Delete(RdmaNodePolicies(), "", p);
      for (const auto& ns : namespaces_) (void)client_->Delete(kube::resources::Namespaces(), "", ns);
    }
    server_.reset();
    if (!dir_.empty() && !::testing::Test::HasFailure()) std::filesystem::remove_all(dir_);
  }

  virtual bool InstallNadCrd() { return true; }
  // Skips the test on a real cluster. GTEST_SKIP returns from this helper
  // only, so the caller goes on with `if (IsSkipped()) return;`.
  void NeedTestApi(const char* why) {
    if (real_) GTEST_SKIP() << why << " (RDMA_TEST_KUBECONFIG is set)";
  }

  // `kubectl create <args>`, where an object that already exists is fine.
  void CreateUnlessExists(const std::string& args) {
    int rc = 0;
    std::string out = Kubectl("create " + args, true, &rc);
    if (rc == 0) return;
    // Each object is reported on its own line; all must be AlreadyExists.
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty() || line.find("created") != std::string::npos) continue;
      EXPECT_THAT(line, ::testing::HasSubstr("AlreadyExists")) << "kubectl create " << args << ":\n" << out;
    }
  }
  // Creates a namespace for the test, deleted by TearDown.
  void CreateNamespace(const std::string& name) {
    Kubectl("create namespace " + name);
    namespaces_.push_back(name);
  }

  // kubectl against the cluster under test; fails the test on error unless
  // allow_failure, and returns the output.
  std::string Kubectl(const std::string& args, bool allow_failure = false, int* rc_out = nullptr) {
    int rc = 0;
    std::string out = RunCommand("kubectl --kubeconfig " + kubeconfig_ + " " + args, &rc);
    if (rc_out) *rc_out = rc;
    if (!allow_failure) {
      EXPECT_EQ(rc, 0) << "kubectl " << args << ":\n" << out;
    }
    return out;
  }
  // kubectl apply of YAML text.
  std::string Apply(const std::string& yaml, bool allow_failure = false, int* rc = nullptr) {
    std::string file = dir_ + "/apply-" + std::to_string(++applies_) + ".yaml";
    std::ofstream(file) << yaml;
    return Kubectl("apply -f " + file, allow_failure, rc);
  }

  OperatorProcess& StartOperator(const std::vector<std::string>& extra = {}) {
    operators_.push_back(std::make_unique<OperatorProcess>(
        RDMA_OPERATOR_BINARY, kubeconfig_, dir_ + "/operator-" + std::to_string(operators_.size()) + ".log"));
    EXPECT_EQ(operators_.back()->Start(extra), "");
    return *operators_.back();
  }

  std::string NodeName(const std::string& n) { return "it-" + suffix_ + "-" + n; }
  void CreateNode(const std::string& name, const std::map<std::string, std::string>& labels) {
    json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", name}, {"labels", labels}}}};
    auto r = client_->Create(kube::resources::Nodes(), node);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    nodes_.push_back(name);
  }

  json Get(const kube::Resource& r, const std::string& ns, const std::string& name) {
    auto got = client_->Get(r, ns, name);
    return got.ok() ? *got : json();
  }
  json State(const std::string& node) { return Get(RdmaNodeStates(), "", node); }

  // The scripted agent: reports PFs in status.interfaces (creating the node
  // state first if the operator has not).
  void ReportNics(const std::string& node, const std::vector<json>& pfs) {
    const json interfaces = pfs;
    std::string last_error;
    ASSERT_TRUE(WaitFor([&] {
      json s = State(node);
      if (s.is_null()) {
        json fresh = {{"apiVersion", "rdma.dev/v1alpha1"}, {"kind", "RdmaNodeState"}, {"metadata", {{"name", node}}}};
        auto c = client_->Create(RdmaNodeStates(), fresh);
        if (!c.ok()) {
          last_error = c.error().ToString();
          return false;
        }
        s = *c;
      }
      s["status"]["interfaces"] = interfaces;
      auto u = client_->UpdateStatus(RdmaNodeStates(), s);
      if (!u.ok()) last_error = u.error().ToString();
      return u.ok();
    })) << "could not report NICs of "
        << node << ": " << last_error;
  }
  // The scripted agent: "applied the current spec".
  void ReportApplied(const std::string& node) {
    ASSERT_TRUE(WaitFor([&] {
      json s = State(node);
      if (s.is_null()) return false;
      s["status"]["appliedGeneration"] = kube::GenerationOf(s);
      s["status"]["observedGeneration"] = kube::GenerationOf(s);
      s["status"]["syncState"] = "Succeeded";
      return client_->UpdateStatus(RdmaNodeStates(), s).ok();
    }));
  }

  static json Pf(const std::string& pci, const std::string& name, const std::string& device) {
    return {{"pciAddress", pci}, {"name", name}, {"vendor", "15b3"}, {"deviceID", device}, {"totalVfs", 16}};
  }

  bool real_ = false;
  std::string dir_, kubeconfig_, suffix_, ns_, label_;
  std::unique_ptr<kube::testing::TestApiProcess> server_;
  std::shared_ptr<kube::Client> client_;
  std::vector<std::unique_ptr<OperatorProcess>> operators_;
  std::vector<std::string> nodes_, policies_, namespaces_;  // deleted by TearDown
  int applies_ = 0;
};

}  // namespace rdma_operator::testing
