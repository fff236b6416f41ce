#include "agent/host/fake_firmware_tool.h"

#include <cerrno>

namespace host {

void FakeFirmwareTool::AddDevice(const std::string& pci, const std::map<std::string, std::string>& values) {
  auto& dev = devices_[pci];
  for (const auto& [name, value] : values) dev[name] = Values{value, value, value};
}

void FakeFirmwareTool::Reboot() {
  for (auto& [pci, params] : devices_) {
    for (auto& [name, v] : params) {
      if (not_taking_.count(name) == 0) v.current = v.next_boot;
    }
  }
}

Result<FirmwareConfig> FakeFirmwareTool::Query(const std::string& pci) {
  if (fail_next_) {
    Error e = *fail_next_;
    fail_next_.reset();
    return e;
  }
  auto dev = devices_.find(pci);
  if (dev == devices_.end()) {
    return Error{"query firmware configuration of " + pci + ": Failed to open device", ENODEV};
  }
  FirmwareConfig cfg;
  cfg.device_type = "ConnectX5";
  cfg.device = pci;
  for (const auto& [name, v] : dev->second) {
    FirmwareParam p;
    p.name = name;
    p.default_value = FirmwareValue::Parse(v.default_value);
    p.current = FirmwareValue::Parse(v.current);
    p.next_boot = FirmwareValue::Parse(v.next_boot);
    p.marked = v.next_boot != v.default_value || v.next_boot != v.current;
    cfg.params.push_back(std::move(p));
  }
  return cfg;
}

Status FakeFirmwareTool::Set(const std::string& pci, const std::vector<std::pair<std::string, std::string>>& values) {
  ++set_calls_;
  if (fail_next_) {
    Error e = *fail_next_;
    fail_next_.reset();
    return e;
  }
  auto dev = devices_.find(pci);
  if (dev == devices_.end()) return Error{"set firmware on " + pci + ": Failed to open device", ENODEV};
  for (const auto& [name, value] : values) {
    if (dev->second.count(name) == 0) {
      return Error{"set firmware " + name + "=" + value + " on " + pci + ": unknown parameter " + name, EINVAL};
    }
  }
  for (const auto& [name, value] : values) dev->second[name].next_boot = value;
  return Status::Ok();
}

}  // namespace host
