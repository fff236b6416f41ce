#include "agent/host/fake_driver_binder.h"

#include <cerrno>

namespace host {

Result<std::string> FakeDriverBinder::CurrentDriver(const std::string& pci) {
  auto it = drivers_.find(pci);
  if (it == drivers_.end()) return Error{"find driver of " + pci + ": no such PCI device", ENODEV};
  return it->second;
}

Status FakeDriverBinder::Unbind(const std::string& pci) {
  auto it = drivers_.find(pci);
  if (it == drivers_.end()) return Error{"unbind " + pci + ": no such PCI device", ENODEV};
  log_.push_back("unbind " + pci);
  it->second.clear();
  return Status::Ok();
}

Status FakeDriverBinder::Bind(const std::string& pci, const std::string& driver) {
  auto it = drivers_.find(pci);
  if (it == drivers_.end()) return Error{"bind " + pci + " to " + driver + ": No such device", ENODEV};
  if (!it->second.empty()) return Error{"bind " + pci + " to " + driver + ": Device or resource busy", EBUSY};
  log_.push_back("bind " + pci + " " + driver);
  it->second = driver;
  return Status::Ok();
}

}  // namespace host
