// rdma-agent: the per-node agent. Parses flags, wires the real host
// implementations and the Kubernetes client into the NodeAgent, serves
// /healthz, /readyz and /metrics. See docs/agent.md.
#include <atomic>
#include <spdlog/spdlog.h>

#include <boost/program_options.hpp>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <iostream>

#include "agent/attach/cni_server.h"
#include "agent/attach/engine.h"
#include "agent/attach/shim_install.h"
#include "agent/deviceplugin/plugin_manager.h"
#include "agent/deviceplugin/reprobe_binder.h"
#include "agent/host/boot_id.h"
#include "agent/host/clock.h"
#include "agent/host/driver_binder.h"
#include "agent/host/mstconfig_tool.h"
#include "agent/host/real_netlink.h"
#include "agent/host/real_sysfs.h"
#include "agent/host/rebooter.h"
#include "agent/host/simulated_rdma_netlink.h"
#include "agent/host/subprocess_runner.h"
#include "agent/journal.h"
#include "agent/node_agent.h"
#include "agent/reconciler.h"
#include "kube/command_line.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/health_server.h"
#include "kube/metrics.h"
#include "kube/signals.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  std::stop_token stop = kube::StopOnSignals();
  const char* env_node = std::getenv("NODE_NAME");
  std::string kubeconfig, node_name = env_node ? env_node : "", host_root, sysfs_root, journal_dir, mstconfig,
                          reboot_command, log_level, health_address,
                          device_plugin_dir = "/var/lib/kubelet/device-plugins/", cdi_dir = "/var/run/cdi",
                          simulated_rdma_netns_mode, cni_socket, cni_bin_dir, cni_shim;
  int vf_timeout_seconds = 30;
  po::options_description desc("rdma-agent: configures SR-IOV, VF GUIDs and firmware of this node's ConnectX NICs");
  desc.add_options()("help,h", "this text")
      ("kubeconfig", po::value(&kubeconfig), "kubeconfig file (default: $KUBECONFIG, then in-cluster)")
      ("node-name", po::value(&node_name), "this node's name (default: $NODE_NAME)")
      ("host-root", po::value(&host_root)->default_value("/"), "where the host's / is (boot_id under proc/)")
      ("sysfs-root", po::value(&sysfs_root), "sysfs root (default: <host-root>/sys)")
      ("journal-dir", po::value(&journal_dir)->default_value("/var/lib/rdma-agent"), "journal directory on the host")
      ("mstconfig", po::value(&mstconfig)->default_value("mstconfig"), "mstconfig program (name on PATH or path)")
      ("reboot-command", po::value(&reboot_command),
       "run this with /bin/sh -c to reboot (default: reboot(2) directly)")
      ("device-plugin-dir", po::value(&device_plugin_dir)->default_value(device_plugin_dir),
       "kubelet's device-plugins dir: serve rdma.dev/<resource> there and register at its kubelet.sock "
       "(empty: no device plugin)")
      ("cdi-dir", po::value(&cdi_dir)->default_value(cdi_dir),
       "where to write CDI specs for exclusive-mode VFs (empty: hand out DeviceSpecs only; see docs/agent.md)")
      ("simulated-rdma-netns-mode", po::value(&simulated_rdma_netns_mode)->value_name("FILE"),
       "read and write the RDMA netns mode in FILE (sysfs-sim's <mount>/sim/rdma_netns_mode) instead of RDMA "
       "netlink; for the simulator and sandbox only")
      ("cni-socket", po::value(&cni_socket)->value_name("PATH"),
       "serve rdma-cni's calls on this unix socket (rdma-cni's default: /run/rdma-agent/cni.sock); empty: off. "
       "Experimental: see docs/cni.md")
      ("cni-bin-dir", po::value(&cni_bin_dir)->value_name("DIR"),
       "install the rdma-cni binary into DIR (the host's /opt/cni/bin) at start; empty: do not install")
      ("cni-shim", po::value(&cni_shim)->value_name("FILE"),
       "the rdma-cni binary to install (default: rdma-cni next to this program)")
      ("vf-timeout-seconds", po::value(&vf_timeout_seconds)->default_value(30), "bound on waiting for VF netdevs")
      ("log-level", po::value(&log_level)->default_value("info"), "trace, debug, info, warn, error")
      ("health-address", po::value(&health_address)->default_value("0.0.0.0:8081"),
       "host:port for /healthz, /readyz and /metrics (empty: off)");
  po::variables_map vm;
  if (auto exit = kube::ParseCommandLine(argc, argv, desc, vm, "rdma-agent")) return *exit;
  if (vf_timeout_seconds <= 0) {
    std::cerr << "rdma-agent: --vf-timeout-seconds must be a positive number of seconds\n" << desc;
    return 2;
  }
  if (!kube::SetLogLevel(log_level, "rdma-agent")) return 2;
  if (node_name.empty()) {
    std::cerr << "rdma-agent: --node-name or $NODE_NAME is required\n";
    return 2;
  }
  if (sysfs_root.empty()) sysfs_root = (host_root == "/" ? "" : host_root) + "/sys";

  kube::LoadOptions lo;
  lo.kubeconfig = kubeconfig;
  auto config = kube::LoadConfig(lo);
  if (!config.ok()) {
    spdlog::critical("op=load-kubeconfig error=\"{}\"", config.error().message);
    return 1;
  }
  config->user_agent = "rdma-agent/" + node_name;
  auto client = kube::Client::FromConfig(*config);
  if (!client.ok()) {
    spdlog::critical("op=create-client error=\"{}\"", client.error().message);
    return 1;
  }

  host::RealSysfs sysfs(sysfs_root);
  auto netlink = host::RealNetlink::Open();
  if (!netlink.ok()) {
    spdlog::critical("op=open-netlink error=\"{}\"", netlink.error().message);
    return 1;
  }
  // The simulator's kernel has no RDMA core: only the reconciler's RDMA
  // netns mode goes to sysfs-sim's file; links (and the NodeAgent's link
  // events) stay on the real netlink.
  std::unique_ptr<host::SimulatedRdmaNetlink> simulated_rdma;
  if (!simulated_rdma_netns_mode.empty()) {
    simulated_rdma = std::make_unique<host::SimulatedRdmaNetlink>(**netlink, simulated_rdma_netns_mode);
    spdlog::warn("op=start simulated-rdma-netns-mode={} msg=\"RDMA netns mode from a simulator file, not the kernel\"",
                 simulated_rdma_netns_mode);
  }
  host::Netlink& reconciler_netlink =
      simulated_rdma ? static_cast<host::Netlink&>(*simulated_rdma) : static_cast<host::Netlink&>(**netlink);
  host::SubprocessRunner runner;
  host::MstconfigTool firmware(runner, mstconfig);
  host::SysfsDriverBinder binder(sysfs);
  host::SystemRebooter system_rebooter;
  host::CommandRebooter command_rebooter(runner, {"/bin/sh", "-c", reboot_command});
  // The node state says "rebooting" (status and an Event) before it goes.
  agent::AnnouncingRebooter rebooter(reboot_command.empty() ? static_cast<host::Rebooter&>(system_rebooter)
                                                            : command_rebooter);
  host::FileBootId boot_id(host_root);
  host::SystemClock clock;
  kube::MetricsRegistry metrics;
  agent::NodeAgentOptions ao;
  ao.node_name = node_name;
  // The device plugin, when on, sees every pass and every VF re-probe.
  std::unique_ptr<deviceplugin::DevicePluginManager> plugins;
  std::unique_ptr<deviceplugin::ReprobeAwareBinder> plugin_binder;
  std::unique_ptr<deviceplugin::VfExtrasReader> extras;
  if (!device_plugin_dir.empty()) {
    deviceplugin::ManagerOptions mo;
    mo.plugin.plugin_dir = device_plugin_dir;
    mo.plugin.use_cdi = !cdi_dir.empty();
    mo.plugin.metrics = &metrics;
    mo.cdi_dir = cdi_dir;
    plugins = std::make_unique<deviceplugin::DevicePluginManager>(mo);
    plugins->Start();
    plugin_binder = std::make_unique<deviceplugin::ReprobeAwareBinder>(binder, *plugins);
    extras = std::make_unique<deviceplugin::VfExtrasReader>(sysfs);
    ao.on_observed = [&](const api::RdmaNodeStateSpec& spec, const api::RdmaNodeStateStatus& status) {
      plugins->Update(spec, status, extras->Read(status));
    };
  }
  host::DriverBinder& reconciler_binder =
      plugin_binder ? static_cast<host::DriverBinder&>(*plugin_binder) : static_cast<host::DriverBinder&>(binder);
  agent::Journal journal(journal_dir);
  agent::ReconcilerOptions ro;
  ro.vf_timeout = std::chrono::seconds(vf_timeout_seconds);
  ro.node_name = node_name;
  ro.agent_version = "0.1.0";
  agent::Reconciler reconciler(agent::HostAccess{sysfs, reconciler_netlink, firmware, reconciler_binder, rebooter, boot_id, clock},
                               journal, ro);

  // rdma-cni's agent side: attachments under the journal dir, addresses
  // from the node's IP blocks as the last pass saw the spec.
  std::mutex observed_mu;
  api::RdmaNodeStateSpec observed_spec;
  std::string not_ready = "no pass has run yet";
  std::unique_ptr<attach::AttachmentStore> attachments;
  std::atomic<agent::NodeAgent*> refresh_agent{nullptr};  // set once the NodeAgent exists
  std::unique_ptr<attach::AttachEngine> engine;
  std::unique_ptr<attach::CniServer> cni_server;
  if (!cni_socket.empty()) {
    auto device_plugin_hook = ao.on_observed;
    ao.on_observed = [&, device_plugin_hook](const api::RdmaNodeStateSpec& spec, const api::RdmaNodeStateStatus& status) {
      {
        std::lock_guard<std::mutex> lock(observed_mu);
        observed_spec = spec;
        not_ready = status.sync_state == api::kSyncSucceeded && status.applied_generation == status.observed_generation
                        ? ""
                        : "the node's apply is " + (status.sync_state.empty() ? std::string("pending") : status.sync_state);
      }
      if (device_plugin_hook) device_plugin_hook(spec, status);
    };
    attachments = std::make_unique<attach::AttachmentStore>(journal_dir + "/attachments");
    // Every ADD and DEL shows in the node state's status.attachments.
    attachments->SetOnChange([&refresh_agent] {
      if (agent::NodeAgent* a = refresh_agent.load()) a->Refresh();
    });
    ao.complete_status = [&attachments](api::RdmaNodeStateStatus& status) {
      status.attachments = attach::StatusOf(attachments->All());
    };
    attach::EngineOptions eo;
    eo.ip_blocks = [&] {
      std::lock_guard<std::mutex> lock(observed_mu);
      return observed_spec.ip_blocks;
    };
    eo.not_ready = [&] {
      std::lock_guard<std::mutex> lock(observed_mu);
      return not_ready;
    };
    attach::EngineHost eh{sysfs, **netlink, [](int fd) -> host::Result<std::unique_ptr<host::Netlink>> {
                            auto nl = host::RealNetlink::OpenInNetns(fd);
                            if (!nl.ok()) return nl.error();
                            return std::unique_ptr<host::Netlink>(std::move(*nl));
                          }};
    engine = std::make_unique<attach::AttachEngine>(eh, *attachments, eo);
    if (auto st = engine->Start(); !st.ok()) spdlog::error("op=start-attach-engine error=\"{}\"", st.message());
    cni_server = std::make_unique<attach::CniServer>(*engine, cni_socket);
    if (auto st = cni_server->Start(); !st.ok()) {
      spdlog::critical("op=start-cni-server socket={} error=\"{}\"", cni_socket, st.message());
      return 1;
    }
  }
  if (!cni_bin_dir.empty()) {
    if (cni_shim.empty()) {
      std::error_code ec;
      cni_shim = (std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / "rdma-cni").string();
    }
    auto wrote = attach::InstallShim(cni_shim, cni_bin_dir);
    if (!wrote.ok()) {
      spdlog::error("op=install-cni-shim from={} to={} error=\"{}\"", cni_shim, cni_bin_dir, wrote.error().message);
    } else {
      spdlog::info("op=install-cni-shim from={} to={}/rdma-cni result={}", cni_shim, cni_bin_dir,
                   *wrote ? "installed" : "unchanged");
    }
  }

  agent::NodeAgent node_agent(*client, reconciler, **netlink, ao, &metrics);
  refresh_agent = &node_agent;
  rebooter.SetAnnounce([&node_agent](const std::string& reason) { node_agent.AnnounceReboot(reason); });

  kube::HealthServer health(&metrics);
  health.AddReadyCheck("status-written", [&] { return node_agent.Ready() ? "" : "no status written yet"; });
  if (!health_address.empty()) {
    auto st = health.Start(health_address);
    if (!st.ok()) {
      spdlog::critical("op=start-health-server address={} error=\"{}\"", health_address, st.error().message);
      if (cni_server) cni_server->Stop();  // no ADD may tell the NodeAgent after it is gone
      return 1;
    }
  }
  spdlog::info("op=start node={} sysfs={} journal={} mstconfig={} device_plugin_dir={} cdi_dir={}", node_name, sysfs_root,
               journal_dir, mstconfig, device_plugin_dir.empty() ? "(off)" : device_plugin_dir,
               cdi_dir.empty() ? "(off)" : cdi_dir);
  node_agent.Run(stop);
  if (cni_server) cni_server->Stop();
  refresh_agent = nullptr;
  if (plugins) plugins->Stop();
  health.Stop();
  spdlog::info("op=stop node={}", node_name);
  return 0;
}
