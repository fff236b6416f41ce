// DriverBinder: attaches and detaches a PCI function from its kernel driver.
//
// Rebinding a VF is how a new node/port GUID takes effect; it re-creates the
// VF's netdev, RDMA device and uverbs entry (their names and numbers may
// change), so callers re-discover the VF afterwards.
#pragma once

#include <string>

#include "agent/host/result.h"
#include "agent/host/sysfs.h"

namespace host {

class DriverBinder {
 public:
  virtual ~DriverBinder() = default;
  // The bound driver's name ("mlx5_core"), or "" when none is bound.
  virtual Result<std::string> CurrentDriver(const std::string& pci) = 0;
  virtual Status Unbind(const std::string& pci) = 0;
  virtual Status Bind(const std::string& pci, const std::string& driver) = 0;
};

// Through sysfs: reads bus/pci/devices/<pci>/driver, writes the address to
// bus/pci/drivers/<driver>/unbind and .../bind.
class SysfsDriverBinder : public DriverBinder {
 public:
  explicit SysfsDriverBinder(Sysfs& sysfs) : sysfs_(sysfs) {}
  Result<std::string> CurrentDriver(const std::string& pci) override;
  Status Unbind(const std::string& pci) override;
  Status Bind(const std::string& pci, const std::string& driver) override;

 private:
  Sysfs& sysfs_;
};

}  // namespace host
