#include "agent/host/boot_id.h"

#include <cerrno>
#include <fstream>

namespace host {

FileBootId::FileBootId(const std::string& host_root)
    : path_((host_root.empty() || host_root.back() != '/' ? host_root : host_root.substr(0, host_root.size() - 1)) +
            "/proc/sys/kernel/random/boot_id") {}

Result<std::string> FileBootId::Read() {
  std::ifstream in(path_);
  if (!in) return SystemError("read " + path_, errno);
  std::string id;
  std::getline(in, id);
  if (id.empty()) return Error{"read " + path_ + ": empty"};
  return id;
}

}  // namespace host
