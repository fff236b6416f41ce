// FakeFirmwareTool: firmware state in memory for unit tests. Set changes Next
// Boot; Reboot() makes Next Boot current, except for parameters told not to
// take (as when firmware ignores a value), which keep their Current value.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "agent/host/firmware_tool.h"

namespace host {

class FakeFirmwareTool : public FirmwareTool {
 public:
  // Adds a device whose parameters all have Default = Current = Next Boot.
  void AddDevice(const std::string& pci, const std::map<std::string, std::string>& values);
  void Reboot();
  void DoesNotTake(const std::string& param) { not_taking_.insert(param); }
  // The next Query or Set on any device fails with this error.
  void FailNext(Error error) { fail_next_ = std::move(error); }
  int set_calls() const { return set_calls_; }

  Result<FirmwareConfig> Query(const std::string& pci) override;
  Status Set(const std::string& pci, const std::vector<std::pair<std::string, std::string>>& values) override;

 private:
  struct Values {
    std::string default_value, current, next_boot;
  };
  std::map<std::string, std::map<std::string, Values>> devices_;
  std::set<std::string> not_taking_;
  std::optional<Error> fail_next_;
  int set_calls_ = 0;
};

}  // namespace host
