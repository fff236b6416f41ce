// sim-kubelet: the simulated kubelet of one simulated node. See
// docs/simulator.md ("A simulated kubelet") and kubelet.h.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <stop_token>
#include <string>
#include <thread>

#include <boost/program_options.hpp>
#include <spdlog/spdlog.h>

#include "e2e/sim/kubelet/device_manager.h"
#include "e2e/sim/kubelet/kubelet.h"
#include "e2e/sim/kubelet/pod_resources_server.h"
#include "kube/client.h"
#include "kube/config.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  std::string node, root, kubeconfig, netns, cni_bin, pod_cidr, bridge, host_root, cdi_dir, netns_prefix, log_level;
  std::string plugin_dir, agent_socket_dir;
  int64_t grace_ms = 0;
  po::options_description desc("sim-kubelet: the simulated kubelet of one simulated node");
  desc.add_options()("help", "this text")
      ("node-name", po::value(&node)->required(), "the Node this kubelet runs (Pods with spec.nodeName = it)")
      ("root", po::value(&root)->required(), "kubelet root dir: device-plugins/, pod-resources/, pods/, cni/")
      ("device-plugins-dir", po::value(&plugin_dir), "device plugin dir (default <root>/device-plugins)")
      ("kubeconfig", po::value(&kubeconfig), "kubeconfig of the API server (default: $KUBECONFIG)")
      ("netns", po::value(&netns), "run in this named network namespace (the simulated node's)")
      ("cni-bin-dir", po::value(&cni_bin)->default_value("/usr/lib/cni"), "CNI plugin binaries (CNI_PATH)")
      ("agent-socket-dir", po::value(&agent_socket_dir),
       "sim only: run every CNI plugin in a private mount namespace with DIR bind-mounted over /run/rdma-agent "
       "(this node's rdma-agent listens on DIR/cni.sock); the simulated nodes share one file system")
      ("pod-cidr", po::value(&pod_cidr), "primary pod network subnet (bridge + host-local); none if unset")
      ("bridge", po::value(&bridge)->default_value("cni0"), "primary network's bridge name")
      ("host-root", po::value(&host_root), "prefix for DeviceSpec host paths (a simulated node's / with dev/)")
      ("pod-netns-prefix", po::value(&netns_prefix),
       "pod network namespaces are /run/netns/<prefix><pod uid> (default: <node-name>-)")
      ("cdi-dir", po::value(&cdi_dir),
       "act as a runtime with CDI on: resolve Allocate's CDI names from the specs here (default: dropped, as "
       "containerd 1.6 does)")
      ("plugin-grace-ms", po::value(&grace_ms)->default_value(300000),
       "after a plugin's ListAndWatch ends, drop its resource after this long (kubelet: 5 min)")
      ("log-level", po::value(&log_level)->default_value("info"), "trace, debug, info, warn, error");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "sim-kubelet: " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l sim-kubelet/" + node + " %v");

  // Before any thread starts, so every thread runs in the node's namespace.
  if (!netns.empty()) {
    std::string path = "/run/netns/" + netns;
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
      spdlog::critical("op=enter-netns netns={} error=\"{}\"", path, std::strerror(errno));
      return 1;
    }
    close(fd);
  }
  if (plugin_dir.empty()) plugin_dir = root + "/device-plugins";
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  // Kubelet creates its device-plugins dir at start; so does this one.
  std::filesystem::create_directories(plugin_dir, ec);

  kube::LoadOptions lo;
  lo.kubeconfig = kubeconfig;
  auto config = kube::LoadConfig(lo);
  if (!config.ok()) {
    spdlog::critical("op=load-kubeconfig error=\"{}\"", config.error().message);
    return 1;
  }
  config->user_agent = "sim-kubelet/" + node;
  auto client = kube::Client::FromConfig(*config);
  if (!client.ok()) {
    spdlog::critical("op=create-client error=\"{}\"", client.error().message);
    return 1;
  }

  simkubelet::DeviceManager::Options dmo;
  dmo.plugin_dir = plugin_dir;
  dmo.grace = std::chrono::milliseconds(grace_ms);
  simkubelet::DeviceManager dm(dmo);
  if (auto err = dm.Start(); !err.empty()) {
    spdlog::critical("op=start-device-manager error=\"{}\"", err);
    return 1;
  }
  simkubelet::PodResourcesServer prs(&dm);
  if (auto err = prs.Start(root + "/pod-resources/kubelet.sock"); !err.empty()) {
    spdlog::critical("op=start-pod-resources error=\"{}\"", err);
    return 1;
  }

  simkubelet::KubeletOptions ko;
  ko.node_name = node;
  ko.root = root;
  ko.cni_bin_dir = cni_bin;
  ko.agent_socket_dir = agent_socket_dir;
  ko.pod_cidr = pod_cidr;
  ko.bridge = bridge;
  ko.host_root = host_root;
  ko.cdi_dir = cdi_dir;
  ko.netns_prefix = netns_prefix;
  simkubelet::Kubelet kubelet(*client, &dm, ko);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::jthread worker([&](std::stop_token st) { kubelet.Run(st); });
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("op=shutdown signal={}", sig);
  (*client)->Shutdown();
  // Like kubelet on SIGTERM: plugin streams are cancelled, kubelet.sock stays
  // as a dead socket, the checkpoint and the pods' namespaces stay.
  dm.Stop();
  prs.Stop();
  worker.request_stop();
  worker.join();
  return 0;
}
