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

// Writes `value` to the file at `path` (a full path) with one write() at
// offset 0, as `echo value > path` does: a sysfs store() sees each write()
// on its own, and some attributes report their error only on close.
// `extra_flags` go to open(2), e.g. O_TRUNC for a plain file standing in
// for an attribute. Errors name the path and the value, with errno.
Status WriteOnce(const std::string& path, const std::string& value, int extra_flags = 0);

}  // namespace host
