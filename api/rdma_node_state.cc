#include "api/rdma_node_state.h"

#include <set>

#include "api/field_checks.h"
#include "api/guid.h"
#include "api/ip_address.h"
#include "api/json_fields.h"

namespace api {

// GuidRange's Fields() live in rdma_node_policy.cc.
void Fields(json_fields::Reader& v, GuidRange& r);
void Fields(json_fields::Writer& v, GuidRange& r);

template <class V>
void NodeFirmwareSpecFields(V& v, NodeFirmwareSpec& f) {
  v("managed", f.managed);
  v("totalVfs", f.total_vfs);
}
void Fields(json_fields::Reader& v, NodeFirmwareSpec& f) { NodeFirmwareSpecFields(v, f); }
void Fields(json_fields::Writer& v, NodeFirmwareSpec& f) { NodeFirmwareSpecFields(v, f); }

template <class V>
void VfGroupFields(V& v, VfGroup& g) {
  v.Required("resourceName", g.resource_name);
  v("policy", g.policy);
  v("firstVf", g.first_vf);
  v("lastVf", g.last_vf);
  v("umad", g.umad);
}
void Fields(json_fields::Reader& v, VfGroup& g) { VfGroupFields(v, g); }
void Fields(json_fields::Writer& v, VfGroup& g) { VfGroupFields(v, g); }

template <class V>
void InterfaceSpecFields(V& v, InterfaceSpec& i) {
  v.Required("pciAddress", i.pci_address);
  v("name", i.name);
  v("numVfs", i.num_vfs);
  v("linkType", i.link_type);
  v("mtu", i.mtu);
  v("firmware", i.firmware);
  v("guidBlock", i.guid_block);
  v("vfGroups", i.vf_groups);
}
void Fields(json_fields::Reader& v, InterfaceSpec& i) { InterfaceSpecFields(v, i); }
void Fields(json_fields::Writer& v, InterfaceSpec& i) { InterfaceSpecFields(v, i); }

template <class V>
void IpBlockFields(V& v, IpBlock& b) {
  v.Required("networkNamespace", b.network_namespace);
  v.Required("network", b.network);
  v.Required("start", b.start);
  v.Required("end", b.end);
}
void Fields(json_fields::Reader& v, IpBlock& b) { IpBlockFields(v, b); }
void Fields(json_fields::Writer& v, IpBlock& b) { IpBlockFields(v, b); }

template <class V>
void DisruptionGrantFields(V& v, DisruptionGrant& d) {
  v("drained", d.drained);
  v("rebootAllowed", d.reboot_allowed);
}
void Fields(json_fields::Reader& v, DisruptionGrant& d) { DisruptionGrantFields(v, d); }
void Fields(json_fields::Writer& v, DisruptionGrant& d) { DisruptionGrantFields(v, d); }

template <class V>
void NodeStateSpecFields(V& v, RdmaNodeStateSpec& s) {
  v("rdmaNamespaceMode", s.rdma_namespace_mode);
  v("disruption", s.disruption);
  v("interfaces", s.interfaces);
  v("ipBlocks", s.ip_blocks);
}
void Fields(json_fields::Reader& v, RdmaNodeStateSpec& s) { NodeStateSpecFields(v, s); }
void Fields(json_fields::Writer& v, RdmaNodeStateSpec& s) { NodeStateSpecFields(v, s); }

template <class V>
void FirmwareParameterFields(V& v, FirmwareParameter& p) {
  v.Required("name", p.name);
  v("default", p.default_value);
  v("current", p.current);
  v("nextBoot", p.next_boot);
}
void Fields(json_fields::Reader& v, FirmwareParameter& p) { FirmwareParameterFields(v, p); }
void Fields(json_fields::Writer& v, FirmwareParameter& p) { FirmwareParameterFields(v, p); }

template <class V>
void FirmwareStatusFields(V& v, FirmwareStatus& f) {
  v("version", f.version);
  v("psid", f.psid);
  v("partNumber", f.part_number);
  v("parameters", f.parameters);
}
void Fields(json_fields::Reader& v, FirmwareStatus& f) { FirmwareStatusFields(v, f); }
void Fields(json_fields::Writer& v, FirmwareStatus& f) { FirmwareStatusFields(v, f); }

template <class V>
void VfStatusFields(V& v, VfStatus& s) {
  v("index", s.index);
  v("pciAddress", s.pci_address);
  v("name", s.name);
  v("driver", s.driver);
  v("mac", s.mac);
  v("rdmaDevice", s.rdma_device);
  v("uverbsDevice", s.uverbs_device);
  v("nodeGuid", s.node_guid);
  v("portGuid", s.port_guid);
}
void Fields(json_fields::Reader& v, VfStatus& s) { VfStatusFields(v, s); }
void Fields(json_fields::Writer& v, VfStatus& s) { VfStatusFields(v, s); }

template <class V>
void InterfaceStatusFields(V& v, InterfaceStatus& s) {
  v.Required("pciAddress", s.pci_address);
  v("name", s.name);
  v("vendor", s.vendor);
  v("deviceID", s.device_id);
  v("driver", s.driver);
  v("linkType", s.link_type);
  v("linkState", s.link_state);
  v("speedMbps", s.speed_mbps);
  v("mtu", s.mtu);
  v("mac", s.mac);
  v("totalVfs", s.total_vfs);
  v("numVfs", s.num_vfs);
  v("rdmaDevice", s.rdma_device);
  v("nodeGuid", s.node_guid);
  v("portGuid", s.port_guid);
  v("firmware", s.firmware);
  v("vfs", s.vfs);
}
void Fields(json_fields::Reader& v, InterfaceStatus& s) { InterfaceStatusFields(v, s); }
void Fields(json_fields::Writer& v, InterfaceStatus& s) { InterfaceStatusFields(v, s); }

template <class V>
void ApplyPhaseFields(V& v, ApplyPhase& p) {
  v.Required("name", p.name);
  v("durationMilliseconds", p.duration_milliseconds);
  v("result", p.result);
}
void Fields(json_fields::Reader& v, ApplyPhase& p) { ApplyPhaseFields(v, p); }
void Fields(json_fields::Writer& v, ApplyPhase& p) { ApplyPhaseFields(v, p); }

template <class V>
void ApplyRunFields(V& v, ApplyRun& r) {
  v("generation", r.generation);
  v("startedAt", r.started_at);
  v("finishedAt", r.finished_at);
  v("phases", r.phases);
}
void Fields(json_fields::Reader& v, ApplyRun& r) { ApplyRunFields(v, r); }
void Fields(json_fields::Writer& v, ApplyRun& r) { ApplyRunFields(v, r); }

template <class V>
void AgentErrorFields(V& v, AgentError& e) {
  v("time", e.time);
  v("operation", e.operation);
  v("interface", e.interface);
  v("message", e.message);
}
void Fields(json_fields::Reader& v, AgentError& e) { AgentErrorFields(v, e); }
void Fields(json_fields::Writer& v, AgentError& e) { AgentErrorFields(v, e); }

template <class V>
void AttachmentStatusFields(V& v, AttachmentStatus& a) {
  v.Required("pod", a.pod);
  v("podUID", a.pod_uid);
  v.Required("interface", a.interface_name);
  v.Required("vf", a.vf);
  v("network", a.network);
  v("address", a.address);
  v("phase", a.phase);
}
void Fields(json_fields::Reader& v, AttachmentStatus& a) { AttachmentStatusFields(v, a); }
void Fields(json_fields::Writer& v, AttachmentStatus& a) { AttachmentStatusFields(v, a); }

template <class V>
void NodeStateStatusFields(V& v, RdmaNodeStateStatus& s) {
  v("observedGeneration", s.observed_generation);
  v("appliedGeneration", s.applied_generation);
  v("syncState", s.sync_state);
  v("rebootRequired", s.reboot_required);
  v("vfCount", s.vf_count);
  v("rdmaNamespaceMode", s.rdma_namespace_mode);
  v("agentVersion", s.agent_version);
  v("interfaces", s.interfaces);
  v("attachments", s.attachments);
  v("lastApply", s.last_apply);
  v("lastError", s.last_error);
  v("conditions", s.conditions);
}
void Fields(json_fields::Reader& v, RdmaNodeStateStatus& s) { NodeStateStatusFields(v, s); }
void Fields(json_fields::Writer& v, RdmaNodeStateStatus& s) { NodeStateStatusFields(v, s); }

template <class V>
void NodeStateFields(V& v, RdmaNodeState& n) {
  v("apiVersion", n.api_version);
  v("kind", n.kind);
  v("metadata", n.metadata);
  v("spec", n.spec);
  v("status", n.status);
}
void Fields(json_fields::Reader& v, RdmaNodeState& n) { NodeStateFields(v, n); }
void Fields(json_fields::Writer& v, RdmaNodeState& n) { NodeStateFields(v, n); }

FieldErrors FromJson(const nlohmann::json& in, RdmaNodeState* out) {
  return json_fields::DecodeRoot(in, out);
}

nlohmann::json ToJson(const RdmaNodeState& state) { return json_fields::EncodeRoot(state); }

namespace {

void ValidateInterface(const InterfaceSpec& pf, const std::string& path, FieldErrors* errors) {
  if (!checks::IsPciAddress(pf.pci_address)) {
    errors->push_back({Child(path, "pciAddress"),
                       "\"" + pf.pci_address + "\" is not a PCI address such as 0000:41:00.0"});
  }
  if (!pf.num_vfs) errors->push_back({Child(path, "numVfs"), "is required"});
  checks::CheckRange(pf.num_vfs, 0, 256, Child(path, "numVfs"), errors);
  checks::CheckEnum(pf.link_type, {kLinkTypeEthernet, kLinkTypeInfiniBand}, "link type", Child(path, "linkType"),
                    errors);
  checks::CheckRange(pf.mtu, 576, 9216, Child(path, "mtu"), errors);
  if (pf.firmware) {
    checks::CheckRange(pf.firmware->total_vfs, 1, 256, Child(path, "firmware.totalVfs"), errors);
    if (pf.firmware->total_vfs && pf.num_vfs && *pf.firmware->total_vfs < *pf.num_vfs) {
      errors->push_back({Child(path, "firmware.totalVfs"),
                         "must be at least numVfs (" + std::to_string(*pf.num_vfs) + ")"});
    }
  }
  if (pf.guid_block) {
    auto start = ParseGuid(pf.guid_block->start);
    auto end = ParseGuid(pf.guid_block->end);
    if (!start || !end || *start == 0 || *end < *start) {
      errors->push_back({Child(path, "guidBlock"),
                         "must be two non-zero GUIDs (aa:bb:cc:dd:ee:ff:00:11) with start <= end, got " +
                             pf.guid_block->start + " .. " + pf.guid_block->end});
    } else if (pf.num_vfs && *end - *start + 1 < static_cast<uint64_t>(*pf.num_vfs)) {
      errors->push_back({Child(path, "guidBlock"), "holds " + std::to_string(*end - *start + 1) +
                                                       " GUIDs but numVfs is " +
                                                       std::to_string(*pf.num_vfs)});
    }
  }
  for (size_t i = 0; i < pf.vf_groups.size(); ++i) {
    const VfGroup& g = pf.vf_groups[i];
    std::string p = Index(Child(path, "vfGroups"), i);
    checks::CheckResourceName(g.resource_name, Child(p, "resourceName"), errors);
    if (g.first_vf < 0 || g.first_vf > g.last_vf) {
      errors->push_back({p, "VF range " + std::to_string(g.first_vf) + "-" +
                                std::to_string(g.last_vf) + " is empty or negative"});
      continue;
    }
    if (pf.num_vfs && g.last_vf >= *pf.num_vfs) {
      errors->push_back({p, "VF range " + std::to_string(g.first_vf) + "-" +
                                std::to_string(g.last_vf) + " ends beyond numVfs " +
                                std::to_string(*pf.num_vfs)});
    }
    for (size_t j = 0; j < i; ++j) {
      const VfGroup& o = pf.vf_groups[j];
      if (g.first_vf <= o.last_vf && o.first_vf <= g.last_vf) {
        errors->push_back({p, "VF range overlaps vfGroups[" + std::to_string(j) + "]"});
      }
    }
  }
}

}  // namespace

FieldErrors Validate(const RdmaNodeState& state) {
  FieldErrors errors;
  if (state.metadata.name.empty()) errors.push_back({"metadata.name", "is required (the node's name)"});
  const RdmaNodeStateSpec& spec = state.spec;
  checks::CheckEnum(spec.rdma_namespace_mode, {kRdmaNamespaceExclusive, kRdmaNamespaceShared}, "RDMA namespace mode",
                    "spec.rdmaNamespaceMode", &errors);
  std::set<std::string> seen;
  for (size_t i = 0; i < spec.interfaces.size(); ++i) {
    std::string p = Index("spec.interfaces", i);
    ValidateInterface(spec.interfaces[i], p, &errors);
    if (!seen.insert(spec.interfaces[i].pci_address).second) {
      errors.push_back({Child(p, "pciAddress"), spec.interfaces[i].pci_address + " is listed twice"});
    }
  }
  for (size_t i = 0; i < spec.ip_blocks.size(); ++i) {
    const IpBlock& b = spec.ip_blocks[i];
    std::string p = Index("spec.ipBlocks", i);
    auto start = IpAddress::Parse(b.start);
    auto end = IpAddress::Parse(b.end);
    if (!start || !end || start->family() != end->family() || *end < *start) {
      errors.push_back({p, "must be two addresses of one family with start <= end, got " + b.start +
                               " .. " + b.end});
    }
    if (b.network.empty() || b.network_namespace.empty()) {
      errors.push_back({p, "must name its RdmaNetwork (networkNamespace and network)"});
    }
  }
  return errors;
}

const InterfaceSpec* FindInterface(const RdmaNodeStateSpec& spec, const std::string& pci_address) {
  for (const InterfaceSpec& i : spec.interfaces) {
    if (i.pci_address == pci_address) return &i;
  }
  return nullptr;
}

const InterfaceStatus* FindInterface(const RdmaNodeStateStatus& status,
                                     const std::string& pci_address) {
  for (const InterfaceStatus& i : status.interfaces) {
    if (i.pci_address == pci_address) return &i;
  }
  return nullptr;
}

}  // namespace api
