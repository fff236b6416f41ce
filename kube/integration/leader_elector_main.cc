// kube-test-elector: one replica of kube::LeaderElector in its own process, so
// integration tests can fail leaders over between real processes (kill -9 a
// leader like a crashed pod, or SIGTERM it like a drained one). It prints one
// line to stdout, flushed, per transition -- "LEADING <identity>" when it
// starts leading and "STOPPED <identity>" when it stops -- and nothing else
// (logs go to stderr). On SIGTERM/SIGINT it releases the lease and exits 0;
// if it loses leadership it exits 1, as client-go replicas do.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "kube/command_line.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/leader_election.h"
#include "kube/signals.h"

namespace po = boost::program_options;

namespace {

// One line per transition; flushed so a test reading the pipe sees it at once.
void Announce(const char* what, const std::string& identity) {
  std::printf("%s %s\n", what, identity.c_str());
  std::fflush(stdout);
}

std::vector<std::string> SplitPaths(const std::string& list) {
  std::vector<std::string> paths;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    if (end > start) paths.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return paths;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread starts, so every thread inherits the blocked mask.
  std::stop_token stop = kube::StopOnSignals();
  // stdout carries only the transition lines the tests parse.
  spdlog::set_default_logger(spdlog::stderr_color_mt("stderr"));

  std::string kubeconfig, lease_namespace, lease_name, identity;
  double lease_duration = 0, renew_deadline = 0, retry_period = 0;
  po::options_description desc("kube-test-elector: run kube leader election and print transitions");
  desc.add_options()("help", "show this help")(
      "kubeconfig", po::value(&kubeconfig)->required(), "kubeconfig file (or ':'-separated list)")(
      "namespace", po::value(&lease_namespace)->required(), "namespace of the Lease")(
      "lease", po::value(&lease_name)->required(), "name of the Lease")(
      "identity", po::value(&identity)->required(), "this replica's holder identity")(
      "lease-duration", po::value(&lease_duration)->required(), "seconds a lease stays valid without renewal")(
      "renew-deadline", po::value(&renew_deadline)->required(), "seconds the leader keeps trying to renew")(
      "retry-period", po::value(&retry_period)->required(), "seconds between attempts");
  po::variables_map vm;
  if (auto exit = kube::ParseCommandLine(argc, argv, desc, vm, "kube-test-elector")) return *exit;
  if (lease_duration <= 0 || renew_deadline <= 0 || retry_period <= 0 || renew_deadline >= lease_duration ||
      retry_period >= renew_deadline) {
    std::cerr << "kube-test-elector: need 0 < --retry-period < --renew-deadline < --lease-duration, got "
              << retry_period << " < " << renew_deadline << " < " << lease_duration << "\n";
    return 2;
  }

  auto config = kube::LoadKubeconfig(SplitPaths(kubeconfig));
  if (!config.ok()) {
    std::cerr << "kube-test-elector: load kubeconfig " << kubeconfig << ": " << config.error().ToString() << "\n";
    return 2;
  }
  auto client = kube::Client::FromConfig(*config);
  if (!client.ok()) {
    std::cerr << "kube-test-elector: client for " << kubeconfig << ": " << client.error().ToString() << "\n";
    return 2;
  }

  auto seconds = [](double s) {
    return std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
  };
  kube::LeaderElectionConfig lc;
  lc.lease_namespace = lease_namespace;
  lc.lease_name = lease_name;
  lc.identity = identity;
  lc.lease_duration = seconds(lease_duration);
  lc.renew_deadline = seconds(renew_deadline);
  lc.retry_period = seconds(retry_period);
  lc.release_on_cancel = true;
  kube::LeaderCallbacks callbacks;
  // Nothing to do while leading but say so; the thread may end at once.
  callbacks.on_started_leading = [&](std::stop_token) { Announce("LEADING", identity); };
  callbacks.on_stopped_leading = [&] { Announce("STOPPED", identity); };

  kube::LeaderElector elector(*client, lc, callbacks);
  elector.Run(stop);
  return stop.stop_requested() ? 0 : 1;
}
