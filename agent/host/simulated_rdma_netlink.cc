#include "agent/host/simulated_rdma_netlink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace host {
namespace {

const char kShared[] = "shared";
const char kExclusive[] = "exclusive";

const char* ModeWord(RdmaNetnsMode mode) { return mode == RdmaNetnsMode::kExclusive ? kExclusive : kShared; }

Error NotSimulated(const std::string& what) {
  return Error{what + ": the simulated RDMA core does not list or move RDMA devices yet (only the netns mode)",
               EOPNOTSUPP};
}

// `echo WORD > file`: O_TRUNC so a plain file (tests, a hand-made sandbox)
// holds only the new word; sysfs and sysfs-sim ignore the truncation. One
// write(), since a sysfs store() sees each write() on its own.
Status WriteWhole(const std::string& path, const std::string& value) {
  const std::string op = "write " + path + "=" + value.substr(0, value.find('\n'));
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return SystemError(op, errno);
  ssize_t n;
  do {
    n = ::write(fd, value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  int err = n < 0 ? errno : 0;
  if (::close(fd) < 0 && err == 0) err = errno;
  if (err != 0) return SystemError(op, err);
  if (static_cast<size_t>(n) != value.size()) return Error{op + ": short write", EIO};
  return Status::Ok();
}

}  // namespace

SimulatedRdmaNetlink::SimulatedRdmaNetlink(Netlink& real, std::string mode_file)
    : real_(real), mode_file_(std::move(mode_file)) {}

Result<RdmaNetnsMode> SimulatedRdmaNetlink::GetRdmaNetnsMode() {
  auto text = files_.Read(mode_file_);  // trailing newline already stripped
  if (!text.ok()) return Error{"get RDMA netns mode: " + text.error().message, text.error().sys_errno};
  if (*text == kShared) return RdmaNetnsMode::kShared;
  if (*text == kExclusive) return RdmaNetnsMode::kExclusive;
  return Error{"get RDMA netns mode: " + mode_file_ + " holds \"" + *text + "\", want \"shared\" or \"exclusive\"",
               EPROTO};
}

Status SimulatedRdmaNetlink::SetRdmaNetnsMode(RdmaNetnsMode mode) {
  Status st = WriteWhole(mode_file_, std::string(ModeWord(mode)) + "\n");
  if (!st.ok()) return Error{std::string("set RDMA netns mode ") + ModeWord(mode) + ": " + st.message(), st.sys_errno()};
  return st;
}

Result<std::vector<RdmaDevice>> SimulatedRdmaNetlink::ListRdmaDevices() { return NotSimulated("list RDMA devices"); }

Status SimulatedRdmaNetlink::MoveRdmaDeviceToNetns(const std::string& device, int /*netns_fd*/) {
  return NotSimulated("move RDMA device " + device);
}

}  // namespace host
