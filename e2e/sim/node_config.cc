#include "e2e/sim/node_config.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "agent/host/netlink.h"
#include "agent/host/rtnetlink_codec.h"

namespace sim {

using host::Error;
using host::Result;

bool ParsePci(const std::string& pci, int* domain, int* rid) {
  unsigned d, bus, dev, fn;
  char tail;
  if (pci.size() != 12 || std::sscanf(pci.c_str(), "%4x:%2x:%2x.%1x%c", &d, &bus, &dev, &fn, &tail) != 4) return false;
  if (dev > 31 || fn > 7) return false;
  *domain = static_cast<int>(d);
  *rid = static_cast<int>((bus << 8) | (dev << 3) | fn);
  return true;
}

std::string FormatPci(int domain, int rid) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04x:%02x:%02x.%x", domain, (rid >> 8) & 0xff, (rid >> 3) & 0x1f, rid & 7);
  return buf;
}

std::string PfConfig::VfPci(int vf) const {
  int domain = 0, rid = 0;
  ParsePci(pci, &domain, &rid);
  return FormatPci(domain, rid + vf_offset + vf);
}

uint64_t PfConfig::NodeGuid() const {
  auto bytes = host::ParseMac(mac);
  if (!bytes.ok()) return 0;
  const auto& b = *bytes;
  return (uint64_t{b[0]} << 56) | (uint64_t{b[1]} << 48) | (uint64_t{b[2]} << 40) | (uint64_t{0x03} << 32) |
         (uint64_t{0x00} << 24) | (uint64_t{b[3]} << 16) | (uint64_t{b[4]} << 8) | uint64_t{b[5]};
}

Result<NodeConfig> ParseNodeConfig(const std::string& json_text) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error{"node config: not valid JSON", EINVAL};
  if (!j.is_object() || !j.contains("pfs") || !j["pfs"].is_array() || j["pfs"].empty()) {
    return Error{"node config: expected {\"pfs\": [ ... ]} with at least one PF", EINVAL};
  }
  NodeConfig cfg;
  std::set<std::string> names, pcis;
  for (size_t i = 0; i < j["pfs"].size(); ++i) {
    const auto& p = j["pfs"][i];
    const std::string where = "node config: pfs[" + std::to_string(i) + "]";
    if (!p.is_object()) return Error{where + ": expected an object", EINVAL};
    PfConfig pf;
    auto str = [&](const char* key, std::string* out, bool required) -> bool {
      if (!p.contains(key)) return !required;
      if (!p[key].is_string()) return false;
      *out = p[key].get<std::string>();
      return true;
    };
    auto num = [&](const char* key, int* out) -> bool {
      if (!p.contains(key)) return true;
      if (!p[key].is_number_integer()) return false;
      *out = p[key].get<int>();
      return true;
    };
    if (!str("pci", &pf.pci, true)) return Error{where + ": \"pci\" (a string like 0000:41:00.0) is required", EINVAL};
    if (!str("netdev", &pf.netdev, true)) return Error{where + ": \"netdev\" (a string) is required", EINVAL};
    if (!str("mac", &pf.mac, true)) return Error{where + ": \"mac\" (aa:bb:cc:dd:ee:ff) is required", EINVAL};
    if (!str("link_type", &pf.link_type, false) || !str("device_id", &pf.device_id, false) ||
        !str("vf_device_id", &pf.vf_device_id, false) || !str("vf_netdev_prefix", &pf.vf_netdev_prefix, false) ||
        !num("ports", &pf.ports) || !num("max_vfs", &pf.max_vfs) || !num("vf_offset", &pf.vf_offset)) {
      return Error{where + ": a field has the wrong type", EINVAL};
    }
    int domain, rid;
    if (!ParsePci(pf.pci, &domain, &rid)) return Error{where + ": pci \"" + pf.pci + "\" is not dddd:bb:dd.f", EINVAL};
    if (!host::ParseMac(pf.mac).ok()) return Error{where + ": mac \"" + pf.mac + "\" is not aa:bb:cc:dd:ee:ff", EINVAL};
    if (pf.link_type != "ETH" && pf.link_type != "IB") return Error{where + ": link_type must be ETH or IB", EINVAL};
    if (pf.ports < 1 || pf.ports > 2) return Error{where + ": ports must be 1 or 2", EINVAL};
    if (pf.max_vfs < 0 || pf.max_vfs > 255) return Error{where + ": max_vfs must be 0..255", EINVAL};
    if (pf.vf_netdev_prefix.empty()) pf.vf_netdev_prefix = pf.netdev + "v";
    if (pf.netdev.empty() || pf.netdev.size() > 15)
      return Error{where + ": netdev must have 1 to 15 characters", EINVAL};
    if (pf.max_vfs > 0 && pf.VfNetdev(pf.max_vfs - 1).size() > 15) {
      return Error{where + ": VF netdev names (" + pf.VfNetdev(pf.max_vfs - 1) +
                       ") would exceed 15 characters; set a shorter vf_netdev_prefix",
                   EINVAL};
    }
    if (!pcis.insert(pf.pci).second) return Error{where + ": pci " + pf.pci + " appears twice", EINVAL};
    if (!names.insert(pf.netdev).second) return Error{where + ": netdev " + pf.netdev + " appears twice", EINVAL};
    cfg.pfs.push_back(pf);
  }
  // Like real multi-PF devices: VF 0 of each PF comes after all PFs and after
  // the VFs of the PFs before it, so no routing IDs overlap.
  int next_free = 0;
  for (auto& pf : cfg.pfs) {
    int domain, rid;
    ParsePci(pf.pci, &domain, &rid);
    next_free = std::max(next_free, rid + 1);
  }
  for (auto& pf : cfg.pfs) {
    int domain, rid;
    ParsePci(pf.pci, &domain, &rid);
    if (pf.vf_offset == 0) pf.vf_offset = next_free - rid;
    next_free = rid + pf.vf_offset + pf.max_vfs;
  }
  return cfg;
}

Result<NodeConfig> LoadNodeConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{"node config " + path + ": cannot open", ENOENT};
  std::stringstream ss;
  ss << in.rdbuf();
  auto cfg = ParseNodeConfig(ss.str());
  if (!cfg.ok()) return Error{cfg.error().message + " (in " + path + ")", EINVAL};
  return cfg;
}

}  // namespace sim
