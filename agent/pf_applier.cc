#include "agent/pf_applier.h"

#include <spdlog/spdlog.h>

#include <optional>

#include "agent/guid_assignment.h"
#include "api/guid.h"

namespace agent {
namespace {

// A link-event subscription opened just before the first change whose
// events a wait needs, so that a pass that changes nothing opens none.
class LinkWatch {
 public:
  LinkWatch(host::Netlink& netlink, const std::string& pf_pci) : netlink_(netlink), pf_pci_(pf_pci) {}
  // Subscribes (once). Without a subscription waits fall back to rechecking.
  void Open() {
    if (opened_) return;
    opened_ = true;
    auto watch = netlink_.WatchLinks();
    if (watch.ok())
      events_ = std::move(*watch);
    else
      spdlog::warn("pf={} op=watch-links error=\"{}\" fallback=recheck", pf_pci_, watch.error().message);
  }
  host::LinkEvents* events() const { return events_.get(); }

 private:
  host::Netlink& netlink_;
  const std::string& pf_pci_;
  bool opened_ = false;
  std::unique_ptr<host::LinkEvents> events_;
};


std::string Join(const std::vector<int>& v) {
  std::string s;
  for (int i : v) s += (s.empty() ? "" : ",") + std::to_string(i);
  return s;
}

host::Status Prefix(const std::string& what, const host::Status& st) {
  if (st.ok()) return st;
  return host::Error{what + ": " + st.message(), st.sys_errno()};
}

}  // namespace

bool PfApplier::VfReady(const std::string& pf_pci, int index) {
  std::string vf;
  if (auto it = ready_.find(index); it != ready_.end()) {
    vf = it->second.pci;  // waiting again after a rebind
  } else {
    auto address = VfAddress(sysfs_, pf_pci, index);
    if (!address.ok()) return false;
    vf = *address;
  }
  auto driver = sysfs_.ReadLink(kPciDevices + vf + "/driver");
  if (!driver.ok() || FirstEntry(sysfs_, vf, "net").empty()) return false;
  ready_[index] = ReadyVf{vf, host::PathBaseName(*driver)};
  return true;
}

host::Status PfApplier::WaitForVfs(const std::string& pf_pci, std::vector<int> pending, host::LinkEvents* events) {
  const auto deadline = clock_.Now() + vf_timeout_;
  for (;;) {
    std::erase_if(pending, [&](int i) { return VfReady(pf_pci, i); });
    if (pending.empty()) return host::Status::Ok();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_.Now());
    if (left.count() <= 0) {
      return host::Error{"wait for VF netdevs of " + pf_pci + ": VFs " + Join(pending) + " have no driver or netdev after " +
                         std::to_string(vf_timeout_.count()) + " ms", ETIMEDOUT};
    }
    if (!events) {
      clock_.SleepFor(std::min(left, std::chrono::milliseconds(50)));
      continue;
    }
    auto ev = events->Next(left);
    if (!ev.ok() && ev.error().sys_errno != ENOBUFS) {
      return host::Error{"wait for VF netdevs of " + pf_pci + ": " + ev.error().message, ev.error().sys_errno};
    }
    if (ev.ok() && !ev->has_value()) {
      // Timed out without an event: one last look, then give up.
      std::erase_if(pending, [&](int i) { return VfReady(pf_pci, i); });
      if (pending.empty()) return host::Status::Ok();
      return host::Error{"wait for VF netdevs of " + pf_pci + ": VFs " + Join(pending) +
                         " have no driver or netdev after " + std::to_string(vf_timeout_.count()) + " ms",
                         ETIMEDOUT};
    }
  }
}

StepResult PfApplier::SetNumVfs(const std::string& pf_pci, int num_vfs) {
  StepResult r;
  const std::string dir = kPciDevices + pf_pci;
  if (!sysfs_.Exists(dir + "/sriov_numvfs")) {
    if (num_vfs == 0) return r;
    r.status = host::Error{"set sriov_numvfs=" + std::to_string(num_vfs) + " on " + pf_pci +
                           ": SR-IOV is not enabled (no sriov_numvfs; firmware SRIOV_EN off or not yet rebooted)", ENOENT};
    return r;
  }
  auto current = ReadInt(sysfs_, dir + "/sriov_numvfs");
  if (!current.ok()) {
    r.status = current.error();
    return r;
  }
  if (num_vfs > 0) {
    auto total = ReadInt(sysfs_, dir + "/sriov_totalvfs");
    if (!total.ok()) {
      r.status = total.error();
      return r;
    }
    if (num_vfs > *total) {
      r.status = host::Error{"set sriov_numvfs=" + std::to_string(num_vfs) + " on " + pf_pci + ": exceeds sriov_totalvfs=" +
                                 std::to_string(*total) + " (firmware NUM_OF_VFS)", ERANGE};
      return r;
    }
  }
  // Subscribed before the first change so no netdev event can be missed.
  LinkWatch watch(netlink_, pf_pci);
  std::vector<int> wait;
  if (*current != num_vfs) {
    watch.Open();
    if (*current != 0) {
      host::Status st = sysfs_.Write(dir + "/sriov_numvfs", "0");
      if (!st.ok()) {
        r.status = Prefix("set sriov_numvfs=0 on " + pf_pci, st);
        return r;
      }
      r.changed = true;
    }
    if (num_vfs > 0) {
      host::Status st = sysfs_.Write(dir + "/sriov_numvfs", std::to_string(num_vfs));
      if (!st.ok()) {
        r.status = Prefix("set sriov_numvfs=" + std::to_string(num_vfs) + " on " + pf_pci, st);
        return r;
      }
      r.changed = true;
    }
    spdlog::info("pf={} op=set-numvfs from={} to={}", pf_pci, *current, num_vfs);
    for (int i = 0; i < num_vfs; ++i) wait.push_back(i);
  } else {
    // Same count: bind any VF an interrupted rebind left without a driver.
    std::string pf_driver;
    if (auto d = sysfs_.ReadLink(dir + "/driver"); d.ok()) pf_driver = host::PathBaseName(*d);
    for (int i = 0; i < num_vfs; ++i) {
      auto address = VfAddress(sysfs_, pf_pci, i);
      if (!address.ok()) continue;
      const std::string& vf = *address;
      if (sysfs_.Exists(kPciDevices + vf + "/driver") || pf_driver.empty()) continue;
      watch.Open();
      host::Status st = binder_.Bind(vf, pf_driver);
      if (!st.ok() && st.sys_errno() != EBUSY) {
        r.status = Prefix("bind VF " + std::to_string(i) + " of " + pf_pci, st);
        return r;
      }
      spdlog::info("pf={} vf={} op=bind driver={} why=found-unbound", pf_pci, i, pf_driver);
      r.changed = true;
      wait.push_back(i);
    }
  }
  r.status = WaitForVfs(pf_pci, wait, watch.events());
  return r;
}

StepResult PfApplier::SetGuids(const std::string& pf_pci, const std::string& pf_netdev, const std::string& pf_driver,
                               const std::vector<uint64_t>& guids) {
  StepResult r;
  LinkWatch watch(netlink_, pf_pci);  // opened before the first GUID write
  std::vector<int> rebound;
  // MLNX_OFED (and the simulator) take GUIDs through sriov/<i>/*; upstream
  // kernels through netlink. Decided once per PF.
  const std::string sriov_dir = kPciDevices + pf_pci + "/sriov/";
  const bool admin_files = !guids.empty() && sysfs_.Exists(sriov_dir + "0/node");
  const bool admin_mac = admin_files && sysfs_.Exists(sriov_dir + "0/mac");
  for (size_t n = 0; n < guids.size(); ++n) {
    const int i = static_cast<int>(n);
    const std::string vf_name = "VF " + std::to_string(i) + " of " + pf_pci;
    const uint64_t want = guids[n];
    // Seen ready (bound, with a netdev here) by this pass's wait, or read now.
    std::optional<ReadyVf> seen;
    if (auto it = ready_.find(i); it != ready_.end()) seen = it->second;
    std::string vf;
    host::Result<std::string> driver = std::string();
    if (seen) {
      vf = seen->pci;
      driver = seen->driver;
    } else {
      auto address = VfAddress(sysfs_, pf_pci, i);
      if (!address.ok()) {
        r.status = host::Error{"set GUID of " + vf_name + ": VF not found (" + address.error().message + ")", ENODEV};
        return r;
      }
      vf = *address;
      driver = binder_.CurrentDriver(vf);
    }
    if (!driver.ok()) {
      r.status = Prefix("set GUID of " + vf_name, driver.status());
      return r;
    }
    if (!driver->empty() && ReadNodeGuid(sysfs_, vf) == want) continue;
    // Bound but without a netdev here: the VF is in a pod's namespace (in
    // use). A rebind would pull it from under the pod; leave it alone. Read
    // now, not taken from the wait: a pod may have taken it since.
    if (!driver->empty() && FirstEntry(sysfs_, vf, "net").empty()) {
      spdlog::debug("pf={} vf={} op=set-guid skipped=in-use-elsewhere", pf_pci, i);
      continue;
    }

    const std::string admin = sriov_dir + std::to_string(i);
    const std::string text = api::FormatGuid(want);
    watch.Open();
    host::Status st;
    if (admin_files) {
      st = sysfs_.Write(admin + "/node", text);
      if (st.ok()) st = sysfs_.Write(admin + "/port", text);
      if (st.ok() && admin_mac) st = sysfs_.Write(admin + "/mac", VfMacFromGuid(want));
    } else {
      st = netlink_.SetVfNodeGuid(pf_netdev, static_cast<uint32_t>(i), want);
      if (st.ok()) st = netlink_.SetVfPortGuid(pf_netdev, static_cast<uint32_t>(i), want);
      if (st.ok()) st = netlink_.SetVfMac(pf_netdev, static_cast<uint32_t>(i), VfMacFromGuid(want));
    }
    if (!st.ok()) {
      r.status = Prefix("set GUID " + text + " of " + vf_name, st);
      return r;
    }
    // The driver reads the GUID when it probes the VF: rebind.
    std::string drv = driver->empty() ? pf_driver : *driver;
    if (!driver->empty()) {
      st = binder_.Unbind(vf);
      if (!st.ok()) {
        r.status = Prefix("unbind " + vf_name + " to apply its GUID", st);
        return r;
      }
    }
    st = binder_.Bind(vf, drv);
    if (!st.ok()) {
      r.status = Prefix("bind " + vf_name + " to " + drv + " to apply its GUID", st);
      return r;
    }
    r.changed = true;
    rebound.push_back(i);
  }
  if (!rebound.empty()) spdlog::info("pf={} op=set-guids vfs={}", pf_pci, rebound.size());
  r.status = WaitForVfs(pf_pci, rebound, watch.events());
  return r;
}

StepResult PfApplier::SetMtu(const std::string& pf_pci, uint32_t mtu) {
  StepResult r;
  std::vector<std::string> names;
  names.push_back(FirstEntry(sysfs_, pf_pci, "net"));
  if (names.front().empty()) {
    r.status = host::Error{"set MTU " + std::to_string(mtu) + " on " + pf_pci + ": PF has no netdev", ENODEV};
    return r;
  }
  auto entries = sysfs_.List(kPciDevices + pf_pci);
  if (entries.ok()) {
    for (const auto& e : *entries) {
      if (e.rfind("virtfn", 0) != 0) continue;
      auto target = sysfs_.ReadLink(kPciDevices + pf_pci + "/" + e);
      if (!target.ok()) continue;
      std::string n = FirstEntry(sysfs_, host::PathBaseName(*target), "net");
      if (!n.empty()) names.push_back(n);  // VFs in pods have no netdev here
    }
  }
  for (const auto& name : names) {
    auto link = netlink_.GetLink(name);
    if (!link.ok()) {
      r.status = Prefix("set MTU " + std::to_string(mtu) + " on " + pf_pci + " (" + name + ")", link.status());
      return r;
    }
    if (link->mtu == mtu) continue;
    host::Status st = netlink_.SetMtu(name, mtu);
    if (!st.ok()) {
      r.status = Prefix("set MTU " + std::to_string(mtu) + " on " + pf_pci + " (" + name + ")", st);
      return r;
    }
    r.changed = true;
  }
  if (r.changed) spdlog::info("pf={} op=set-mtu mtu={}", pf_pci, mtu);
  return r;
}

}  // namespace agent
