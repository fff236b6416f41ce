// SimulatedNode: the kernel behaviour a node's sysfs shows for its ConnectX
// NICs, as far as the agent touches it, served as a SimTree.
//
// What it models (see HARDWARE.md):
//   - PCI functions under sys/devices/pci0000:00/<bdf> with links from
//     sys/bus/pci/devices, the driver, netdev (net/<name>), RDMA device
//     (infiniband/mlx5_N), uverbs and umad char devices
//     (infiniband_verbs/uverbsN, infiniband_mad/umadN, each with a `dev`
//     file "major:minor"), and the class/net, class/infiniband,
//     class/infiniband_verbs, class/infiniband_mad links; class/misc/rdma_cm
//     (rdma_ucm loaded at boot, so it is there with or without devices).
//   - SR-IOV as firmware allows it: sriov_totalvfs/sriov_numvfs exist only
//     when the firmware's Current SRIOV_EN is True; the total is Current
//     NUM_OF_VFS (capped by the PF's max_vfs).
//   - Writing sriov_numvfs creates the VFs synchronously (PCI entries,
//     virtfnN/physfn links, netdevs, RDMA and uverbs entries); a different
//     non-zero count while VFs exist fails with EBUSY; above the total with
//     ERANGE; garbage with EINVAL; without a bound PF driver with ENOENT.
//   - VF GUIDs the MLNX_OFED way: sriov/<i>/node and sriov/<i>/port accept
//     and report "xx:xx:xx:xx:xx:xx:xx:xx"; sriov/<i>/mac an admin MAC. They
//     take effect at the VF's next probe (unbind/bind), as on real hardware;
//     until then a new VF's node_guid reads 0000:0000:0000:0000.
//   - bus/pci/drivers/mlx5_core/unbind|bind: ENODEV for unknown or unbound
//     functions, EBUSY for binding a bound one. A rebind re-creates the
//     netdev, and the RDMA and uverbs numbers may change (lowest free).
//   - CharDevices(): the char devices those sysfs entries announce, for a
//     /dev tree kept in step (DevTree); OnChange() runs after every change.
//   - proc/sys/kernel/random/boot_id, new on every simulated reboot.
//   - sim/control: write "reboot" for a simulated reboot (VFs gone, firmware
//     Next Boot -> Current, admin GUIDs forgotten); reading it shows a summary.
//   - sim/rdma_netns_mode: the RDMA core's network-namespace mode (what
//     RDMA_NLDEV_CMD_SYS_GET/SET carry on a real kernel, which this machine
//     may lack): reads "shared" or "exclusive", accepts those two words and
//     EINVAL otherwise. "shared" at every boot, the ib_core default.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "e2e/sim/firmware_store.h"
#include "e2e/sim/netdev_backend.h"
#include "e2e/sim/node_config.h"
#include "e2e/sim/sim_tree.h"

namespace sim {

// A char device the simulated kernel has registered: what udev would create
// as /dev/infiniband/<name>.
struct CharDevice {
  std::string name;  // "uverbs3", "umad3", "rdma_cm"
  unsigned major = 0;
  unsigned minor = 0;
  bool operator==(const CharDevice&) const = default;
};

class SimulatedNode {
 public:
  // Creates firmware state for PFs that have none yet and "boots".
  SimulatedNode(NodeConfig config, FirmwareStore& firmware, NetdevBackend& netdevs);
  ~SimulatedNode();  // removes every netdev it created

  host::Status Boot();
  host::Status Reboot();
  // Re-reads netdev names if links changed behind our back (renames, moves).
  void Refresh();

  SimTree& tree() { return tree_; }
  const std::string& boot_id() const { return boot_id_; }

  // The char devices udev would put under /dev/infiniband: the same names
  // and numbers as the sysfs `dev` files show, sorted by name.
  std::vector<CharDevice> CharDevices() const;
  // Called after every change to the tree (VFs, binds, reboots, netdev
  // renames), e.g. to keep a /dev tree in step. One callback; a new one
  // replaces the old.
  void OnChange(std::function<void()> callback) { on_change_ = std::move(callback); }

 private:
  struct Function {
    std::string pci;
    bool bound = false;
    std::optional<Netdev> netdev;
    std::string netdev_name;  // the name it gets when probed
    std::string ibdev;        // "" when unbound
    int uverbs = -1;
    int umad = -1;  // one port per function, so one umad
    uint64_t node_guid = 0;
    uint64_t port_guid = 0;
  };
  struct VfAdmin {  // what sriov/<i>/{node,port,mac,policy} hold
    uint64_t node_guid = 0;
    uint64_t port_guid = 0;
    std::string mac = "00:00:00:00:00:00";
    std::string policy = "Follow";
  };
  struct Pf {
    PfConfig cfg;
    Function fn;
    bool sriov = false;
    int total_vfs = 0;
    bool ib = false;
    std::vector<Function> vfs;
    std::vector<VfAdmin> admin;
  };

  int WriteNumVfs(size_t pf, const std::string& value);
  int WriteBind(const std::string& value);
  int WriteUnbind(const std::string& value);
  int WriteGuid(size_t pf, size_t vf, bool node, const std::string& value);
  int WriteVfMac(size_t pf, size_t vf, const std::string& value);
  int WritePolicy(size_t pf, size_t vf, const std::string& value);
  int WriteControl(const std::string& value);
  int WriteRdmaNetnsMode(const std::string& value);

  Function* FindFunction(const std::string& pci, Pf** pf_out, int* vf_out);
  host::Status Probe(Function& fn, Pf& pf, int vf);  // vf -1 for the PF itself
  void Remove(Function& fn);
  void DestroyVfs(Pf& pf);
  void Build();
  void BuildFunction(const Function& fn, const Pf& pf, int vf);
  std::string VfMac(const Pf& pf, int vf) const;

  NodeConfig config_;
  FirmwareStore& firmware_;
  NetdevBackend& netdevs_;
  SimTree tree_;
  std::vector<Pf> pfs_;
  std::string boot_id_;
  int boots_ = 0;
  bool rdma_exclusive_ = false;  // ib_core netns_mode=0; reset to shared at boot
  std::function<void()> on_change_;
};

}  // namespace sim
