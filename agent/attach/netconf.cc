#include "agent/attach/netconf.h"

#include <limits>

namespace attach {
namespace {

using nlohmann::json;

cni::CniError Bad(const std::string& field, const std::string& why) {
  return cni::CniError{cni::kInvalidConfig, "network config field \"" + field + "\" " + why,
                       "fix the RdmaNetwork (the operator renders this NAD's config from it)"};
}

// An integer field in [lo, hi], or nothing when absent.
std::optional<cni::CniError> ReadUint(const json& config, const std::string& field, uint32_t lo, uint32_t hi,
                                      std::optional<uint32_t>* out) {
  auto it = config.find(field);
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer() && !it->is_number_unsigned()) return Bad(field, "must be an integer");
  const int64_t v = it->get<int64_t>();
  if (v < lo || v > hi) {
    return Bad(field, "is " + std::to_string(v) + ", must be " + std::to_string(lo) + "-" + std::to_string(hi));
  }
  *out = static_cast<uint32_t>(v);
  return std::nullopt;
}

// "on" / "off", as sriov-cni takes them.
std::optional<cni::CniError> ReadOnOff(const json& config, const std::string& field, std::optional<bool>* out) {
  auto it = config.find(field);
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (!it->is_string() || (*it != "on" && *it != "off")) return Bad(field, "must be \"on\" or \"off\"");
  *out = *it == "on";
  return std::nullopt;
}

bool IsMac(const std::string& s) {
  if (s.size() != 17) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i % 3 == 2) {
      if (s[i] != ':') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

std::optional<cni::CniError> ReadIpam(const json& config, std::optional<IpamConf>* out) {
  auto it = config.find("ipam");
  if (it == config.end() || it->is_null() || (it->is_object() && it->empty())) return std::nullopt;
  if (!it->is_object()) return Bad("ipam", "must be an object");
  const json& ipam = *it;
  if (ipam.value("type", "") != kNodeBlockIpam) {
    return Bad("ipam.type", std::string("must be \"") + kNodeBlockIpam + "\" (rdma-cni hands out the node's block)");
  }
  IpamConf conf;
  auto subnet = ipam.contains("subnet") && ipam["subnet"].is_string()
                    ? api::Cidr::Parse(ipam["subnet"].get<std::string>())
                    : std::nullopt;
  if (!subnet) return Bad("ipam.subnet", "must be a CIDR such as \"192.168.100.0/24\"");
  conf.subnet = *subnet;
  if (ipam.contains("gateway")) {
    auto gw = ipam["gateway"].is_string() ? api::IpAddress::Parse(ipam["gateway"].get<std::string>()) : std::nullopt;
    if (!gw || !conf.subnet.Contains(*gw)) return Bad("ipam.gateway", "must be an address in ipam.subnet");
    conf.gateway = *gw;
  }
  if (ipam.contains("routes")) {
    if (!ipam["routes"].is_array()) return Bad("ipam.routes", "must be a list");
    for (size_t i = 0; i < ipam["routes"].size(); ++i) {
      const json& r = ipam["routes"][i];
      const std::string field = "ipam.routes[" + std::to_string(i) + "]";
      auto dst = r.is_object() && r.contains("dst") && r["dst"].is_string() ? api::Cidr::Parse(r["dst"].get<std::string>())
                                                                            : std::nullopt;
      if (!dst) return Bad(field + ".dst", "must be a CIDR");
      host::Route route;
      route.destination = host::IpPrefix{dst->First().ToString(), static_cast<uint8_t>(dst->prefix_length)};
      if (r.contains("gw")) {
        auto gw = r["gw"].is_string() ? api::IpAddress::Parse(r["gw"].get<std::string>()) : std::nullopt;
        if (!gw || gw->family() != dst->address.family()) return Bad(field + ".gw", "must be an address of dst's family");
        route.gateway = gw->ToString();
      }
      conf.routes.push_back(std::move(route));
    }
  }
  *out = std::move(conf);
  return std::nullopt;
}

}  // namespace

cni::Result<NetConf> ParseNetConf(const cni::Invocation& invocation) {
  const json& c = invocation.config;
  NetConf conf;
  conf.cni_version = invocation.cni_version;
  if (auto n = c.find("network"); n != c.end() && !n->is_null()) {
    if (!n->is_object() || !n->contains("namespace") || !(*n)["namespace"].is_string() || !n->contains("name") ||
        !(*n)["name"].is_string()) {
      return Bad("network", "must be {\"namespace\": ..., \"name\": ...}");
    }
    conf.network_namespace = (*n)["namespace"];
    conf.network_name = (*n)["name"];
  }
  if (auto e = ReadUint(c, "vlan", 0, 4094, &conf.vlan)) return *e;
  if (auto e = ReadUint(c, "vlanQoS", 0, 7, &conf.vlan_qos)) return *e;
  if (conf.vlan_qos && *conf.vlan_qos != 0 && !conf.vlan) return Bad("vlanQoS", "needs \"vlan\"");
  if (auto e = ReadUint(c, "mtu", 68, 65535, &conf.mtu)) return *e;
  const uint32_t kMaxRate = std::numeric_limits<int32_t>::max();
  if (auto e = ReadUint(c, "min_tx_rate", 0, kMaxRate, &conf.min_tx_rate)) return *e;
  if (auto e = ReadUint(c, "max_tx_rate", 0, kMaxRate, &conf.max_tx_rate)) return *e;
  if (conf.min_tx_rate && conf.max_tx_rate && *conf.max_tx_rate != 0 && *conf.min_tx_rate > *conf.max_tx_rate) {
    return Bad("min_tx_rate", "is above max_tx_rate");
  }
  if (auto e = ReadOnOff(c, "trust", &conf.trust)) return *e;
  if (auto e = ReadOnOff(c, "spoofchk", &conf.spoofchk)) return *e;
  if (auto it = c.find("link_state"); it != c.end() && !it->is_null()) {
    if (*it == "auto") {
      conf.link_state = host::VfLinkState::kAuto;
    } else if (*it == "enable") {
      conf.link_state = host::VfLinkState::kEnable;
    } else if (*it == "disable") {
      conf.link_state = host::VfLinkState::kDisable;
    } else {
      return Bad("link_state", "must be \"auto\", \"enable\" or \"disable\"");
    }
  }
  // mac: the config, then runtimeConfig.mac, then CNI_ARGS MAC= (as sriov-cni).
  std::optional<std::string> mac;
  if (c.contains("mac")) {
    if (!c["mac"].is_string()) return Bad("mac", "must be a string");
    mac = c["mac"].get<std::string>();
  }
  if (c.contains("runtimeConfig") && c["runtimeConfig"].is_object() && c["runtimeConfig"].contains("mac")) {
    if (!c["runtimeConfig"]["mac"].is_string()) return Bad("runtimeConfig.mac", "must be a string");
    mac = c["runtimeConfig"]["mac"].get<std::string>();
  }
  for (const auto& [k, v] : invocation.cni_args) {
    if (k == "MAC") mac = v;
  }
  if (mac) {
    if (!IsMac(*mac)) return Bad("mac", "is \"" + *mac + "\", must be six hex bytes such as 02:00:00:00:00:01");
    conf.mac = *mac;
  }
  if (auto e = ReadIpam(c, &conf.ipam)) return *e;
  if (conf.ipam && conf.network_name.empty()) {
    return Bad("network", "is needed with ipam: it names the RdmaNetwork whose node block addresses come from");
  }
  return conf;
}

}  // namespace attach
