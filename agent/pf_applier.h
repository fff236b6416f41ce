// PfApplier: the host-side steps of applying one PF's spec, in the order the
// hardware needs them (firmware is decided by the Reconciler first):
//   Vfs   — sriov_numvfs 0 then N when the count changes (the kernel refuses
//           N -> M with EBUSY), then wait for every VF's netdev by link
//           events, bounded by a timeout, never a sleep per VF;
//   Guids — each VF's node and port GUID (and an admin MAC from it), through
//           sriov/<i>/{node,port,mac} when the driver has them (MLNX_OFED,
//           the simulator) or netlink IFLA_VF_IB_*_GUID otherwise; then an
//           unbind/bind of the VF so the driver takes it (the Reconciler
//           reads every GUID back in its discovery afterwards);
//   Link  — MTU of the PF and its VFs.
// Each step checks the host first and changes only what differs, so running
// it again after a crash at any point finishes the job. Errors name the PF,
// the operation and the cause.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "agent/discovery.h"
#include "agent/host/clock.h"
#include "agent/host/driver_binder.h"
#include "agent/host/netlink.h"
#include "agent/host/sysfs.h"
#include "api/rdma_node_state.h"

namespace agent {

struct StepResult {
  bool changed = false;  // something on the host was changed
  host::Status status;
};

class PfApplier {
 public:
  PfApplier(host::Sysfs& sysfs, host::Netlink& netlink, host::DriverBinder& binder, host::Clock& clock,
            std::chrono::milliseconds vf_timeout)
      : sysfs_(sysfs), netlink_(netlink), binder_(binder), clock_(clock), vf_timeout_(vf_timeout) {}

  // Makes sriov_numvfs == num_vfs and waits until every VF has a driver and
  // a netdev. Also binds VFs left unbound (an agent killed mid-rebind).
  StepResult SetNumVfs(const std::string& pf_pci, int num_vfs);

  // Gives VF i guids[i] for i < guids.size(); rebinding only VFs that differ.
  // pf_netdev and pf_driver are used for netlink GUIDs and unbound VFs.
  StepResult SetGuids(const std::string& pf_pci, const std::string& pf_netdev, const std::string& pf_driver,
                      const std::vector<uint64_t>& guids);

  // MTU of the PF netdev and of every VF netdev on the node.
  StepResult SetMtu(const std::string& pf_pci, uint32_t mtu);

 private:
  // Waits until VFs `indexes` of the PF have a driver and a netdev; events
  // may be null (then it re-checks with short bounded back-offs).
  host::Status WaitForVfs(const std::string& pf_pci, std::vector<int> indexes, host::LinkEvents* events);
  bool VfReady(const std::string& pf_pci, int index);

  // A VF as the last wait saw it ready: SetGuids right after SetNumVfs
  // takes the VF's address and driver from this instead of reading them
  // again (each a FUSE round trip under the simulator). Lives as long as
  // this applier, which the Reconciler makes per PF and pass.
  struct ReadyVf {
    std::string pci;     // its PCI address, which a rebind keeps
    std::string driver;
  };
  std::map<int, ReadyVf> ready_;  // by VF index

  host::Sysfs& sysfs_;
  host::Netlink& netlink_;
  host::DriverBinder& binder_;
  host::Clock& clock_;
  std::chrono::milliseconds vf_timeout_;
};

}  // namespace agent
