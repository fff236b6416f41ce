#include "api/rdma_network.h"

#include <algorithm>

#include "api/field_checks.h"
#include "api/json_fields.h"

namespace api {

template <class V>
void IpRangeSpecFields(V& v, IpRangeSpec& r) {
  v.Required("start", r.start);
  v.Required("end", r.end);
}
void Fields(json_fields::Reader& v, IpRangeSpec& r) { IpRangeSpecFields(v, r); }
void Fields(json_fields::Writer& v, IpRangeSpec& r) { IpRangeSpecFields(v, r); }

template <class V>
void RouteSpecFields(V& v, RouteSpec& r) {
  v.Required("destination", r.destination);
  v("gateway", r.gateway);
}
void Fields(json_fields::Reader& v, RouteSpec& r) { RouteSpecFields(v, r); }
void Fields(json_fields::Writer& v, RouteSpec& r) { RouteSpecFields(v, r); }

template <class V>
void IpamSpecFields(V& v, IpamSpec& i) {
  v.Required("subnet", i.subnet);
  v("ranges", i.ranges);
  v("excludes", i.excludes);
  v("gateway", i.gateway);
  v("routes", i.routes);
  v("nodeBlockSize", i.node_block_size);
}
void Fields(json_fields::Reader& v, IpamSpec& i) { IpamSpecFields(v, i); }
void Fields(json_fields::Writer& v, IpamSpec& i) { IpamSpecFields(v, i); }

template <class V>
void NetworkSpecFields(V& v, RdmaNetworkSpec& s) {
  v.Required("resourceName", s.resource_name);
  v("targetNamespaces", s.target_namespaces);
  v("ipam", s.ipam);
  v("vlan", s.vlan);
  v("vlanQoS", s.vlan_qos);
  v("mtu", s.mtu);
  v("trust", s.trust);
  v("spoofChk", s.spoof_chk);
  v("linkState", s.link_state);
  v("minTxRateMbps", s.min_tx_rate_mbps);
  v("maxTxRateMbps", s.max_tx_rate_mbps);
}
void Fields(json_fields::Reader& v, RdmaNetworkSpec& s) { NetworkSpecFields(v, s); }
void Fields(json_fields::Writer& v, RdmaNetworkSpec& s) { NetworkSpecFields(v, s); }

template <class V>
void NadReferenceFields(V& v, NadReference& r) {
  v.Required("namespace", r.namespace_);
  v.Required("name", r.name);
}
void Fields(json_fields::Reader& v, NadReference& r) { NadReferenceFields(v, r); }
void Fields(json_fields::Writer& v, NadReference& r) { NadReferenceFields(v, r); }

template <class V>
void AddressUsageFields(V& v, AddressUsage& a) {
  v("blockSize", a.block_size);
  v("capacityBlocks", a.capacity_blocks);
  v("allocatedBlocks", a.allocated_blocks);
}
void Fields(json_fields::Reader& v, AddressUsage& a) { AddressUsageFields(v, a); }
void Fields(json_fields::Writer& v, AddressUsage& a) { AddressUsageFields(v, a); }

template <class V>
void NetworkStatusFields(V& v, RdmaNetworkStatus& s) {
  v("observedGeneration", s.observed_generation);
  v("networkAttachmentDefinitions", s.network_attachment_definitions);
  v("addresses", s.addresses);
  v("conditions", s.conditions);
}
void Fields(json_fields::Reader& v, RdmaNetworkStatus& s) { NetworkStatusFields(v, s); }
void Fields(json_fields::Writer& v, RdmaNetworkStatus& s) { NetworkStatusFields(v, s); }

template <class V>
void NetworkFields(V& v, RdmaNetwork& n) {
  v("apiVersion", n.api_version);
  v("kind", n.kind);
  v("metadata", n.metadata);
  v("spec", n.spec);
  v("status", n.status);
}
void Fields(json_fields::Reader& v, RdmaNetwork& n) { NetworkFields(v, n); }
void Fields(json_fields::Writer& v, RdmaNetwork& n) { NetworkFields(v, n); }

FieldErrors FromJson(const nlohmann::json& in, RdmaNetwork* out) {
  return json_fields::DecodeRoot(in, out);
}

nlohmann::json ToJson(const RdmaNetwork& network) { return json_fields::EncodeRoot(network); }

namespace {

const char* FamilyName(IpAddress::Family f) { return f == IpAddress::Family::kV4 ? "IPv4" : "IPv6"; }

// Parses an address that must lie in `subnet`; adds an error otherwise.
std::optional<IpAddress> CheckAddressInSubnet(const std::string& text, const std::optional<Cidr>& subnet,
                                              const std::string& path, FieldErrors* errors) {
  std::optional<IpAddress> ip = IpAddress::Parse(text);
  if (!ip) {
    errors->push_back({path, "\"" + text + "\" is not an IPv4 or IPv6 address"});
    return std::nullopt;
  }
  if (subnet && !subnet->Contains(*ip)) {
    errors->push_back({path, text + " is outside the subnet " + subnet->ToString()});
    return std::nullopt;
  }
  return ip;
}

void ValidateIpam(const IpamSpec& ipam, const std::string& path, FieldErrors* errors) {
  std::optional<Cidr> subnet = Cidr::Parse(ipam.subnet);
  if (!subnet) {
    errors->push_back({Child(path, "subnet"), "\"" + ipam.subnet +
                                                  "\" is not a CIDR such as 192.168.100.0/24 or "
                                                  "fd00:100::/64"});
  }
  std::vector<std::pair<IpRange, size_t>> ranges;
  for (size_t i = 0; i < ipam.ranges.size(); ++i) {
    std::string p = Index(Child(path, "ranges"), i);
    auto start = CheckAddressInSubnet(ipam.ranges[i].start, subnet, Child(p, "start"), errors);
    auto end = CheckAddressInSubnet(ipam.ranges[i].end, subnet, Child(p, "end"), errors);
    if (!start || !end) continue;
    if (start->family() != end->family()) {
      errors->push_back({p, "start and end must be of one address family"});
      continue;
    }
    if (*end < *start) {
      errors->push_back({p, "end " + ipam.ranges[i].end + " is before start " + ipam.ranges[i].start});
      continue;
    }
    IpRange range{*start, *end};
    for (const auto& [other, j] : ranges) {
      if (other.Overlaps(range)) {
        errors->push_back({p, "overlaps ranges[" + std::to_string(j) + "] (" +
                                  ipam.ranges[j].start + "-" + ipam.ranges[j].end +
                                  "); an address must belong to one range only"});
      }
    }
    ranges.push_back({range, i});
  }
  for (size_t i = 0; i < ipam.excludes.size(); ++i) {
    const std::string& e = ipam.excludes[i];
    std::string p = Index(Child(path, "excludes"), i);
    std::optional<IpAddress::Family> family;
    if (auto ip = IpAddress::Parse(e)) {
      family = ip->family();
    } else if (auto c = Cidr::Parse(e)) {
      family = c->address.family();
    } else {
      errors->push_back({p, "\"" + e + "\" is neither an IP address nor a CIDR"});
      continue;
    }
    if (subnet && *family != subnet->address.family()) {
      errors->push_back({p, std::string(FamilyName(*family)) + " exclude in an " +
                                FamilyName(subnet->address.family()) + " subnet"});
    }
  }
  if (ipam.gateway) CheckAddressInSubnet(*ipam.gateway, subnet, Child(path, "gateway"), errors);
  for (size_t i = 0; i < ipam.routes.size(); ++i) {
    std::string p = Index(Child(path, "routes"), i);
    std::optional<Cidr> dst = Cidr::Parse(ipam.routes[i].destination);
    if (!dst) {
      errors->push_back({Child(p, "destination"),
                         "\"" + ipam.routes[i].destination + "\" is not a CIDR (0.0.0.0/0 for a default route)"});
    } else if (subnet && dst->address.family() != subnet->address.family()) {
      errors->push_back({Child(p, "destination"), std::string(FamilyName(dst->address.family())) +
                                                      " route in an " +
                                                      FamilyName(subnet->address.family()) + " subnet"});
    }
    if (ipam.routes[i].gateway && !IpAddress::Parse(*ipam.routes[i].gateway)) {
      errors->push_back({Child(p, "gateway"),
                         "\"" + *ipam.routes[i].gateway + "\" is not an IPv4 or IPv6 address"});
    }
  }
  checks::CheckRange(ipam.node_block_size, 1, 65536, Child(path, "nodeBlockSize"), errors);
}

}  // namespace

FieldErrors Validate(const RdmaNetwork& network) {
  FieldErrors errors;
  if (network.metadata.name.empty()) errors.push_back({"metadata.name", "is required"});
  const RdmaNetworkSpec& spec = network.spec;
  checks::CheckResourceName(spec.resource_name, "spec.resourceName", &errors);
  for (size_t i = 0; i < spec.target_namespaces.size(); ++i) {
    if (!checks::IsDnsLabel(spec.target_namespaces[i])) {
      errors.push_back({Index("spec.targetNamespaces", i),
                        "\"" + spec.target_namespaces[i] + "\" is not a namespace name"});
    }
  }
  if (spec.ipam) ValidateIpam(*spec.ipam, "spec.ipam", &errors);
  checks::CheckRange(spec.vlan, 0, 4094, "spec.vlan", &errors);
  checks::CheckRange(spec.vlan_qos, 0, 7, "spec.vlanQoS", &errors);
  checks::CheckRange(spec.mtu, 576, 9216, "spec.mtu", &errors);
  checks::CheckEnum(spec.link_state, {"Auto", "Enable", "Disable"}, "link state", "spec.linkState",
                    &errors);
  checks::CheckRange(spec.min_tx_rate_mbps, 0, INT32_MAX, "spec.minTxRateMbps", &errors);
  checks::CheckRange(spec.max_tx_rate_mbps, 0, INT32_MAX, "spec.maxTxRateMbps", &errors);
  if (spec.min_tx_rate_mbps && spec.max_tx_rate_mbps && *spec.max_tx_rate_mbps != 0 &&
      *spec.min_tx_rate_mbps > *spec.max_tx_rate_mbps) {
    errors.push_back({"spec.minTxRateMbps", "minimum rate " + std::to_string(*spec.min_tx_rate_mbps) +
                                                " exceeds maxTxRateMbps " +
                                                std::to_string(*spec.max_tx_rate_mbps)});
  }
  return errors;
}

std::vector<std::string> TargetNamespaces(const RdmaNetwork& network) {
  if (!network.spec.target_namespaces.empty()) return network.spec.target_namespaces;
  return {network.metadata.namespace_};
}

namespace {

// Removes [cut.start, cut.end] from every range in *ranges.
void Subtract(std::vector<IpRange>* ranges, const IpRange& cut) {
  std::vector<IpRange> out;
  for (const IpRange& r : *ranges) {
    if (r.start.family() != cut.start.family() || !r.Overlaps(cut)) {
      out.push_back(r);
      continue;
    }
    if (r.start < cut.start) {
      out.push_back({r.start, IpAddress::FromValue(r.start.family(), cut.start.value() - 1)});
    }
    if (cut.end < r.end) {
      out.push_back({IpAddress::FromValue(r.end.family(), cut.end.value() + 1), r.end});
    }
  }
  *ranges = std::move(out);
}

}  // namespace

std::optional<std::vector<IpRange>> UsableRanges(const IpamSpec& ipam) {
  std::optional<Cidr> subnet = Cidr::Parse(ipam.subnet);
  if (!subnet) return std::nullopt;
  std::vector<IpRange> ranges;
  if (ipam.ranges.empty()) {
    IpRange whole{subnet->First(), subnet->Last()};
    ranges.push_back(whole);
    // The network address is never a host address; in IPv4 neither is the
    // broadcast address (except in /31 and /32 point-to-point subnets).
    bool v4 = subnet->address.family() == IpAddress::Family::kV4;
    if (subnet->prefix_length < subnet->address.bits() - (v4 ? 1 : 0)) {
      Subtract(&ranges, {whole.start, whole.start});
      if (v4) Subtract(&ranges, {whole.end, whole.end});
    }
  } else {
    for (const IpRangeSpec& r : ipam.ranges) {
      auto start = IpAddress::Parse(r.start);
      auto end = IpAddress::Parse(r.end);
      if (!start || !end || *end < *start) return std::nullopt;
      ranges.push_back({*start, *end});
    }
  }
  for (const std::string& e : ipam.excludes) {
    if (auto ip = IpAddress::Parse(e)) {
      Subtract(&ranges, {*ip, *ip});
    } else if (auto c = Cidr::Parse(e)) {
      Subtract(&ranges, {c->First(), c->Last()});
    } else {
      return std::nullopt;
    }
  }
  if (ipam.gateway) {
    auto gw = IpAddress::Parse(*ipam.gateway);
    if (!gw) return std::nullopt;
    Subtract(&ranges, {*gw, *gw});
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const IpRange& a, const IpRange& b) { return a.start < b.start; });
  return ranges;
}

}  // namespace api
