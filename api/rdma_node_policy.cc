#include "api/rdma_node_policy.h"

#include <algorithm>
#include <map>

#include "api/field_checks.h"
#include "api/guid.h"
#include "api/json_fields.h"
#include "api/pf_name_selector.h"

namespace api {

// Field lists, one per struct (see json_fields.h). They live in namespace
// api so that argument-dependent lookup finds them.
template <class V>
void NicSelectorFields(V& v, NicSelector& s) {
  v("vendor", s.vendor);
  v("deviceIDs", s.device_ids);
  v("pfNames", s.pf_names);
  v("pciAddresses", s.pci_addresses);
}
void Fields(json_fields::Reader& v, NicSelector& s) { NicSelectorFields(v, s); }
void Fields(json_fields::Writer& v, NicSelector& s) { NicSelectorFields(v, s); }

template <class V>
void FirmwareSpecFields(V& v, FirmwareSpec& f) {
  v("managed", f.managed);
  v("allowReboot", f.allow_reboot);
  v("totalVfs", f.total_vfs);
}
void Fields(json_fields::Reader& v, FirmwareSpec& f) { FirmwareSpecFields(v, f); }
void Fields(json_fields::Writer& v, FirmwareSpec& f) { FirmwareSpecFields(v, f); }

template <class V>
void GuidRangeFields(V& v, GuidRange& r) {
  v.Required("start", r.start);
  v.Required("end", r.end);
}
void Fields(json_fields::Reader& v, GuidRange& r) { GuidRangeFields(v, r); }
void Fields(json_fields::Writer& v, GuidRange& r) { GuidRangeFields(v, r); }

template <class V>
void GuidSpecFields(V& v, GuidSpec& g) {
  v("mode", g.mode);
  v("pool", g.pool);
}
void Fields(json_fields::Reader& v, GuidSpec& g) { GuidSpecFields(v, g); }
void Fields(json_fields::Writer& v, GuidSpec& g) { GuidSpecFields(v, g); }

template <class V>
void DisruptionSpecFields(V& v, DisruptionSpec& d) {
  v("maxUnavailable", d.max_unavailable);
  v("drainTimeoutSeconds", d.drain_timeout_seconds);
  v("onDrainTimeout", d.on_drain_timeout);
}
void Fields(json_fields::Reader& v, DisruptionSpec& d) { DisruptionSpecFields(v, d); }
void Fields(json_fields::Writer& v, DisruptionSpec& d) { DisruptionSpecFields(v, d); }

template <class V>
void PolicySpecFields(V& v, RdmaNodePolicySpec& s) {
  v("priority", s.priority);
  v("nodeSelector", s.node_selector);
  v("nicSelector", s.nic_selector);
  v("numVfs", s.num_vfs);
  v("linkType", s.link_type);
  v("mtu", s.mtu);
  v.Required("resourceName", s.resource_name);
  v("firmware", s.firmware);
  v("guid", s.guid);
  v("rdmaNamespaceMode", s.rdma_namespace_mode);
  v("umad", s.umad);
  v("disruption", s.disruption);
}
void Fields(json_fields::Reader& v, RdmaNodePolicySpec& s) { PolicySpecFields(v, s); }
void Fields(json_fields::Writer& v, RdmaNodePolicySpec& s) { PolicySpecFields(v, s); }

template <class V>
void BlockedNodeFields(V& v, RolloutBlockedNode& b) {
  v.Required("node", b.node);
  v("message", b.message);
  v("pods", b.pods);
}
void Fields(json_fields::Reader& v, RolloutBlockedNode& b) { BlockedNodeFields(v, b); }
void Fields(json_fields::Writer& v, RolloutBlockedNode& b) { BlockedNodeFields(v, b); }

template <class V>
void PolicyRolloutFields(V& v, PolicyRolloutStatus& r) {
  v("pending", r.pending);
  v("draining", r.draining);
  v("rebooting", r.rebooting);
  v("done", r.done);
  v("failed", r.failed);
  v("blocked", r.blocked);
}
void Fields(json_fields::Reader& v, PolicyRolloutStatus& r) { PolicyRolloutFields(v, r); }
void Fields(json_fields::Writer& v, PolicyRolloutStatus& r) { PolicyRolloutFields(v, r); }

template <class V>
void PolicyStatusFields(V& v, RdmaNodePolicyStatus& s) {
  v("observedGeneration", s.observed_generation);
  v("matchedNodes", s.matched_nodes);
  v("readyNodes", s.ready_nodes);
  v("rollout", s.rollout);
  v("conditions", s.conditions);
}
void Fields(json_fields::Reader& v, RdmaNodePolicyStatus& s) { PolicyStatusFields(v, s); }
void Fields(json_fields::Writer& v, RdmaNodePolicyStatus& s) { PolicyStatusFields(v, s); }

template <class V>
void PolicyFields(V& v, RdmaNodePolicy& p) {
  v("apiVersion", p.api_version);
  v("kind", p.kind);
  v("metadata", p.metadata);
  v("spec", p.spec);
  v("status", p.status);
}
void Fields(json_fields::Reader& v, RdmaNodePolicy& p) { PolicyFields(v, p); }
void Fields(json_fields::Writer& v, RdmaNodePolicy& p) { PolicyFields(v, p); }

FieldErrors FromJson(const nlohmann::json& in, RdmaNodePolicy* out) {
  return json_fields::DecodeRoot(in, out);
}

nlohmann::json ToJson(const RdmaNodePolicy& policy) { return json_fields::EncodeRoot(policy); }

namespace {

void ValidateNicSelector(const NicSelector& nic, const std::optional<int32_t>& num_vfs,
                         const std::string& path, FieldErrors* errors) {
  if (!nic.vendor && nic.device_ids.empty() && nic.pf_names.empty() && nic.pci_addresses.empty()) {
    errors->push_back({path,
                       "needs at least one of vendor, deviceIDs, pfNames or pciAddresses; an empty "
                       "selector would match every NIC, including the one the node uses for "
                       "cluster traffic"});
  }
  if (nic.vendor && !checks::IsPciId(*nic.vendor)) {
    errors->push_back({Child(path, "vendor"), "\"" + *nic.vendor +
                                                  "\" is not a PCI vendor ID: four lower-case hex "
                                                  "digits such as \"15b3\" (quote it in YAML)"});
  }
  for (size_t i = 0; i < nic.device_ids.size(); ++i) {
    if (!checks::IsPciId(nic.device_ids[i])) {
      errors->push_back({Index(Child(path, "deviceIDs"), i),
                         "\"" + nic.device_ids[i] +
                             "\" is not a PCI device ID: four lower-case hex digits such as "
                             "\"1017\" (quote it in YAML)"});
    }
  }
  // VF ranges of one PF within this policy must not overlap: a VF cannot be
  // advertised twice.
  std::map<std::string, std::vector<std::pair<VfRange, size_t>>> ranges_by_pf;
  for (size_t i = 0; i < nic.pf_names.size(); ++i) {
    std::string p = Index(Child(path, "pfNames"), i);
    std::string error;
    std::optional<PfNameSelector> sel = ParsePfNameSelector(nic.pf_names[i], &error);
    if (!sel) {
      errors->push_back({p, error});
      continue;
    }
    if (!sel->vfs) continue;
    if (num_vfs && sel->vfs->last >= *num_vfs) {
      errors->push_back({p, "VF range " + std::to_string(sel->vfs->first) + "-" +
                                std::to_string(sel->vfs->last) + " of " + sel->pf_name +
                                " ends beyond numVfs " + std::to_string(*num_vfs) +
                                " (VFs are numbered 0 to " + std::to_string(*num_vfs - 1) +
                                "); lower the range or raise numVfs"});
    }
    for (const auto& [other, j] : ranges_by_pf[sel->pf_name]) {
      if (other.Overlaps(*sel->vfs)) {
        errors->push_back({p, "VF range overlaps pfNames[" + std::to_string(j) + "] (\"" +
                                  nic.pf_names[j] + "\") of the same PF"});
      }
    }
    ranges_by_pf[sel->pf_name].push_back({*sel->vfs, i});
  }
  for (size_t i = 0; i < nic.pci_addresses.size(); ++i) {
    if (!checks::IsPciAddress(nic.pci_addresses[i])) {
      errors->push_back({Index(Child(path, "pciAddresses"), i),
                         "\"" + nic.pci_addresses[i] +
                             "\" is not a PCI address: domain:bus:device.function in lower-case "
                             "hex, such as 0000:41:00.0"});
    }
  }
}

void ValidateGuid(const GuidSpec& guid, const std::string& path, FieldErrors* errors) {
  checks::CheckEnum(guid.mode, {kGuidModeDerived, kGuidModePool}, "GUID mode", Child(path, "mode"), errors);
  if (guid.mode == kGuidModePool && !guid.pool) {
    errors->push_back({Child(path, "pool"), "is required with mode Pool: the GUID range (start, end) "
                                            "the operator hands out per node"});
  }
  if (!guid.pool) return;
  std::string pool = Child(path, "pool");
  std::optional<uint64_t> start = ParseGuid(guid.pool->start);
  std::optional<uint64_t> end = ParseGuid(guid.pool->end);
  for (auto [value, text, key] : {std::tuple{start, guid.pool->start, "start"},
                                  std::tuple{end, guid.pool->end, "end"}}) {
    if (!value) {
      errors->push_back({Child(pool, key), "\"" + text +
                                               "\" is not a GUID: eight hex bytes separated by ':', "
                                               "such as 02:00:00:00:00:00:00:01"});
    } else if (*value == 0) {
      errors->push_back({Child(pool, key), "a GUID of zero is not usable (RDMA_CM fails on it)"});
    }
  }
  if (start && end && *start > *end) {
    errors->push_back({pool, "start " + guid.pool->start + " is after end " + guid.pool->end});
  }
}

void ValidateDisruption(const DisruptionSpec& d, const std::string& path, FieldErrors* errors) {
  const nlohmann::json& mu = d.max_unavailable;
  std::string mu_path = Child(path, "maxUnavailable");
  if (mu.is_number_integer()) {
    if (mu.get<int64_t>() < 1) {
      errors->push_back({mu_path, "must be at least 1 node, got " + json_fields::Dump(mu)});
    }
  } else if (mu.is_string()) {
    std::string s = mu.get<std::string>();
    bool ok = s.size() >= 2 && s.size() <= 4 && s.back() == '%' &&
              std::all_of(s.begin(), s.end() - 1, [](char c) { return c >= '0' && c <= '9'; }) &&
              s.front() != '0';
    if (ok) {
      int pct = std::stoi(s.substr(0, s.size() - 1));
      ok = pct >= 1 && pct <= 100;
    }
    if (!ok) errors->push_back({mu_path, "\"" + s + "\" must be a percentage from 1% to 100%"});
  } else if (!mu.is_null()) {
    errors->push_back({mu_path, "must be a number of nodes or a percentage such as \"10%\", got " +
                                    json_fields::TypeName(mu)});
  }
  checks::CheckRange(d.drain_timeout_seconds, 0, 86400, Child(path, "drainTimeoutSeconds"), errors);
  checks::CheckEnum(d.on_drain_timeout, {kOnDrainTimeoutWait, kOnDrainTimeoutAbort, kOnDrainTimeoutForce}, "onDrainTimeout action",
                    Child(path, "onDrainTimeout"), errors);
}

}  // namespace

FieldErrors Validate(const RdmaNodePolicy& policy) {
  FieldErrors errors;
  if (policy.metadata.name.empty()) errors.push_back({"metadata.name", "is required"});
  const RdmaNodePolicySpec& spec = policy.spec;
  checks::CheckRange(spec.priority, 0, 99, "spec.priority", &errors);
  if (!spec.node_selector) {
    errors.push_back({"spec.nodeSelector", "is required; {} selects every node"});
  } else {
    for (FieldError& e : ValidateLabelSelector(*spec.node_selector, "spec.nodeSelector")) {
      errors.push_back(std::move(e));
    }
  }
  if (!spec.num_vfs) {
    errors.push_back({"spec.numVfs", "is required: the number of VFs per selected PF (0 to 256)"});
  }
  checks::CheckRange(spec.num_vfs, 0, 256, "spec.numVfs", &errors);
  if (!spec.nic_selector) {
    errors.push_back({"spec.nicSelector", "is required: which PFs to configure (vendor, deviceIDs, "
                                          "pfNames or pciAddresses)"});
  } else {
    ValidateNicSelector(*spec.nic_selector, spec.num_vfs, "spec.nicSelector", &errors);
  }
  checks::CheckEnum(spec.link_type, {kLinkTypeEthernet, kLinkTypeInfiniBand}, "link type", "spec.linkType", &errors);
  checks::CheckRange(spec.mtu, 576, 9216, "spec.mtu", &errors);
  if (spec.mtu && spec.link_type == kLinkTypeInfiniBand && *spec.mtu > kMaxInfiniBandMtu &&
      *spec.mtu <= 9216) {
    errors.push_back({"spec.mtu", "an InfiniBand (IPoIB) interface supports an MTU of at most 4092, "
                                  "got " + std::to_string(*spec.mtu)});
  }
  checks::CheckResourceName(spec.resource_name, "spec.resourceName", &errors);
  if (spec.firmware) {
    checks::CheckRange(spec.firmware->total_vfs, 1, 256, "spec.firmware.totalVfs", &errors);
    if (spec.firmware->total_vfs && spec.num_vfs && *spec.firmware->total_vfs < *spec.num_vfs) {
      errors.push_back({"spec.firmware.totalVfs",
                        "firmware would offer " + std::to_string(*spec.firmware->total_vfs) +
                            " VFs but numVfs asks for " + std::to_string(*spec.num_vfs) +
                            "; raise totalVfs or leave it unset (it defaults to numVfs)"});
    }
  }
  if (spec.guid) ValidateGuid(*spec.guid, "spec.guid", &errors);
  checks::CheckEnum(spec.rdma_namespace_mode, {kRdmaNamespaceExclusive, kRdmaNamespaceShared}, "RDMA namespace mode",
                    "spec.rdmaNamespaceMode", &errors);
  if (spec.disruption) ValidateDisruption(*spec.disruption, "spec.disruption", &errors);
  return errors;
}

RdmaNodePolicySpec WithDefaults(RdmaNodePolicySpec spec) {
  if (!spec.priority) spec.priority = kDefaultPriority;
  if (!spec.firmware) spec.firmware.emplace();
  if (!spec.firmware->managed) spec.firmware->managed = kDefaultFirmwareManaged;
  if (!spec.firmware->allow_reboot) spec.firmware->allow_reboot = kDefaultAllowReboot;
  if (!spec.guid) spec.guid.emplace();
  if (!spec.guid->mode) spec.guid->mode = kDefaultGuidMode;
  if (!spec.rdma_namespace_mode) spec.rdma_namespace_mode = kDefaultRdmaNamespaceMode;
  if (!spec.disruption) spec.disruption.emplace();
  if (spec.disruption->max_unavailable.is_null()) {
    spec.disruption->max_unavailable = kDefaultMaxUnavailable;
  }
  if (!spec.disruption->drain_timeout_seconds) {
    spec.disruption->drain_timeout_seconds = kDefaultDrainTimeoutSeconds;
  }
  if (!spec.disruption->on_drain_timeout) spec.disruption->on_drain_timeout = kDefaultOnDrainTimeout;
  return spec;
}

int32_t ResolveMaxUnavailable(const nlohmann::json& max_unavailable, int32_t matched_nodes,
                              PercentRounding rounding) {
  const int64_t matched = std::max<int32_t>(matched_nodes, 1);
  int64_t n = kDefaultMaxUnavailable;
  if (max_unavailable.is_number_integer()) {
    n = max_unavailable.get<int64_t>();
  } else if (max_unavailable.is_string()) {
    const std::string s = max_unavailable.get<std::string>();
    const std::string digits = s.empty() ? "" : s.substr(0, s.size() - 1);
    const bool percent = !digits.empty() && s.back() == '%' &&
                         std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (percent) {
      int64_t pct = 0;
      for (char c : digits) pct = std::min<int64_t>(pct * 10 + (c - '0'), 100);
      n = rounding == PercentRounding::kUp ? (pct * matched + 99) / 100 : pct * matched_nodes / 100;
    }
  }
  return static_cast<int32_t>(std::clamp<int64_t>(n, 1, matched));
}

int32_t MaxUnavailableNodes(const DisruptionSpec& disruption, int32_t matched_nodes) {
  return ResolveMaxUnavailable(disruption.max_unavailable, matched_nodes, PercentRounding::kDown);
}

}  // namespace api
