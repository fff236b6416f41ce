// rdma-operator: the cluster-wide controller of rdma.dev. It turns
// RdmaNodePolicies into RdmaNodeState specs, RdmaNetworks into
// NetworkAttachmentDefinitions and per-node IP blocks, and rolls status up.
// This file only parses flags and wires parts (see operator/operator.h);
// docs/operator.md describes every flag.
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>

#include <boost/program_options.hpp>
#include <spdlog/spdlog.h>

#include "kube/command_line.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/signals.h"
#include "operator/operator.h"

namespace po = boost::program_options;

namespace {

// ":8080" -> "0.0.0.0:8080"; "0" (controller-runtime's "off") -> "".
std::string BindAddress(const std::string& flag) {
  if (flag == "0" || flag.empty()) return "";
  if (flag[0] == ':') return "0.0.0.0" + flag;
  return flag;
}

std::string DefaultIdentity() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return std::string(host) + "_" + std::to_string(getpid());
}

}  // namespace

int main(int argc, char** argv) {
  std::stop_token stop = kube::StopOnSignals();  // before any thread starts
  // glibc gives each thread that allocates its own malloc arena; with the
  // HTTP client's and informers' threads that multiplies idle memory. Two
  // arenas keep RSS down at no measurable cost to the controllers.
  mallopt(M_ARENA_MAX, 2);

  std::string kubeconfig, lease_namespace, log_level, metrics_address, probe_address, identity, lease_name;
  bool leader_elect = false;
  double qps = 0, lease_duration = 0, renew_deadline = 0, retry_period = 0, drain_poll = 0, eviction_retry = 0;
  int burst = 0, node_workers = 0;
  po::options_description desc("rdma-operator: RdmaNodePolicy/RdmaNetwork controllers (docs/operator.md)");
  desc.add_options()("help", "show this help")(
      "kubeconfig", po::value(&kubeconfig)->default_value(""),
      "kubeconfig file; default: $KUBECONFIG, then the in-cluster service account, then ~/.kube/config")(
      "namespace", po::value(&lease_namespace)->default_value(""),
      "namespace of the leader-election Lease; default: $POD_NAMESPACE, else the kubeconfig's namespace")(
      "leader-elect", po::bool_switch(&leader_elect), "run only while holding the Lease (for >1 replica)")(
      "leader-election-id", po::value(&lease_name)->default_value("rdma-operator"), "name of the Lease")(
      "lease-duration", po::value(&lease_duration)->default_value(15), "seconds")(
      "renew-deadline", po::value(&renew_deadline)->default_value(10), "seconds")(
      "retry-period", po::value(&retry_period)->default_value(2), "seconds")(
      "identity", po::value(&identity)->default_value(DefaultIdentity()),
      "this replica's name in the Lease and Events")(
      "metrics-bind-address", po::value(&metrics_address)->default_value(":8080"), "/metrics address; 0 disables")(
      "health-probe-bind-address", po::value(&probe_address)->default_value(":8081"),
      "/healthz and /readyz address; 0 disables")("log-level", po::value(&log_level)->default_value("info"),
                                                  "trace, debug, info, warn, error")(
      "kube-api-qps", po::value(&qps)->default_value(200), "client-side request rate limit")(
      "kube-api-burst", po::value(&burst)->default_value(1000),
      "client-side burst (a rollout to this many nodes is not throttled)")(
      "node-workers", po::value(&node_workers)->default_value(4), "parallel RdmaNodeState reconciles")(
      "drain-poll-interval", po::value(&drain_poll)->default_value(2),
      "seconds between listings of a draining node's pods")(
      "eviction-retry-delay", po::value(&eviction_retry)->default_value(5),
      "seconds before an eviction a PodDisruptionBudget refused is tried again (doubling up to 60)");
  po::variables_map vm;
  if (auto exit = kube::ParseCommandLine(argc, argv, desc, vm, "rdma-operator")) return *exit;
  if (!kube::SetLogLevel(log_level, "rdma-operator")) return 2;
  if (!(drain_poll > 0 && eviction_retry > 0)) {
    std::cerr << "rdma-operator: --drain-poll-interval and --eviction-retry-delay must be > 0\n";
    return 2;
  }
  if (!(retry_period > 0 && retry_period < renew_deadline && renew_deadline < lease_duration)) {
    std::cerr << "rdma-operator: need 0 < --retry-period < --renew-deadline < --lease-duration\n";
    return 2;
  }

  kube::LoadOptions lo;
  lo.kubeconfig = kubeconfig;
  auto config = kube::LoadConfig(lo);
  if (!config.ok()) {
    spdlog::error("rdma-operator: cannot load the API server config error=\"{}\"", config.error().ToString());
    return 2;
  }
  config->qps = qps;
  config->burst = burst;
  config->user_agent = "rdma-operator";
  auto client = kube::Client::FromConfig(*config);
  if (!client.ok()) {
    spdlog::error("rdma-operator: cannot build a client error=\"{}\"", client.error().ToString());
    return 2;
  }

  rdma_operator::OperatorOptions options;
  options.identity = identity;
  options.probe_address = BindAddress(probe_address);
  options.metrics_address = BindAddress(metrics_address);
  options.node_workers = node_workers;
  auto millis = [](double s) { return std::chrono::milliseconds(static_cast<int64_t>(s * 1000)); };
  options.rollout.drain_poll = millis(drain_poll);
  options.rollout.evict_retry_initial = millis(eviction_retry);
  options.rollout.evict_retry_max = std::max(options.rollout.evict_retry_max, options.rollout.evict_retry_initial);
  if (leader_elect) {
    if (lease_namespace.empty()) {
      const char* pod_ns = std::getenv("POD_NAMESPACE");
      lease_namespace = pod_ns && *pod_ns ? pod_ns : config->ns;
    }
    auto seconds = [](double s) { return std::chrono::milliseconds(static_cast<int64_t>(s * 1000)); };
    kube::LeaderElectionConfig le;
    le.lease_namespace = lease_namespace;
    le.lease_name = lease_name;
    le.identity = identity;
    le.lease_duration = seconds(lease_duration);
    le.renew_deadline = seconds(renew_deadline);
    le.retry_period = seconds(retry_period);
    options.leader_election = le;
  }
  spdlog::info("rdma-operator: starting identity={} server={} config=\"{}\" leader_elect={} lease={}/{}", identity,
               config->server, config->source, leader_elect, lease_namespace, lease_name);
  rdma_operator::Operator op(*client, options);
  int rc = op.Run(stop);
  spdlog::info("rdma-operator: stopped rc={}", rc);
  return rc;
}
