#include "agent/discovery.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "agent/host/rtnetlink_codec.h"
#include "api/guid.h"

namespace agent {
namespace {


std::string StripHex(const std::string& s) { return s.rfind("0x", 0) == 0 ? s.substr(2) : s; }

// "aaaa:bbbb:cccc:dddd" (sysfs) -> "aa:aa:bb:bb:cc:cc:dd:dd" (API); "" if unparsable.
std::string ApiGuid(const std::string& sysfs_form) {
  auto g = host::ParseSysfsGuid(sysfs_form);
  return g.ok() ? api::FormatGuid(*g) : "";
}

std::string LinkTypeName(const std::string& type) {
  if (type == "1") return api::kLinkTypeEthernet;  // ARPHRD_ETHER
  if (type == "32") return api::kLinkTypeInfiniBand;  // ARPHRD_INFINIBAND
  return "";
}

}  // namespace

struct Discovery::Links {
  std::map<std::string, host::Link> by_name;
  const host::Link* Find(const std::string& name) const {
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : &it->second;
  }
};

host::Result<int> ReadInt(host::Sysfs& sysfs, const std::string& path) {
  auto r = sysfs.Read(path);
  if (!r.ok()) return r.error();
  int v = 0;
  const std::string& s = *r;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) {
    return host::Error{"read " + path + ": \"" + s + "\" is not a number", EINVAL};
  }
  return v;
}

host::Result<std::string> VfAddress(host::Sysfs& sysfs, const std::string& pf_pci, int index) {
  auto target = sysfs.ReadLink(kPciDevices + pf_pci + "/virtfn" + std::to_string(index));
  if (!target.ok()) return target.error();
  return host::PathBaseName(*target);
}

std::string FirstEntry(host::Sysfs& sysfs, const std::string& pci, const std::string& dir) {
  auto names = sysfs.List(kPciDevices + pci + "/" + dir);
  if (!names.ok() || names->empty()) return "";
  return names->front();
}

uint64_t ReadNodeGuid(host::Sysfs& sysfs, const std::string& pci) {
  std::string ibdev = FirstEntry(sysfs, pci, "infiniband");
  if (ibdev.empty()) return 0;
  auto text = sysfs.Read("class/infiniband/" + ibdev + "/node_guid");
  if (!text.ok()) return 0;
  auto g = host::ParseSysfsGuid(*text);
  return g.ok() ? *g : 0;
}

Discovery::Links Discovery::ReadLinks(std::vector<std::string>* w) {
  Links links;
  if (!netlink_) return links;
  auto list = netlink_->ListLinks();
  if (!list.ok()) {
    w->push_back("list links: " + list.error().message);
    return links;
  }
  for (auto& l : *list) links.by_name[l.name] = l;
  return links;
}

Discovered Discovery::Run() {
  Discovered out;
  Links links = ReadLinks(&out.warnings);
  auto devices = sysfs_.List("bus/pci/devices");
  if (!devices.ok()) {
    out.warnings.push_back("list PCI devices: " + devices.error().message);
    return out;
  }
  // VFs are PCI devices too; those of a PF already reported need no look
  // (with 128 VFs that saves 256 sysfs operations per discovery).
  std::set<std::string> reported_vfs;
  for (const auto& pci : *devices) {
    if (reported_vfs.count(pci)) continue;
    if (auto pf = PfWith(pci, links, &out.warnings)) {
      for (const auto& vf : pf->vfs) reported_vfs.insert(vf.pci_address);
      out.interfaces.push_back(std::move(*pf));
    }
  }
  return out;
}

std::optional<api::InterfaceStatus> Discovery::Pf(const std::string& pci, std::vector<std::string>* warnings,
                                                  bool with_vfs) {
  return PfWith(pci, ReadLinks(warnings), warnings, with_vfs);
}

std::optional<api::InterfaceStatus> Discovery::PfWith(const std::string& pci, const Links& links,
                                                      std::vector<std::string>* w, bool with_vfs) {
  const std::string dir = kPciDevices + pci;
  auto vendor = sysfs_.Read(dir + "/vendor");
  if (!vendor.ok() || *vendor != "0x15b3") return std::nullopt;
  if (sysfs_.Exists(dir + "/physfn")) return std::nullopt;  // a VF, reported under its PF
  api::InterfaceStatus pf;
  pf.pci_address = pci;
  pf.vendor = StripHex(*vendor);
  if (auto dev = sysfs_.Read(dir + "/device"); dev.ok()) pf.device_id = StripHex(*dev);
  if (auto drv = sysfs_.ReadLink(dir + "/driver"); drv.ok()) pf.driver = host::PathBaseName(*drv);
  pf.name = FirstEntry(sysfs_, pci, "net");
  pf.link_state = "Unknown";
  if (!pf.name.empty()) {
    if (auto type = sysfs_.Read("class/net/" + pf.name + "/type"); type.ok()) pf.link_type = LinkTypeName(*type);
    if (auto speed = ReadInt(sysfs_, "class/net/" + pf.name + "/speed"); speed.ok() && *speed > 0) {
      pf.speed_mbps = *speed;
    }
    if (const host::Link* l = links.Find(pf.name)) {
      pf.mtu = static_cast<int32_t>(l->mtu);
      pf.mac = l->mac;
      pf.link_state = l->operstate == 6 /* IF_OPER_UP */ ? "Up" : "Down";
    }
  }
  pf.rdma_device = FirstEntry(sysfs_, pci, "infiniband");
  if (!pf.rdma_device.empty()) {
    if (pf.link_type.empty()) {
      auto ll = sysfs_.Read("class/infiniband/" + pf.rdma_device + "/ports/1/link_layer");
      if (ll.ok()) pf.link_type = *ll;
    }
    if (auto g = sysfs_.Read("class/infiniband/" + pf.rdma_device + "/node_guid"); g.ok()) {
      pf.node_guid = ApiGuid(*g);
      pf.port_guid = pf.node_guid;
    } else {
      w->push_back(g.error().message);
    }
  }
  // sriov_* exist only when firmware enables SR-IOV; absent means 0 VFs possible.
  if (sysfs_.Exists(dir + "/sriov_totalvfs")) {
    auto total = ReadInt(sysfs_, dir + "/sriov_totalvfs");
    if (total.ok()) pf.total_vfs = *total; else w->push_back(total.error().message);
    auto num = ReadInt(sysfs_, dir + "/sriov_numvfs");
    if (num.ok()) pf.num_vfs = *num; else w->push_back(num.error().message);
  }
  auto entries = with_vfs ? sysfs_.List(dir) : host::Result<std::vector<std::string>>(std::vector<std::string>{});
  if (entries.ok()) {
    std::vector<int> indexes;
    for (const auto& e : *entries) {
      if (e.rfind("virtfn", 0) != 0) continue;
      int i = 0;
      auto [p, ec] = std::from_chars(e.data() + 6, e.data() + e.size(), i);
      if (ec == std::errc() && p == e.data() + e.size()) indexes.push_back(i);
    }
    std::sort(indexes.begin(), indexes.end());
    for (int i : indexes) {
      if (auto vf = VfWith(pci, i, links, w)) pf.vfs.push_back(std::move(*vf));
    }
  }
  return pf;
}

std::optional<api::VfStatus> Discovery::VfWith(const std::string& pf_pci, int index, const Links& links,
                                               std::vector<std::string>* w) {
  auto address = VfAddress(sysfs_, pf_pci, index);
  if (!address.ok()) return std::nullopt;
  api::VfStatus vf;
  vf.index = index;
  vf.pci_address = *address;
  const std::string dir = kPciDevices + vf.pci_address;
  if (auto drv = sysfs_.ReadLink(dir + "/driver"); drv.ok()) vf.driver = host::PathBaseName(*drv);
  vf.name = FirstEntry(sysfs_, vf.pci_address, "net");
  if (const host::Link* l = vf.name.empty() ? nullptr : links.Find(vf.name)) vf.mac = l->mac;
  vf.rdma_device = FirstEntry(sysfs_, vf.pci_address, "infiniband");
  std::string uverbs = FirstEntry(sysfs_, vf.pci_address, "infiniband_verbs");
  if (!uverbs.empty()) vf.uverbs_device = "/dev/infiniband/" + uverbs;
  if (!vf.rdma_device.empty()) {
    if (auto g = sysfs_.Read("class/infiniband/" + vf.rdma_device + "/node_guid"); g.ok()) {
      vf.node_guid = ApiGuid(*g);
    } else {
      w->push_back(g.error().message);
    }
  }
  // The agent always sets node and port GUID together; the port GUID itself
  // is visible only in the port's GID table, which mlx5 VFs on RoCE lack.
  vf.port_guid = vf.node_guid;
  return vf;
}

}  // namespace agent
