// RdmaNetwork (rdma.dev/v1alpha1, namespaced): how pods attach to the VFs of
// one resource — target namespaces, IPAM, VLAN, MTU, trust, spoofChk, link
// state, rates. The C++ mirror of crds/rdma.dev_rdmanetworks.yaml, its JSON
// conversion (unknown fields survive, see json_fields.h) and re-validation,
// including what CEL cannot check (overlapping ranges, range order).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/condition.h"
#include "api/field_error.h"
#include "api/ip_address.h"
#include "api/object_meta.h"

namespace api {

inline constexpr int32_t kDefaultNodeBlockSize = 16;
inline constexpr int32_t kDefaultVlan = 0;

struct IpRangeSpec {
  std::string start;
  std::string end;
  nlohmann::json unknown_fields;

  bool operator==(const IpRangeSpec&) const = default;
};

struct RouteSpec {
  std::string destination;  // CIDR
  std::optional<std::string> gateway;
  nlohmann::json unknown_fields;

  bool operator==(const RouteSpec&) const = default;
};

struct IpamSpec {
  std::string subnet;  // required, CIDR
  std::vector<IpRangeSpec> ranges;
  std::vector<std::string> excludes;  // IPs or CIDRs
  std::optional<std::string> gateway;
  std::vector<RouteSpec> routes;
  std::optional<int32_t> node_block_size;
  nlohmann::json unknown_fields;

  bool operator==(const IpamSpec&) const = default;
};

struct RdmaNetworkSpec {
  std::string resource_name;  // required
  std::vector<std::string> target_namespaces;  // empty: the RdmaNetwork's own namespace
  std::optional<IpamSpec> ipam;
  std::optional<int32_t> vlan;
  std::optional<int32_t> vlan_qos;  // "vlanQoS"
  std::optional<int32_t> mtu;
  std::optional<bool> trust;
  std::optional<bool> spoof_chk;
  std::optional<std::string> link_state;  // Auto | Enable | Disable
  std::optional<int32_t> min_tx_rate_mbps;
  std::optional<int32_t> max_tx_rate_mbps;
  nlohmann::json unknown_fields;

  bool operator==(const RdmaNetworkSpec&) const = default;
};

struct NadReference {
  std::string namespace_;
  std::string name;
  nlohmann::json unknown_fields;

  bool operator==(const NadReference&) const = default;
};

struct AddressUsage {
  int32_t block_size = 0;
  int64_t capacity_blocks = 0;
  int64_t allocated_blocks = 0;
  nlohmann::json unknown_fields;

  bool operator==(const AddressUsage&) const = default;
};

struct RdmaNetworkStatus {
  int64_t observed_generation = 0;
  std::vector<NadReference> network_attachment_definitions;
  std::optional<AddressUsage> addresses;
  std::vector<Condition> conditions;
  nlohmann::json unknown_fields;

  bool operator==(const RdmaNetworkStatus&) const = default;
};

struct RdmaNetwork {
  std::string api_version{"rdma.dev/v1alpha1"};
  std::string kind{"RdmaNetwork"};
  ObjectMeta metadata;
  RdmaNetworkSpec spec;
  std::optional<RdmaNetworkStatus> status;
  nlohmann::json unknown_fields;

  bool operator==(const RdmaNetwork&) const = default;
};

namespace json_fields {
class Reader;
class Writer;
}  // namespace json_fields

// The field list of the whole object, for json_fields.h.
void Fields(json_fields::Reader& v, RdmaNetwork& object);
void Fields(json_fields::Writer& v, RdmaNetwork& object);

// Reads a network. Never throws: values of the wrong JSON type are returned
// as errors (and kept verbatim for writing back).
FieldErrors FromJson(const nlohmann::json& in, RdmaNetwork* out);
nlohmann::json ToJson(const RdmaNetwork& network);

// Everything the CRD schema and CEL check, plus range order, overlapping
// ranges, address families and excludes. Empty when the network is usable.
FieldErrors Validate(const RdmaNetwork& network);

// Namespaces that get a NetworkAttachmentDefinition: targetNamespaces, or
// the network's own namespace when that is empty.
std::vector<std::string> TargetNamespaces(const RdmaNetwork& network);

// The addresses pods may get, sorted and disjoint: the ranges (or, without
// ranges, the subnet less its network address and, for IPv4, its broadcast
// address), less excludes and the gateway. Call on a validated IpamSpec;
// returns nullopt if it does not parse.
std::optional<std::vector<IpRange>> UsableRanges(const IpamSpec& ipam);

}  // namespace api
