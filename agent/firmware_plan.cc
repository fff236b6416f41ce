#include "agent/firmware_plan.h"

namespace agent {
namespace {

// The PCI function number of "0000:41:00.1" -> 1; 0 when unparsable.
int FunctionNumber(const std::string& pci) {
  auto dot = pci.rfind('.');
  if (dot == std::string::npos || dot + 1 >= pci.size()) return 0;
  char c = pci[dot + 1];
  return (c >= '0' && c <= '7') ? c - '0' : 0;
}

bool Satisfied(const host::FirmwareValue& v, const FirmwareDesired& d) {
  if (d.at_least && v.number) return *v.number >= std::stoll(d.value);
  return v.Matches(d.value);
}

}  // namespace

std::string FirmwareLinkType(const std::string& api_link_type) {
  if (api_link_type == api::kLinkTypeEthernet) return "ETH";
  if (api_link_type == api::kLinkTypeInfiniBand) return "IB";
  return "";
}

std::vector<FirmwareDesired> DesiredFirmware(const api::InterfaceSpec& spec) {
  std::vector<FirmwareDesired> out;
  if (!spec.firmware || !spec.firmware->managed.value_or(false)) return out;
  int num_vfs = spec.num_vfs.value_or(0);
  if (num_vfs > 0 || spec.firmware->total_vfs.value_or(0) > 0) {
    out.push_back({"SRIOV_EN", "1", false});
    if (spec.firmware->total_vfs) {
      out.push_back({"NUM_OF_VFS", std::to_string(*spec.firmware->total_vfs), false});
    } else {
      out.push_back({"NUM_OF_VFS", std::to_string(num_vfs), true});
    }
  }
  if (spec.link_type) {
    std::string fw = FirmwareLinkType(*spec.link_type);
    if (!fw.empty()) {
      // mstconfig names ports from 1; a PF is the port of its PCI function.
      out.push_back({"LINK_TYPE_P" + std::to_string(FunctionNumber(spec.pci_address) + 1), fw, false});
    }
  }
  return out;
}

host::Result<FirmwarePlan> PlanFirmware(const std::string& pci, const host::FirmwareConfig& config,
                                        const std::vector<FirmwareDesired>& desired) {
  FirmwarePlan plan;
  for (const auto& d : desired) {
    const host::FirmwareParam* p = config.Find(d.name);
    if (!p) {
      return host::Error{"plan firmware of " + pci + ": mstconfig query shows no parameter " + d.name};
    }
    if (!Satisfied(p->next_boot, d)) plan.to_set.emplace_back(d.name, d.value);
    // The plain query form has no Current column; Next Boot is then all we know.
    const host::FirmwareValue& current = p->current ? *p->current : p->next_boot;
    if (!Satisfied(current, d)) plan.needs_reboot.push_back({d.name, d.value, current.raw});
  }
  return plan;
}

std::string DescribeMismatches(const std::vector<FirmwareMismatch>& m) {
  std::string out;
  for (const auto& x : m) {
    if (!out.empty()) out += "; ";
    out += x.name + " wanted " + x.wanted + ", Current " + x.current;
  }
  return out;
}

}  // namespace agent
