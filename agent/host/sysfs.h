// Sysfs: the agent's only way to read and write /sys.
//
// Paths are relative to the sysfs root ("bus/pci/devices/0000:41:00.0/
// sriov_numvfs"; a leading '/' is ignored). On a real node the root is /sys;
// in tests it is a directory tree or the simulator's FUSE mount, which is why
// every implementation takes the root from its constructor and nothing in the
// agent spells "/sys" itself.
#pragma once

#include <string>
#include <vector>

#include "agent/host/result.h"

namespace host {

class Sysfs {
 public:
  virtual ~Sysfs() = default;

  // The file's contents with trailing whitespace removed (sysfs attributes
  // end in "\n").
  virtual Result<std::string> Read(const std::string& path) = 0;

  // Writes `value` with a single write() at offset 0, as `echo value > path`
  // does; the kernel's answer (EBUSY, EINVAL, ERANGE, ...) comes back as the
  // Status's sys_errno.
  virtual Status Write(const std::string& path, const std::string& value) = 0;

  // Names in a directory, sorted, without "." and "..".
  virtual Result<std::vector<std::string>> List(const std::string& dir) = 0;

  // The target of a symbolic link as stored ("../../../0000:41:00.2").
  virtual Result<std::string> ReadLink(const std::string& path) = 0;

  // True if the path exists (a dangling symlink does not).
  virtual bool Exists(const std::string& path) = 0;
};

// The last component of a path or link target, which in sysfs is the
// object's name: "../../../0000:41:00.2" -> "0000:41:00.2".
std::string PathBaseName(const std::string& path);

}  // namespace host
