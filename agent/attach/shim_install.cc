#include "agent/attach/shim_install.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace attach {
namespace {

host::Result<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return host::Error{"read " + path + ": " + std::strerror(errno), errno ? errno : EIO};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

host::Result<bool> InstallShim(const std::string& source, const std::string& bin_dir) {
  auto want = ReadWhole(source);
  if (!want.ok()) return want.error();
  const std::string target = bin_dir + "/rdma-cni";
  if (auto have = ReadWhole(target); have.ok() && *have == *want) return false;
  const std::string tmp = bin_dir + "/.rdma-cni.tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return host::Error{"write " + tmp + ": " + std::strerror(errno), errno ? errno : EIO};
    out.write(want->data(), static_cast<std::streamsize>(want->size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      return host::Error{"write " + tmp + ": short write", EIO};
    }
  }
  if (::chmod(tmp.c_str(), 0755) != 0 || ::rename(tmp.c_str(), target.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    return host::Error{"install " + target + ": " + std::strerror(err), err};
  }
  return true;
}

}  // namespace attach
