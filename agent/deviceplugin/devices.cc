#include "agent/deviceplugin/devices.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <tuple>

#include "agent/host/sysfs.h"
#include "api/group_version.h"
#include "api/rdma_node_policy.h"

namespace deviceplugin {
namespace {

bool ZeroGuid(const std::string& guid) {
  return std::all_of(guid.begin(), guid.end(), [](char c) { return c == '0' || c == ':' || c == '.'; });
}

const api::VfStatus* FindVf(const api::InterfaceStatus& pf, int32_t index) {
  for (const auto& vf : pf.vfs) {
    if (vf.index == index) return &vf;
  }
  return nullptr;
}

// The netdev and the RDMA device are both gone from the host while the PCI
// function is still bound: exclusive mode moved them into a pod.
bool MovedAway(const api::VfStatus& vf) { return vf.name.empty() && vf.rdma_device.empty() && !vf.driver.empty(); }

VfDevice Device(const api::InterfaceStatus& pf, const api::VfStatus& vf, const VfExtras& extra, bool umad,
                bool pf_applied, const VfDevice* before) {
  VfDevice d;
  d.id = vf.pci_address;
  d.pf = pf.pci_address;
  d.index = vf.index;
  d.away = vf.name.empty();
  if (MovedAway(vf) && before && before->healthy()) {
    // Keep what the host showed before the move; only the PCI function and
    // the PF's apply can still be checked from here.
    d = *before;
    d.away = true;
    d.why_unhealthy = pf_applied ? "" : "its PF's apply has not finished for this generation";
    return d;
  }
  d.rdma_device = vf.rdma_device;
  d.uverbs = UverbsName(vf);
  d.uverbs_dev = extra.uverbs_dev;
  if (umad) {
    d.umad = extra.umad;
    d.umad_dev = extra.umad_dev;
  }
  d.numa_node = extra.numa_node;
  d.why_unhealthy = UnhealthyReason(vf, pf_applied);
  if (d.why_unhealthy.empty() && umad && d.umad.empty()) d.why_unhealthy = "it has no umad device";
  return d;
}

}  // namespace

const VfDevice* ResourceDevices::Find(const std::string& id) const {
  auto it = std::lower_bound(devices.begin(), devices.end(), id,
                             [](const VfDevice& d, const std::string& key) { return d.id < key; });
  return it != devices.end() && it->id == id ? &*it : nullptr;
}

std::string UverbsName(const api::VfStatus& vf) { return host::PathBaseName(vf.uverbs_device); }

bool PfApplied(const api::RdmaNodeStateStatus& status, const std::string& pf) {
  if (status.applied_generation != status.observed_generation) return false;
  if (status.sync_state != api::kSyncFailed || !status.last_error) return true;
  return !status.last_error->interface.empty() && status.last_error->interface != pf;
}

std::string UnhealthyReason(const api::VfStatus& vf, bool pf_applied) {
  if (vf.driver.empty()) return "no driver is bound";
  if (vf.node_guid.empty() || ZeroGuid(vf.node_guid)) return "its node GUID is zero";
  if (vf.port_guid.empty() || ZeroGuid(vf.port_guid)) return "its port GUID is zero";
  if (vf.rdma_device.empty()) return "it has no RDMA device";
  if (vf.uverbs_device.empty()) return "it has no uverbs device";
  if (!pf_applied) return "its PF's apply has not finished for this generation";
  return "";
}

Inventory BuildInventory(const api::RdmaNodeStateSpec& spec, const api::RdmaNodeStateStatus& status,
                         const std::map<std::string, VfExtras>& extras, const Inventory& previous,
                         const std::map<std::string, api::InterfaceSpec>& applied_specs) {
  Inventory out;
  const bool exclusive = status.rdma_namespace_mode == api::kRdmaNamespaceExclusive;
  for (const api::InterfaceSpec& want : spec.interfaces) {
    const api::InterfaceStatus* pf = api::FindInterface(status, want.pci_address);
    auto as_applied = applied_specs.find(want.pci_address);
    const bool unchanged = as_applied != applied_specs.end() && as_applied->second == want;
    const bool failed_here = status.sync_state == api::kSyncFailed && status.last_error &&
                             (status.last_error->interface.empty() || status.last_error->interface == want.pci_address);
    const bool applied = pf && (PfApplied(status, pf->pci_address) || (unchanged && !failed_here));
    for (const api::VfGroup& group : want.vf_groups) {
      ResourceDevices& r = out[group.resource_name];
      r.resource = group.resource_name;
      r.exclusive = exclusive;
      if (!pf) continue;  // the resource is served, with no devices yet
      auto prev = previous.find(group.resource_name);
      for (int32_t i = group.first_vf; i <= group.last_vf; ++i) {
        const api::VfStatus* vf = FindVf(*pf, i);
        if (!vf || vf->pci_address.empty()) continue;  // no such VF (yet): no ID to advertise
        auto extra = extras.find(vf->pci_address);
        const VfDevice* before = prev == previous.end() ? nullptr : prev->second.Find(vf->pci_address);
        r.devices.push_back(Device(*pf, *vf, extra == extras.end() ? VfExtras{} : extra->second,
                                   group.umad.value_or(false), applied, before));
      }
    }
  }
  for (auto& [name, r] : out) {
    std::sort(r.devices.begin(), r.devices.end(), [](const VfDevice& a, const VfDevice& b) { return a.id < b.id; });
  }
  return out;
}

std::vector<std::string> PreferDevices(const ResourceDevices& resource, const std::vector<std::string>& available,
                                       const std::vector<std::string>& must_include, int32_t size) {
  std::vector<std::string> chosen;
  std::set<std::string> taken;
  for (const std::string& id : must_include) {
    if (taken.insert(id).second) chosen.push_back(id);
  }
  std::vector<const VfDevice*> free;
  std::map<std::string, int> free_per_pf;
  for (const std::string& id : available) {
    const VfDevice* d = resource.Find(id);
    if (!d || taken.count(id)) continue;
    taken.insert(id);
    free.push_back(d);
    if (!d->away) ++free_per_pf[d->pf];
  }
  if (free.empty() || static_cast<int32_t>(chosen.size()) >= size) return chosen;

  // What the choice should stay close to: the first already-chosen device
  // that we know, else the PF with the most free VFs that are not away.
  int numa = -1;
  std::string pf;
  if (!chosen.empty()) {
    if (const VfDevice* anchor = resource.Find(chosen.front())) {
      numa = anchor->numa_node;
      pf = anchor->pf;
    }
  } else {
    int best = -1;
    for (const VfDevice* d : free) {
      const int n = free_per_pf.count(d->pf) ? free_per_pf[d->pf] : 0;
      if (n > best) {
        best = n;
        pf = d->pf;
        numa = d->numa_node;
      }
    }
  }
  auto rank = [&](const VfDevice* d) {
    return std::make_tuple(d->away, d->numa_node != numa, d->pf != pf, d->id);
  };
  std::sort(free.begin(), free.end(), [&](const VfDevice* a, const VfDevice* b) { return rank(a) < rank(b); });
  for (const VfDevice* d : free) {
    if (static_cast<int32_t>(chosen.size()) >= size) break;
    chosen.push_back(d->id);
  }
  return chosen;
}

std::string EnvName(const std::string& resource) {
  std::string name = "PCIDEVICE_" + std::string(api::kResourcePrefix) + resource;
  for (char& c : name) {
    c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                                                    : '_';
  }
  return name;
}

std::string CdiName(const std::string& pci) {
  std::string name = pci;
  std::replace(name.begin(), name.end(), ':', '-');
  return name;
}

std::string CdiFileName(const std::string& resource) { return "rdma.dev-" + resource + ".json"; }

v1beta1::ContainerAllocateResponse ContainerResponse(const ResourceDevices& resource,
                                                     const std::vector<std::string>& ids, bool use_cdi) {
  v1beta1::ContainerAllocateResponse out;
  auto add_device = [&](const std::string& path) {
    v1beta1::DeviceSpec* spec = out.add_devices();
    spec->set_container_path(path);
    spec->set_host_path(path);
    spec->set_permissions("rw");  // never empty: runc refuses that
  };
  add_device(kRdmaCmPath);
  std::string joined;
  nlohmann::json info = nlohmann::json::object();
  for (const std::string& id : ids) {
    const VfDevice* d = resource.Find(id);
    if (!d) continue;  // the caller checked; nothing to hand out for an unknown ID
    joined += (joined.empty() ? "" : ",") + id;
    nlohmann::json rdma = {{"rdma_dev", d->rdma_device}, {"rdma_cm", kRdmaCmPath}};
    if (use_cdi) {
      out.add_cdi_devices()->set_name(std::string(kCdiKind) + "=" + CdiName(id));
    } else {
      add_device("/dev/infiniband/" + d->uverbs);
      if (!d->umad.empty()) add_device("/dev/infiniband/" + d->umad);
    }
    // The paths as they are at Allocate time; in exclusive mode the uverbs
    // number can change when the RDMA device moves (the CDI spec follows).
    rdma["uverbs"] = "/dev/infiniband/" + d->uverbs;
    if (!d->umad.empty()) rdma["umad"] = "/dev/infiniband/" + d->umad;
    info[id] = {{"generic", {{"deviceID", id}}}, {"rdma", rdma}};
  }
  const std::string env = EnvName(resource.resource);
  (*out.mutable_envs())[env] = joined;
  (*out.mutable_envs())[env + "_INFO"] = info.dump();
  return out;
}

namespace {

nlohmann::json DeviceNode(const std::string& name, const std::string& dev) {
  nlohmann::json node = {{"path", "/dev/infiniband/" + name},
                         {"hostPath", "/dev/infiniband/" + name},
                         {"type", "c"},
                         {"permissions", "rw"}};
  const auto colon = dev.find(':');
  if (colon != std::string::npos) {
    try {
      node["major"] = std::stoll(dev.substr(0, colon));
      node["minor"] = std::stoll(dev.substr(colon + 1));
    } catch (const std::exception&) {
      // Leave the numbers out: the runtime then reads them from the host node.
    }
  }
  return node;
}

}  // namespace

nlohmann::json CdiSpec(const ResourceDevices& resource) {
  nlohmann::json devices = nlohmann::json::array();
  for (const VfDevice& d : resource.devices) {
    // Unhealthy VFs too: a container restarted while its VF is Unhealthy
    // must still resolve the name it was given.
    if (d.uverbs.empty()) continue;
    nlohmann::json nodes = nlohmann::json::array({DeviceNode(d.uverbs, d.uverbs_dev)});
    if (!d.umad.empty()) nodes.push_back(DeviceNode(d.umad, d.umad_dev));
    devices.push_back({{"name", CdiName(d.id)}, {"containerEdits", {{"deviceNodes", nodes}}}});
  }
  return {{"cdiVersion", kCdiVersion}, {"kind", kCdiKind}, {"devices", devices}};
}

}  // namespace deviceplugin
