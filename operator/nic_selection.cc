#include "operator/nic_selection.h"

#include <algorithm>
#include <cctype>

#include "api/label_selector.h"

namespace rdma_operator {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// "0x15b3" and "15B3" both mean vendor 15b3.
std::string NormalizeHexId(const std::string& id) {
  std::string s = Lower(id);
  if (s.rfind("0x", 0) == 0) s = s.substr(2);
  return s;
}

}  // namespace

bool SelectsNode(const api::RdmaNodePolicy& policy, const std::map<std::string, std::string>& node_labels) {
  if (!policy.spec.node_selector) return false;
  return api::Matches(*policy.spec.node_selector, node_labels);
}

std::vector<std::optional<api::VfRange>> SelectedVfRanges(const api::NicSelector& selector,
                                                          const api::InterfaceStatus& pf) {
  if (selector.vendor && NormalizeHexId(*selector.vendor) != NormalizeHexId(pf.vendor)) return {};
  if (!selector.device_ids.empty() &&
      std::none_of(selector.device_ids.begin(), selector.device_ids.end(),
                   [&](const std::string& id) { return NormalizeHexId(id) == NormalizeHexId(pf.device_id); }))
    return {};
  if (!selector.pci_addresses.empty() &&
      std::none_of(selector.pci_addresses.begin(), selector.pci_addresses.end(),
                   [&](const std::string& a) { return Lower(a) == Lower(pf.pci_address); }))
    return {};
  if (selector.pf_names.empty()) return {std::nullopt};

  std::vector<std::optional<api::VfRange>> ranges;
  for (const std::string& text : selector.pf_names) {
    std::string error;
    std::optional<api::PfNameSelector> parsed = api::ParsePfNameSelector(text, &error);
    if (!parsed || parsed->pf_name != pf.name) continue;
    if (!parsed->vfs) return {std::nullopt};  // the whole PF wins over any range
    ranges.push_back(parsed->vfs);
  }
  return ranges;
}

}  // namespace rdma_operator
