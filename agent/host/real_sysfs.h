// RealSysfs: Sysfs over the file system, rooted at a directory (normally
// /sys; a test tree or the simulator's mount otherwise).
#pragma once

#include <string>

#include "agent/host/sysfs.h"

namespace host {

class RealSysfs : public Sysfs {
 public:
  explicit RealSysfs(std::string root);

  Result<std::string> Read(const std::string& path) override;
  Status Write(const std::string& path, const std::string& value) override;
  Result<std::vector<std::string>> List(const std::string& dir) override;
  Result<std::string> ReadLink(const std::string& path) override;
  bool Exists(const std::string& path) override;

  const std::string& root() const { return root_; }

 private:
  std::string Full(const std::string& path) const;
  std::string root_;
};

}  // namespace host
