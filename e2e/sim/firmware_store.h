// FirmwareStore: the simulated NICs' non-volatile configuration, kept in a
// state directory so it survives the fake `mstconfig` exiting, the simulator
// restarting and simulated reboots.
//
// One JSON file per PCI function (<state>/firmware/<bdf>.json) with Default,
// Current and Next Boot values per parameter, stored as mstconfig prints
// them ("True(1)", "ETH(2)", "8"). Reboot() is the firmware half of a node
// reboot: Next Boot becomes Current, except for parameters marked "does not
// take", which keep their Current value (as when firmware ignores a setting).
// Every read-modify-write holds an flock on <state>/firmware/.lock, so the
// fake mstconfig and the sysfs simulator can share the directory.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "agent/host/result.h"

namespace sim {

struct FirmwareParamState {
  std::string name;
  std::string default_value, current, next_boot;
};

struct FirmwareDeviceState {
  std::string bdf;  // "0000:41:00.0"
  std::string device_type = "ConnectX5";
  std::string part_name = "MCX516A-CCA_Ax";
  std::string description =
      "ConnectX-5 EN network interface card; 100GbE dual-port QSFP28; PCIe3.0 x16; tall bracket; ROHS R6";
  int max_vfs = 127;                       // the largest NUM_OF_VFS the firmware accepts
  std::vector<FirmwareParamState> params;  // in the order mstconfig prints them
  std::set<std::string> not_taking;

  FirmwareParamState* Find(const std::string& name);
  const FirmwareParamState* Find(const std::string& name) const;
  // A fresh ConnectX device: SR-IOV off, no VFs, Ethernet ports.
  static FirmwareDeviceState Factory(const std::string& bdf, int ports, const std::string& link_type);
};

// Turns what a user passes to `set` ("1", "True", "ETH", "8") into the form
// mstconfig prints for that parameter, or an error in mstconfig's words.
host::Result<std::string> NormalizeFirmwareValue(const FirmwareDeviceState& dev, const std::string& param,
                                                 const std::string& value);

class FirmwareStore {
 public:
  explicit FirmwareStore(std::string state_dir);

  std::vector<std::string> Devices() const;  // BDFs, sorted
  host::Result<FirmwareDeviceState> Load(const std::string& bdf) const;
  // Creates the device's file unless it exists already (a restart keeps state).
  host::Status Ensure(const FirmwareDeviceState& factory);
  // Locked read-modify-write of one device.
  host::Status Update(const std::string& bdf, const std::function<host::Status(FirmwareDeviceState&)>& change);
  // Next Boot -> Current on every device (a simulated reboot).
  host::Status Reboot();

  // "41:00.0" -> "0000:41:00.0"; anything else unchanged.
  static std::string CanonicalBdf(const std::string& device);

 private:
  std::string Path(const std::string& bdf) const;
  host::Status Save(const FirmwareDeviceState& dev) const;
  host::Result<FirmwareDeviceState> LoadUnlocked(const std::string& bdf) const;
  std::string dir_;
};

}  // namespace sim
