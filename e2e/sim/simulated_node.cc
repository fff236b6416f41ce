#include "e2e/sim/simulated_node.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <random>

#include "agent/host/netlink.h"
#include "agent/host/rtnetlink_codec.h"

namespace sim {
namespace {

const char kDevices[] = "sys/devices/pci0000:00/";
const char kDriver[] = "mlx5_core";

// Char device numbers (ATTACH-FACTS.md 7.1): uverbsN is 231:192+N, umadN is
// 231:N; rdma_cm is a misc device (major 10) with a dynamic minor, 58 here.
constexpr unsigned kIbMajor = 231;
constexpr unsigned kUverbsBase = 192;
constexpr unsigned kUmadBase = 0;
constexpr unsigned kMiscMajor = 10;
constexpr unsigned kRdmaCmMinor = 58;

std::string DevNumber(unsigned major, unsigned minor) { return std::to_string(major) + ":" + std::to_string(minor); }

// ida_alloc: the lowest number not in use.
int LowestFree(const std::set<int>& used) {
  int i = 0;
  while (used.count(i)) ++i;
  return i;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\n\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\n\r\0");
  return s.substr(b, e - b + 1);
}

std::string NewBootId() {
  std::random_device rd;
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-4%03x-%04x-%04x%08x", rd(), rd() & 0xffff, rd() & 0xfff,
                (rd() & 0x3fff) | 0x8000, rd() & 0xffff, rd());
  return buf;
}

// sriov/<i>/node format: 8 bytes, colon separated.
std::string FormatGuidBytes(uint64_t g) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x:%02x:%02x", unsigned(g >> 56) & 0xff,
                unsigned(g >> 48) & 0xff, unsigned(g >> 40) & 0xff, unsigned(g >> 32) & 0xff, unsigned(g >> 24) & 0xff,
                unsigned(g >> 16) & 0xff, unsigned(g >> 8) & 0xff, unsigned(g) & 0xff);
  return buf;
}

uint64_t GuidFromMac(const std::string& mac) {
  auto b = host::ParseMac(mac);
  if (!b.ok()) return 0;
  const auto& m = *b;
  return (uint64_t{m[0]} << 56) | (uint64_t{m[1]} << 48) | (uint64_t{m[2]} << 40) | (uint64_t{0x03} << 32) |
         (uint64_t{m[3]} << 16) | (uint64_t{m[4]} << 8) | uint64_t{m[5]};
}

}  // namespace

SimulatedNode::SimulatedNode(NodeConfig config, FirmwareStore& firmware, NetdevBackend& netdevs)
    : config_(std::move(config)), firmware_(firmware), netdevs_(netdevs) {}

SimulatedNode::~SimulatedNode() {
  for (auto& pf : pfs_) {
    DestroyVfs(pf);
    Remove(pf.fn);
  }
}

host::Status SimulatedNode::Boot() {
  for (auto& pf : pfs_) {
    DestroyVfs(pf);
    Remove(pf.fn);
  }
  pfs_.clear();
  boot_id_ = NewBootId();
  ++boots_;
  // ib_core's netns_mode module default; the agent sets it again after boot.
  rdma_exclusive_ = false;
  for (const PfConfig& cfg : config_.pfs) {
    auto factory = FirmwareDeviceState::Factory(cfg.pci, cfg.ports, cfg.link_type);
    factory.max_vfs = cfg.max_vfs;
    host::Status st = firmware_.Ensure(factory);
    if (!st.ok()) return st;
    auto fw = firmware_.Load(cfg.pci);
    if (!fw.ok()) return fw.error();
    Pf pf;
    pf.cfg = cfg;
    pf.fn.pci = cfg.pci;
    pf.fn.netdev_name = cfg.netdev;
    auto cur = [&](const std::string& name) -> std::string {
      const FirmwareParamState* p = fw->Find(name);
      return p ? p->current : "";
    };
    pf.sriov = cur("SRIOV_EN") == "True(1)";
    int num = 0;
    const std::string n = cur("NUM_OF_VFS");
    std::from_chars(n.data(), n.data() + n.size(), num);
    pf.total_vfs = pf.sriov ? std::min(num, cfg.max_vfs) : 0;
    pf.ib = cur("LINK_TYPE_P1") == "IB(1)";
    pfs_.push_back(std::move(pf));
  }
  for (auto& pf : pfs_) {
    host::Status st = Probe(pf.fn, pf, -1);
    if (!st.ok()) return st;
  }
  Build();
  return host::Status::Ok();
}

host::Status SimulatedNode::Reboot() {
  for (auto& pf : pfs_) {
    DestroyVfs(pf);
    Remove(pf.fn);
  }
  host::Status st = firmware_.Reboot();
  if (!st.ok()) return st;
  return Boot();
}

void SimulatedNode::Refresh() {
  if (netdevs_.LinksChanged()) Build();
}

std::string SimulatedNode::VfMac(const Pf& pf, int vf) const {
  // Locally administered: 02, the PF MAC's last three bytes, the VF index.
  auto b = host::ParseMac(pf.cfg.mac);
  if (!b.ok()) return "02:00:00:00:00:00";
  char buf[24];
  std::snprintf(buf, sizeof(buf), "02:%02x:%02x:%02x:%02x:%02x", (*b)[3], (*b)[4], (*b)[5], (vf >> 8) & 0xff,
                vf & 0xff);
  return buf;
}

host::Status SimulatedNode::Probe(Function& fn, Pf& pf, int vf) {
  std::string mac = vf < 0 ? pf.cfg.mac : VfMac(pf, vf);
  if (vf >= 0 && pf.admin[vf].mac != "00:00:00:00:00:00") mac = pf.admin[vf].mac;
  auto nd = netdevs_.Create(fn.netdev_name, mac);
  if (!nd.ok()) return host::Error{"probe " + fn.pci + ": " + nd.error().message, nd.error().sys_errno};
  fn.netdev = *nd;
  fn.bound = true;
  // The RDMA core, uverbs and umad each hand out the lowest free number.
  std::set<int> ibdevs, uverbs, umads;
  auto note = [&](const Function& f) {
    if (!f.ibdev.empty()) ibdevs.insert(std::stoi(f.ibdev.substr(5)));  // "mlx5_N"
    if (f.uverbs >= 0) uverbs.insert(f.uverbs);
    if (f.umad >= 0) umads.insert(f.umad);
  };
  for (const auto& p : pfs_) {
    note(p.fn);
    for (const auto& f : p.vfs) note(f);
  }
  fn.ibdev = "mlx5_" + std::to_string(LowestFree(ibdevs));
  fn.uverbs = LowestFree(uverbs);
  fn.umad = LowestFree(umads);
  if (vf < 0) {
    fn.node_guid = pf.cfg.NodeGuid();
    fn.port_guid = fn.node_guid;
  } else {
    const VfAdmin& a = pf.admin[vf];
    // mlx5: an admin GUID if one was set, else (RoCE) one derived from the
    // admin MAC, else zero — the case that breaks RDMA_CM.
    fn.node_guid = a.node_guid != 0 ? a.node_guid : (a.mac != "00:00:00:00:00:00" ? GuidFromMac(a.mac) : 0);
    fn.port_guid = a.port_guid != 0 ? a.port_guid : fn.node_guid;
  }
  return host::Status::Ok();
}

void SimulatedNode::Remove(Function& fn) {
  if (fn.netdev) netdevs_.Destroy(*fn.netdev);
  fn.netdev.reset();
  fn.bound = false;
  fn.ibdev.clear();
  fn.uverbs = -1;
  fn.umad = -1;
  fn.node_guid = fn.port_guid = 0;
}

void SimulatedNode::DestroyVfs(Pf& pf) {
  std::vector<Netdev> netdevs;
  for (auto& vf : pf.vfs) {
    if (vf.netdev) netdevs.push_back(*vf.netdev);
    vf.netdev.reset();
    Remove(vf);
  }
  host::Status st = netdevs_.DestroyAll(netdevs);
  if (!st.ok())
    std::fprintf(stderr, "sysfs-sim: remove VF netdevs of %s: %s\n", pf.fn.pci.c_str(), st.message().c_str());
  pf.vfs.clear();
  pf.admin.clear();
}

SimulatedNode::Function* SimulatedNode::FindFunction(const std::string& pci, Pf** pf_out, int* vf_out) {
  for (auto& pf : pfs_) {
    if (pf.fn.pci == pci) {
      *pf_out = &pf;
      *vf_out = -1;
      return &pf.fn;
    }
    for (size_t i = 0; i < pf.vfs.size(); ++i) {
      if (pf.vfs[i].pci == pci) {
        *pf_out = &pf;
        *vf_out = static_cast<int>(i);
        return &pf.vfs[i];
      }
    }
  }
  return nullptr;
}

int SimulatedNode::WriteNumVfs(size_t index, const std::string& value) {
  Pf& pf = pfs_[index];
  const std::string v = Trim(value);
  int n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || n < 0) return EINVAL;
  // The kernel's order of checks: range, driver, no-op, disable, busy.
  if (n > pf.total_vfs) return ERANGE;
  if (!pf.fn.bound) return ENOENT;  // no driver to configure SR-IOV
  const int current = static_cast<int>(pf.vfs.size());
  if (n == current) return 0;
  if (n == 0) {
    DestroyVfs(pf);
    Build();
    return 0;
  }
  if (current != 0) return EBUSY;  // the kernel refuses N -> M: go through 0
  pf.admin.assign(static_cast<size_t>(n), VfAdmin{});
  for (int i = 0; i < n; ++i) {
    Function fn;
    fn.pci = pf.cfg.VfPci(i);
    fn.netdev_name = pf.cfg.VfNetdev(i);
    pf.vfs.push_back(fn);
  }
  for (int i = 0; i < n; ++i) {
    host::Status st = Probe(pf.vfs[static_cast<size_t>(i)], pf, i);
    if (!st.ok()) {
      std::fprintf(stderr, "sysfs-sim: %s\n", st.message().c_str());
      DestroyVfs(pf);
      Build();
      return st.sys_errno() != 0 ? st.sys_errno() : EIO;
    }
  }
  Build();
  return 0;
}

int SimulatedNode::WriteUnbind(const std::string& value) {
  Pf* pf;
  int vf;
  Function* fn = FindFunction(Trim(value), &pf, &vf);
  if (fn == nullptr || !fn->bound) return ENODEV;
  if (vf < 0) DestroyVfs(*pf);  // the PF driver going away takes its VFs along
  Remove(*fn);
  Build();
  return 0;
}

int SimulatedNode::WriteBind(const std::string& value) {
  Pf* pf;
  int vf;
  Function* fn = FindFunction(Trim(value), &pf, &vf);
  if (fn == nullptr) return ENODEV;
  if (fn->bound) return EBUSY;
  host::Status st = Probe(*fn, *pf, vf);
  Build();
  if (!st.ok()) {
    std::fprintf(stderr, "sysfs-sim: %s\n", st.message().c_str());
    return st.sys_errno() != 0 ? st.sys_errno() : EIO;
  }
  return 0;
}

int SimulatedNode::WriteGuid(size_t pf, size_t vf, bool node, const std::string& value) {
  const std::string v = Trim(value);
  if (v.size() != 23) return EINVAL;
  for (size_t i = 2; i < 23; i += 3)
    if (v[i] != ':') return EINVAL;
  auto guid = host::ParseSysfsGuid(v);
  if (!guid.ok()) return EINVAL;
  VfAdmin& a = pfs_[pf].admin[vf];
  (node ? a.node_guid : a.port_guid) = *guid;
  return 0;
}

int SimulatedNode::WriteVfMac(size_t pf, size_t vf, const std::string& value) {
  const std::string v = Trim(value);
  if (!host::ParseMac(v).ok()) return EINVAL;
  pfs_[pf].admin[vf].mac = v;
  return 0;
}

int SimulatedNode::WritePolicy(size_t pf, size_t vf, const std::string& value) {
  const std::string v = Trim(value);
  if (v != "Up" && v != "Down" && v != "Follow") return EINVAL;
  pfs_[pf].admin[vf].policy = v;
  return 0;
}

int SimulatedNode::WriteControl(const std::string& value) {
  if (Trim(value) != "reboot") return EINVAL;
  host::Status st = Reboot();
  if (!st.ok()) {
    std::fprintf(stderr, "sysfs-sim: reboot: %s\n", st.message().c_str());
    return EIO;
  }
  return 0;
}

int SimulatedNode::WriteRdmaNetnsMode(const std::string& value) {
  const std::string v = Trim(value);
  if (v != "shared" && v != "exclusive") return EINVAL;
  rdma_exclusive_ = v == "exclusive";
  return 0;
}

void SimulatedNode::BuildFunction(const Function& fn, const Pf& pf, int vf) {
  const std::string dir = kDevices + fn.pci;
  tree_.AddConstFile(dir + "/vendor", "0x15b3");
  tree_.AddConstFile(dir + "/device", vf < 0 ? pf.cfg.device_id : pf.cfg.vf_device_id);
  tree_.AddConstFile(dir + "/class", pf.ib ? "0x020700" : "0x020000");
  tree_.AddConstFile(dir + "/numa_node", "-1");
  tree_.AddLink("sys/bus/pci/devices/" + fn.pci, "../../../devices/pci0000:00/" + fn.pci);
  if (vf >= 0) tree_.AddLink(dir + "/physfn", "../" + pf.fn.pci);
  if (!fn.bound) return;
  tree_.AddLink(dir + "/driver", std::string("../../../bus/pci/drivers/") + kDriver);
  tree_.AddLink(std::string("sys/bus/pci/drivers/") + kDriver + "/" + fn.pci,
                "../../../../devices/pci0000:00/" + fn.pci);

  const std::string name = fn.netdev ? netdevs_.CurrentName(*fn.netdev) : "";
  if (!name.empty()) {
    const std::string net = dir + "/net/" + name;
    tree_.AddConstFile(net + "/type", pf.ib ? "32" : "1");
    tree_.AddConstFile(net + "/ifindex", std::to_string(fn.netdev->ifindex));
    tree_.AddConstFile(net + "/dev_port", "0");
    tree_.AddLink(net + "/device", "../../../" + fn.pci);
    tree_.AddLink("sys/class/net/" + name, "../../devices/pci0000:00/" + fn.pci + "/net/" + name);
  }
  const std::string ib = dir + "/infiniband/" + fn.ibdev;
  tree_.AddConstFile(ib + "/node_guid", host::FormatSysfsGuid(fn.node_guid));
  tree_.AddConstFile(ib + "/sys_image_guid", host::FormatSysfsGuid(vf < 0 ? fn.node_guid : pf.fn.node_guid));
  tree_.AddConstFile(ib + "/node_type", "1: CA");
  tree_.AddConstFile(ib + "/ports/1/link_layer", pf.ib ? "InfiniBand" : "Ethernet");
  tree_.AddConstFile(ib + "/ports/1/state", "4: ACTIVE");
  if (!name.empty()) tree_.AddConstFile(ib + "/ports/1/gid_attrs/ndevs/0", name);
  tree_.AddLink(ib + "/device", "../../../" + fn.pci);
  tree_.AddLink("sys/class/infiniband/" + fn.ibdev, "../../devices/pci0000:00/" + fn.pci + "/infiniband/" + fn.ibdev);
  const std::string uv = "uverbs" + std::to_string(fn.uverbs);
  const std::string verbs = dir + "/infiniband_verbs/" + uv;
  tree_.AddConstFile(verbs + "/ibdev", fn.ibdev);
  tree_.AddConstFile(verbs + "/dev", DevNumber(kIbMajor, kUverbsBase + fn.uverbs));
  tree_.AddLink(verbs + "/device", "../../../" + fn.pci);
  tree_.AddLink("sys/class/infiniband_verbs/" + uv, "../../devices/pci0000:00/" + fn.pci + "/infiniband_verbs/" + uv);
  const std::string um = "umad" + std::to_string(fn.umad);
  const std::string mad = dir + "/infiniband_mad/" + um;
  tree_.AddConstFile(mad + "/ibdev", fn.ibdev);
  tree_.AddConstFile(mad + "/port", "1");
  tree_.AddConstFile(mad + "/dev", DevNumber(kIbMajor, kUmadBase + fn.umad));
  tree_.AddLink(mad + "/device", "../../../" + fn.pci);
  tree_.AddLink("sys/class/infiniband_mad/" + um, "../../devices/pci0000:00/" + fn.pci + "/infiniband_mad/" + um);
}

void SimulatedNode::Build() {
  tree_.Remove("sys");
  tree_.Remove("proc");
  tree_.Remove("sim");
  const std::string drivers = std::string("sys/bus/pci/drivers/") + kDriver;
  tree_.AddDir("sys/class/net");
  tree_.AddDir("sys/class/infiniband");
  tree_.AddDir("sys/class/infiniband_verbs");
  tree_.AddDir("sys/class/infiniband_mad");
  // rdma_ucm's misc device: registered at module load, independent of how
  // many RDMA devices there are.
  tree_.AddConstFile("sys/devices/virtual/misc/rdma_cm/dev", DevNumber(kMiscMajor, kRdmaCmMinor));
  tree_.AddLink("sys/class/misc/rdma_cm", "../../devices/virtual/misc/rdma_cm");
  tree_.AddFile(drivers + "/bind", nullptr, [this](const std::string& v) { return WriteBind(v); });
  tree_.AddFile(drivers + "/unbind", nullptr, [this](const std::string& v) { return WriteUnbind(v); });
  for (size_t p = 0; p < pfs_.size(); ++p) {
    const Pf& pf = pfs_[p];
    BuildFunction(pf.fn, pf, -1);
    const std::string dir = kDevices + pf.fn.pci;
    if (pf.sriov) {
      tree_.AddConstFile(dir + "/sriov_totalvfs", std::to_string(pf.total_vfs));
      tree_.AddFile(
          dir + "/sriov_numvfs", [this, p] { return std::to_string(pfs_[p].vfs.size()) + "\n"; },
          [this, p](const std::string& v) { return WriteNumVfs(p, v); });
      tree_.AddConstFile(dir + "/sriov_offset", std::to_string(pf.cfg.vf_offset));
      tree_.AddConstFile(dir + "/sriov_stride", "1");
      tree_.AddConstFile(dir + "/sriov_vf_device", pf.cfg.vf_device_id.substr(2));
      tree_.AddConstFile(dir + "/sriov_drivers_autoprobe", "1");
    }
    for (size_t i = 0; i < pf.vfs.size(); ++i) {
      BuildFunction(pf.vfs[i], pf, static_cast<int>(i));
      tree_.AddLink(dir + "/virtfn" + std::to_string(i), "../" + pf.vfs[i].pci);
      const std::string s = dir + "/sriov/" + std::to_string(i);
      tree_.AddFile(
          s + "/node", [this, p, i] { return FormatGuidBytes(pfs_[p].admin[i].node_guid) + "\n"; },
          [this, p, i](const std::string& v) { return WriteGuid(p, i, true, v); });
      tree_.AddFile(
          s + "/port", [this, p, i] { return FormatGuidBytes(pfs_[p].admin[i].port_guid) + "\n"; },
          [this, p, i](const std::string& v) { return WriteGuid(p, i, false, v); });
      tree_.AddFile(
          s + "/mac", [this, p, i] { return pfs_[p].admin[i].mac + "\n"; },
          [this, p, i](const std::string& v) { return WriteVfMac(p, i, v); });
      tree_.AddFile(
          s + "/policy", [this, p, i] { return pfs_[p].admin[i].policy + "\n"; },
          [this, p, i](const std::string& v) { return WritePolicy(p, i, v); });
    }
  }
  tree_.AddConstFile("proc/sys/kernel/random/boot_id", boot_id_);
  tree_.AddFile(
      "sim/control",
      [this] {
        std::string s = "boot_id " + boot_id_ + "\nboots " + std::to_string(boots_) + "\n";
        for (const auto& pf : pfs_) {
          s += "pf " + pf.fn.pci + " sriov " + (pf.sriov ? "on" : "off") + " total_vfs " +
               std::to_string(pf.total_vfs) + " num_vfs " + std::to_string(pf.vfs.size()) + "\n";
        }
        return s;
      },
      [this](const std::string& v) { return WriteControl(v); });
  tree_.AddFile(
      "sim/rdma_netns_mode", [this] { return std::string(rdma_exclusive_ ? "exclusive" : "shared") + "\n"; },
      [this](const std::string& v) { return WriteRdmaNetnsMode(v); });
  if (on_change_) on_change_();
}

std::vector<CharDevice> SimulatedNode::CharDevices() const {
  std::vector<CharDevice> devs = {{"rdma_cm", kMiscMajor, kRdmaCmMinor}};
  auto add = [&](const Function& fn) {
    if (!fn.bound) return;
    devs.push_back({"uverbs" + std::to_string(fn.uverbs), kIbMajor, kUverbsBase + unsigned(fn.uverbs)});
    devs.push_back({"umad" + std::to_string(fn.umad), kIbMajor, kUmadBase + unsigned(fn.umad)});
  };
  for (const auto& pf : pfs_) {
    add(pf.fn);
    for (const auto& vf : pf.vfs) add(vf);
  }
  std::sort(devs.begin(), devs.end(), [](const CharDevice& a, const CharDevice& b) { return a.name < b.name; });
  return devs;
}


}  // namespace sim
