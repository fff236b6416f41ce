#include "agent/host/driver_binder.h"

#include <cerrno>

namespace host {

Result<std::string> SysfsDriverBinder::CurrentDriver(const std::string& pci) {
  const std::string dev = "bus/pci/devices/" + pci;
  // The link first: a bound device then costs one sysfs operation (a FUSE
  // round trip under the simulator), not two.
  auto link = sysfs_.ReadLink(dev + "/driver");
  if (link.ok()) return PathBaseName(*link);
  if (!sysfs_.Exists(dev)) return Error{"find driver of " + pci + ": no such PCI device", ENODEV};
  if (link.error().sys_errno == ENOENT) return std::string();
  return Error{"find driver of " + pci + ": " + link.error().message, link.error().sys_errno};
}

Status SysfsDriverBinder::Unbind(const std::string& pci) {
  auto driver = CurrentDriver(pci);
  if (!driver.ok()) return Error{"unbind " + pci + ": " + driver.error().message, driver.error().sys_errno};
  if (driver->empty()) return Status::Ok();  // already unbound: nothing to do
  Status st = sysfs_.Write("bus/pci/drivers/" + *driver + "/unbind", pci);
  if (!st.ok()) return Error{"unbind " + pci + " from " + *driver + ": " + st.message(), st.sys_errno()};
  return st;
}

Status SysfsDriverBinder::Bind(const std::string& pci, const std::string& driver) {
  Status st = sysfs_.Write("bus/pci/drivers/" + driver + "/bind", pci);
  if (!st.ok()) return Error{"bind " + pci + " to " + driver + ": " + st.message(), st.sys_errno()};
  return st;
}

}  // namespace host
