#include "operator/nad_render.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace rdma_operator {
namespace {

std::string OnOff(bool b) { return b ? "on" : "off"; }

std::string LowerLinkState(const std::string& s) {
  if (s == "Enable") return "enable";
  if (s == "Disable") return "disable";
  return "auto";
}

nlohmann::json CniConfig(const api::RdmaNetwork& n) {
  const api::RdmaNetworkSpec& s = n.spec;
  nlohmann::json c = {{"cniVersion", kCniVersion},
                      {"name", n.metadata.name},
                      {"type", kCniType},
                      {"resourceName", std::string(api::kResourcePrefix) + s.resource_name},
                      {"network", {{"namespace", n.metadata.namespace_}, {"name", n.metadata.name}}}};
  if (s.vlan) c["vlan"] = *s.vlan;
  if (s.vlan_qos) c["vlanQoS"] = *s.vlan_qos;
  if (s.mtu) c["mtu"] = *s.mtu;
  if (s.trust) c["trust"] = OnOff(*s.trust);
  if (s.spoof_chk) c["spoofchk"] = OnOff(*s.spoof_chk);
  if (s.link_state) c["link_state"] = LowerLinkState(*s.link_state);
  if (s.min_tx_rate_mbps) c["min_tx_rate"] = *s.min_tx_rate_mbps;
  if (s.max_tx_rate_mbps) c["max_tx_rate"] = *s.max_tx_rate_mbps;
  if (s.ipam) {
    // Addresses come from the node's block (RdmaNodeState.spec.ipBlocks of
    // this network); the agent's IPAM needs only the prefix and routes.
    nlohmann::json ipam = {{"type", "rdma-node-block"}, {"subnet", s.ipam->subnet}};
    if (s.ipam->gateway) ipam["gateway"] = *s.ipam->gateway;
    nlohmann::json routes = nlohmann::json::array();
    for (const auto& r : s.ipam->routes) {
      nlohmann::json route = {{"dst", r.destination}};
      if (r.gateway) route["gw"] = *r.gateway;
      routes.push_back(route);
    }
    if (!routes.empty()) ipam["routes"] = routes;
    c["ipam"] = ipam;
  }
  return c;
}

}  // namespace

std::vector<api::NetworkAttachmentDefinition> RenderNads(const api::RdmaNetwork& network) {
  std::vector<std::string> namespaces = api::TargetNamespaces(network);
  std::sort(namespaces.begin(), namespaces.end());
  namespaces.erase(std::unique(namespaces.begin(), namespaces.end()), namespaces.end());
  std::string config = CniConfig(network).dump();
  std::vector<api::NetworkAttachmentDefinition> nads;
  for (const std::string& ns : namespaces) {
    api::NetworkAttachmentDefinition nad;
    nad.metadata.name = network.metadata.name;
    nad.metadata.namespace_ = ns;
    nad.metadata.labels[kNetworkNamespaceLabel] = network.metadata.namespace_;
    nad.metadata.labels[kNetworkNameLabel] = network.metadata.name;
    nad.metadata.annotations[kResourceNameAnnotation] = std::string(api::kResourcePrefix) + network.spec.resource_name;
    if (ns == network.metadata.namespace_ && !network.metadata.uid.empty()) {
      api::OwnerReference owner;
      owner.api_version = network.api_version;
      owner.kind = network.kind;
      owner.name = network.metadata.name;
      owner.uid = network.metadata.uid;
      owner.controller = true;
      owner.block_owner_deletion = true;
      nad.metadata.owner_references.push_back(owner);
    }
    nad.spec.config = config;
    nads.push_back(std::move(nad));
  }
  return nads;
}

bool IsRenderedFor(const api::NetworkAttachmentDefinition& nad, const api::RdmaNetwork& network) {
  auto label = [&](const char* key) {
    auto it = nad.metadata.labels.find(key);
    return it == nad.metadata.labels.end() ? std::string() : it->second;
  };
  return label(kNetworkNamespaceLabel) == network.metadata.namespace_ &&
         label(kNetworkNameLabel) == network.metadata.name;
}

std::string RenderedNadSelector(const std::string& network_namespace, const std::string& network) {
  return std::string(kNetworkNamespaceLabel) + "=" + network_namespace + "," + kNetworkNameLabel + "=" + network;
}

bool NadUpToDate(const api::NetworkAttachmentDefinition& existing, const api::NetworkAttachmentDefinition& desired) {
  if (existing.spec.config != desired.spec.config) return false;
  for (const auto& [k, v] : desired.metadata.labels) {
    auto it = existing.metadata.labels.find(k);
    if (it == existing.metadata.labels.end() || it->second != v) return false;
  }
  for (const auto& [k, v] : desired.metadata.annotations) {
    auto it = existing.metadata.annotations.find(k);
    if (it == existing.metadata.annotations.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace rdma_operator
