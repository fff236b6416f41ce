// FirmwareTool: reads and changes a NIC's non-volatile firmware configuration
// (what `mstconfig -d <pci> query|set` does), one PCI function at a time.
//
// Firmware keeps three values per parameter: the factory Default, the Current
// value the NIC booted with, and the Next Boot value that takes effect at the
// next reboot (or firmware reset). Set only ever changes Next Boot; whether a
// reboot is needed is the caller's decision (Current != desired).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/host/result.h"

namespace host {

// One value as mstconfig prints it: "True(1)", "ETH(2)", "8", "Array[0..7]".
struct FirmwareValue {
  std::string raw;                // exactly as printed
  std::string label;              // "True", "ETH", "8", "Array[0..7]"
  std::optional<int64_t> number;  // 1, 2, 8; none for "Array[0..7]"

  static FirmwareValue Parse(const std::string& raw);
  // True if `desired` names this value: "1" or "True" for True(1), "ETH" or
  // "2" for ETH(2) (labels compare case-insensitively).
  bool Matches(const std::string& desired) const;
  bool operator==(const FirmwareValue& o) const { return raw == o.raw; }
};

struct FirmwareParam {
  std::string name;                            // "NUM_OF_VFS"
  std::optional<FirmwareValue> default_value;  // only in the Default/Current/Next Boot form
  std::optional<FirmwareValue> current;        // only in the Default/Current/Next Boot form
  FirmwareValue next_boot;
  bool marked = false;  // the '*' mstconfig puts before parameters that differ
};

struct FirmwareConfig {
  std::string device_type;  // "ConnectX5"
  std::string name;         // "MCX515A-CCA_Ax_Bx"
  std::string description;
  std::string device;  // as printed after "Device:" / "PCI device:"
  std::vector<FirmwareParam> params;

  const FirmwareParam* Find(const std::string& param) const;
};

class FirmwareTool {
 public:
  virtual ~FirmwareTool() = default;
  // Every parameter with Default, Current and Next Boot values.
  virtual Result<FirmwareConfig> Query(const std::string& pci) = 0;
  // Sets Next Boot values, e.g. {{"SRIOV_EN","1"},{"NUM_OF_VFS","8"}}.
  virtual Status Set(const std::string& pci, const std::vector<std::pair<std::string, std::string>>& values) = 0;
};

}  // namespace host
