#include "agent/host/real_sysfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace host {

std::string PathBaseName(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

RealSysfs::RealSysfs(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string RealSysfs::Full(const std::string& path) const {
  std::string rel = path;
  while (!rel.empty() && rel.front() == '/') rel.erase(rel.begin());
  return root_ + "/" + rel;
}

Result<std::string> RealSysfs::Read(const std::string& path) {
  const std::string full = Full(path);
  int fd = ::open(full.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return SystemError("read " + full, errno);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return SystemError("read " + full, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  while (!out.empty() &&
         (out.back() == '\n' || out.back() == ' ' || out.back() == '\t' || out.back() == '\r' || out.back() == '\0')) {
    out.pop_back();
  }
  return out;
}

Status WriteOnce(const std::string& path, const std::string& value, int extra_flags) {
  const std::string op = "write " + path + "=" + value.substr(0, value.find('\n'));
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | extra_flags);
  if (fd < 0) return SystemError(op, errno);
  ssize_t n;
  do {
    n = ::write(fd, value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  int err = n < 0 ? errno : 0;
  // Some attributes report their error only when the file is closed.
  if (::close(fd) < 0 && err == 0) err = errno;
  if (err != 0) return SystemError(op, err);
  if (static_cast<size_t>(n) != value.size()) {
    return Error{op + ": short write (" + std::to_string(n) + " of " + std::to_string(value.size()) + " bytes)", EIO};
  }
  return Status::Ok();
}

Status RealSysfs::Write(const std::string& path, const std::string& value) { return WriteOnce(Full(path), value); }

Result<std::vector<std::string>> RealSysfs::List(const std::string& dir) {
  const std::string full = Full(dir);
  DIR* d = ::opendir(full.c_str());
  if (d == nullptr) return SystemError("list " + full, errno);
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) return SystemError("list " + full, err);
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::string> RealSysfs::ReadLink(const std::string& path) {
  const std::string full = Full(path);
  char buf[4096];
  ssize_t n = ::readlink(full.c_str(), buf, sizeof(buf));
  if (n < 0) return SystemError("readlink " + full, errno);
  return std::string(buf, static_cast<size_t>(n));
}

bool RealSysfs::Exists(const std::string& path) {
  struct stat st;
  return ::stat(Full(path).c_str(), &st) == 0;
}

}  // namespace host
