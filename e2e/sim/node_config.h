// NodeConfig: what hardware a simulated node has, read from a JSON file.
//
//   {
//     "pfs": [
//       {"pci": "0000:41:00.0", "netdev": "enp65s0f0np0", "mac": "b8:ce:f6:00:41:00",
//        "rdma": "mlx5_0", "link_type": "ETH", "max_vfs": 16}
//     ]
//   }
//
// Optional per PF: "device_id" (default "0x1017", ConnectX-5), "vf_device_id"
// ("0x1018"), "ports" (1), "vf_netdev_prefix" (netdev + "v"; VF i is named
// prefix + i, at most 15 characters), "vf_offset" (routing-ID offset of VF 0,
// chosen so that VFs of different PFs never overlap). Every error names the
// PF and the field.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/host/result.h"

namespace sim {

struct PfConfig {
  std::string pci;
  std::string netdev;
  std::string mac;
  std::string link_type = "ETH";  // initial firmware value: ETH or IB
  int ports = 1;
  int max_vfs = 127;  // firmware cap on NUM_OF_VFS
  std::string device_id = "0x1017";
  std::string vf_device_id = "0x1018";
  std::string vf_netdev_prefix;
  int vf_offset = 0;  // filled in by ParseNodeConfig when absent

  std::string VfPci(int vf) const;  // routing-ID arithmetic, as SR-IOV does
  std::string VfNetdev(int vf) const { return vf_netdev_prefix + std::to_string(vf); }
  uint64_t NodeGuid() const;  // MAC with 03:00 in the middle, as ConnectX does
};

struct NodeConfig {
  std::vector<PfConfig> pfs;
};

host::Result<NodeConfig> ParseNodeConfig(const std::string& json_text);
host::Result<NodeConfig> LoadNodeConfig(const std::string& path);

// "0000:41:00.0" -> routing ID (bus << 8 | dev << 3 | fn) and domain, and back.
bool ParsePci(const std::string& pci, int* domain, int* rid);
std::string FormatPci(int domain, int rid);

}  // namespace sim
