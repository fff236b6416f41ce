// What rdma-cni's network config asks of one attachment: the fields the
// operator renders into a NetworkAttachmentDefinition (operator/nad_render.cc,
// docs/cni.md "Network config"), checked and typed. Pure, no I/O; a bad
// value is a CniError with code 7 naming the field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/cni/protocol.h"
#include "agent/host/netlink.h"
#include "api/ip_address.h"

namespace attach {

// "ipam": {"type": "rdma-node-block", ...}: addresses from the node's block
// of the RdmaNetwork (RdmaNodeState spec.ipBlocks).
inline constexpr char kNodeBlockIpam[] = "rdma-node-block";

struct IpamConf {
  api::Cidr subnet{api::IpAddress::FromValue(api::IpAddress::Family::kV4, 0), 0};
  std::optional<api::IpAddress> gateway;
  std::vector<host::Route> routes;  // link left empty: the pod's interface
};

struct NetConf {
  std::string cni_version;
  // "network": which RdmaNetwork this NAD was rendered for; the node's IP
  // block is looked up by it.
  std::string network_namespace;
  std::string network_name;
  std::optional<uint32_t> vlan;      // 0-4094
  std::optional<uint32_t> vlan_qos;  // 0-7, only with vlan
  std::optional<uint32_t> mtu;       // 68-65535
  std::optional<std::string> mac;    // "mac", overridden by runtimeConfig.mac, then CNI_ARGS MAC=
  std::optional<bool> trust;
  std::optional<bool> spoofchk;
  std::optional<host::VfLinkState> link_state;
  std::optional<uint32_t> min_tx_rate;  // Mbps
  std::optional<uint32_t> max_tx_rate;
  std::optional<IpamConf> ipam;

  // "<namespace>/<name>", the key addresses are held under.
  std::string NetworkKey() const { return network_namespace + "/" + network_name; }
};

cni::Result<NetConf> ParseNetConf(const cni::Invocation& invocation);

}  // namespace attach
