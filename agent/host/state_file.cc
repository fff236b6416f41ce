#include "agent/host/state_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace host {
namespace {

Status WriteAll(int fd, const std::string& data, const std::string& operation) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return SystemError(operation, errno);
    }
    off += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

StateFile::StateFile(std::string path, std::string what) : path_(std::move(path)), what_(std::move(what)) {
  const size_t slash = path_.rfind('/');
  dir_ = slash == std::string::npos ? "." : path_.substr(0, slash);
}

Result<std::optional<std::string>> StateFile::Read() const {
  const std::string operation = "read " + what_ + " " + path_;
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    // Not written yet (also when its directory is not there yet).
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
    return SystemError(operation, errno);
  }
  std::string content;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return SystemError(operation, err);
    }
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return std::optional<std::string>(std::move(content));
}

Status StateFile::WriteAtomically(const std::string& content) const {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Error{"create " + what_ + " directory " + dir_ + ": " + ec.message(), ec.value()};
  const std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return SystemError("open " + tmp, errno);
  Status st = WriteAll(fd, content, "write " + what_ + " " + tmp);
  if (st.ok() && ::fsync(fd) != 0) st = SystemError("fsync " + tmp, errno);
  ::close(fd);
  if (!st.ok()) return st;
  if (::rename(tmp.c_str(), path_.c_str()) != 0) return SystemError("rename " + tmp + " to " + path_, errno);
  int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);  // makes the rename durable; best effort on file systems without it
    ::close(dfd);
  }
  return Status::Ok();
}

}  // namespace host
