// FakeDriverBinder: records binds and unbinds in memory for unit tests.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "agent/host/driver_binder.h"

namespace host {

class FakeDriverBinder : public DriverBinder {
 public:
  void SetDriver(const std::string& pci, const std::string& driver) { drivers_[pci] = driver; }
  // Every Bind/Unbind as "bind <pci> <driver>" / "unbind <pci>".
  const std::vector<std::string>& log() const { return log_; }

  Result<std::string> CurrentDriver(const std::string& pci) override;
  Status Unbind(const std::string& pci) override;
  Status Bind(const std::string& pci, const std::string& driver) override;

 private:
  std::map<std::string, std::string> drivers_;  // pci -> driver ("" when unbound)
  std::vector<std::string> log_;
};

}  // namespace host
