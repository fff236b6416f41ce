// sysfs-sim: one simulated node's sysfs (and boot_id), served over FUSE, with
// VF netdevs as real veth devices. See docs/simulator.md.
//
//   sysfs-sim --config node.json --state DIR --mount DIR [--dev-dir DIR]
//             [--netns NAME] [--fabric-netns NAME [--fabric-bridge NAME]] [--foreground]
//
// With --dev-dir, DIR/infiniband holds real char device nodes for the
// node's uverbs/umad/rdma_cm, kept in step with sysfs (DevTree), and the
// mount gets a `dev` link to DIR, so <mount>/dev/infiniband/uverbsN works.
//
// A namespace NAME is one from `ip netns add NAME`; a value with a '/' is
// taken as a path to a namespace file (/proc/<pid>/ns/net).
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include "e2e/sim/dev_tree.h"
#include "e2e/sim/firmware_store.h"
#include "e2e/sim/node_config.h"
#include "e2e/sim/simulated_node.h"
#include "e2e/sim/sysfs_fuse.h"
#include "e2e/sim/veth_backend.h"

namespace {

int Usage(const std::string& why) {
  std::cerr << "sysfs-sim: " << why << "\n"
            << "usage: sysfs-sim --config node.json --state DIR --mount DIR [--dev-dir DIR] [--netns NAME] "
               "[--fabric-netns NAME [--fabric-bridge NAME]] [--foreground]\n";
  return 2;
}

int OpenNetns(const std::string& name) {
  const std::string path = name.find('/') == std::string::npos ? "/run/netns/" + name : name;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    std::cerr << "sysfs-sim: open " << path << ": " << std::strerror(errno) << " (create it with `ip netns add " << name
              << "`)\n";
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> opt;
  bool foreground = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--foreground") {
      foreground = true;
    } else if ((a == "--config" || a == "--state" || a == "--mount" || a == "--netns" || a == "--fabric-netns" ||
                a == "--fabric-bridge" || a == "--dev-dir") &&
               i + 1 < argc) {
      opt[a] = argv[++i];
    } else {
      return Usage("unknown argument " + a);
    }
  }
  if (!opt.count("--config") || !opt.count("--state") || !opt.count("--mount")) {
    return Usage("--config, --state and --mount are required");
  }
  std::error_code ec;
  std::filesystem::create_directories(opt["--state"], ec);
  std::filesystem::create_directories(opt["--mount"], ec);
  const std::string state = std::filesystem::absolute(opt["--state"]).lexically_normal().string();
  const std::string mount = std::filesystem::absolute(opt["--mount"]).lexically_normal().string();

  auto config = sim::LoadNodeConfig(opt["--config"]);
  if (!config.ok()) {
    std::cerr << "sysfs-sim: " << config.error().message << "\n";
    return 1;
  }
  // Enter the node's network namespace ourselves (not via `ip netns exec`,
  // whose private mount namespace would hide the FUSE mount).
  if (opt.count("--netns")) {
    int fd = OpenNetns(opt["--netns"]);
    if (fd < 0) return 1;
    if (::setns(fd, CLONE_NEWNET) != 0) {
      std::cerr << "sysfs-sim: enter network namespace " << opt["--netns"] << ": " << std::strerror(errno) << "\n";
      return 1;
    }
    ::close(fd);
  }
  int fabric = -1;
  if (opt.count("--fabric-netns")) {
    fabric = OpenNetns(opt["--fabric-netns"]);
    if (fabric < 0) return 1;
  }
  if (opt.count("--fabric-bridge") && fabric < 0) return Usage("--fabric-bridge needs --fabric-netns");
  auto backend = sim::VethBackend::Open(fabric, opt["--fabric-bridge"]);
  if (!backend.ok()) {
    std::cerr << "sysfs-sim: " << backend.error().message << "\n";
    return 1;
  }
  std::optional<sim::DevTree> dev;
  if (opt.count("--dev-dir")) dev.emplace(std::filesystem::absolute(opt["--dev-dir"]).lexically_normal().string());
  sim::FirmwareStore firmware(state);
  int rc;
  {
    sim::SimulatedNode node(std::move(*config), firmware, **backend);
    host::Status st = node.Boot();
    if (!st.ok()) {
      std::cerr << "sysfs-sim: boot: " << st.message() << "\n";
      return 1;
    }
    if (dev) {
      // Fail at startup if the nodes cannot be made (not root, nodev
      // overlay without CAP_MKNOD, ...); later failures are logged, since
      // the sysfs write that caused them did succeed.
      st = dev->Sync(node.CharDevices());
      if (!st.ok()) {
        std::cerr << "sysfs-sim: dev tree: " << st.message() << "\n";
        return 1;
      }
      node.OnChange([&] {
        host::Status s = dev->Sync(node.CharDevices());
        if (!s.ok()) std::cerr << "sysfs-sim: dev tree: " << s.message() << "\n";
      });
      // Outside sys/, proc/ and sim/, so the node's rebuilds keep it.
      node.tree().AddLink("dev", dev->dev_dir());
    }
    sim::FuseOptions fo;
    fo.mountpoint = mount;
    fo.foreground = foreground;
    fo.log_file = state + "/sysfs-sim.log";
    fo.pid_file = state + "/sysfs-sim.pid";
    fo.on_ready = [&] {
      std::printf("sysfs-sim: ready: sysfs root %s/sys, boot_id %s\n", mount.c_str(), node.boot_id().c_str());
      std::fflush(stdout);
    };
    rc = sim::ServeSimulatedNode(node, fo);
    node.OnChange(nullptr);
    if (dev) {
      host::Status cleared = dev->Clear();  // no device nodes outlive the node
      if (!cleared.ok()) std::cerr << "sysfs-sim: dev tree: " << cleared.message() << "\n";
    }
  }  // the node removes its veths here
  if (fabric >= 0) ::close(fabric);
  return rc;
}
