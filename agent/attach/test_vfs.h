// VFs made of veths, for the attach engine's tests and benchmark
// (engine_test.cc, agent/bench/attach_bench.cc) on machines without an
// SR-IOV NIC: a veth stands in for the PF and one veth per VF, in the
// caller's network namespace (as in the simulator), so the engine's moves,
// renames, addresses and routes are real. KernelLikeSysfs lists a VF's
// netdev under bus/pci/devices/<vf>/net/ only while it is in that
// namespace, as the kernel does. Test code; needs root and `ip`.
#pragma once

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "agent/host/fake_sysfs.h"
#include "agent/host/netlink.h"
#include "agent/host/subprocess_runner.h"

namespace attach::testing_vfs {

// FakeSysfs, except that a VF's net/ follows its netdev (by ifindex).
class KernelLikeSysfs : public host::FakeSysfs {
 public:
  explicit KernelLikeSysfs(host::Netlink& nl) : nl_(nl) {}
  void AddVf(const std::string& pci, int ifindex) { vf_ifindex_["bus/pci/devices/" + pci + "/net"] = ifindex; }
  host::Result<std::vector<std::string>> List(const std::string& dir) override {
    auto it = vf_ifindex_.find(dir);
    if (it == vf_ifindex_.end()) return FakeSysfs::List(dir);
    auto link = nl_.GetLinkByIndex(it->second);
    if (!link.ok()) return std::vector<std::string>{};
    return std::vector<std::string>{link->name};
  }

 private:
  host::Netlink& nl_;
  std::map<std::string, int> vf_ifindex_;
};

// Runs `ip <args>`; an error with ip's stderr when it fails.
inline host::Status Ip(std::vector<std::string> args) {
  args.insert(args.begin(), "ip");
  auto r = host::SubprocessRunner().Run(args, std::chrono::seconds(10));
  if (!r.ok()) return r.error();
  if (r->exit_code != 0) return host::Error{host::CommandLine(args) + ": " + r->err, EIO};
  return host::Status::Ok();
}

// The PCI address of VF `index` of a PF at <domain:bus>:00.0, numbered as
// the kernel numbers a ConnectX's VFs from function 2 on: 0000:41:00.2,
// ..., 0000:41:00.7, 0000:41:01.0, ...
inline std::string VfPci(const std::string& pf_pci, int index) {
  const int devfn = 2 + index;
  char tail[16];
  std::snprintf(tail, sizeof tail, "%02x.%x", devfn / 8, devfn % 8);
  return pf_pci.substr(0, pf_pci.size() - 4) + tail;
}

// A PF `pf_netdev` (veth, peer <pf_netdev>p) at `pf_pci` with `count` VFs:
// VF i is veth <vf_prefix><i> (its peer <vf_prefix><i>p is up) at
// VfPci(pf_pci, i), linked as virtfn<i> of the PF.
inline host::Status AddVethPf(KernelLikeSysfs& sysfs, host::Netlink& nl, const std::string& pf_pci,
                              const std::string& pf_netdev, const std::string& vf_prefix, int count) {
  if (auto st = Ip({"link", "add", pf_netdev, "type", "veth", "peer", "name", pf_netdev + "p"}); !st.ok()) return st;
  sysfs.AddDir("bus/pci/devices/" + pf_pci + "/net/" + pf_netdev);
  for (int i = 0; i < count; ++i) {
    const std::string pci = VfPci(pf_pci, i), name = vf_prefix + std::to_string(i);
    if (auto st = Ip({"link", "add", name, "type", "veth", "peer", "name", name + "p"}); !st.ok()) return st;
    if (auto st = Ip({"link", "set", name + "p", "up"}); !st.ok()) return st;
    sysfs.AddLink("bus/pci/devices/" + pf_pci + "/virtfn" + std::to_string(i), "../" + pci);
    sysfs.AddLink("bus/pci/devices/" + pci + "/physfn", "../" + pf_pci);
    auto link = nl.GetLink(name);
    if (!link.ok()) return link.error();
    sysfs.AddVf(pci, link->index);
  }
  return host::Status::Ok();
}

}  // namespace attach::testing_vfs
