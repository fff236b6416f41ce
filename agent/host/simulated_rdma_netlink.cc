#include "agent/host/simulated_rdma_netlink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "agent/host/real_sysfs.h"

namespace host {
namespace {

const char kShared[] = "shared";
const char kExclusive[] = "exclusive";

const char* ModeWord(RdmaNetnsMode mode) { return mode == RdmaNetnsMode::kExclusive ? kExclusive : kShared; }

Error NotSimulated(const std::string& what) {
  return Error{what + ": the simulated RDMA core does not list or move RDMA devices yet (only the netns mode)",
               EOPNOTSUPP};
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
  // O_TRUNC: a plain file (tests, a hand-made sandbox) then holds only the
  // new word; sysfs-sim ignores the truncation, as sysfs does.
  Status st = WriteOnce(mode_file_, std::string(ModeWord(mode)) + "\n", O_TRUNC);
  if (!st.ok()) return Error{std::string("set RDMA netns mode ") + ModeWord(mode) + ": " + st.message(), st.sys_errno()};
  return st;
}

Result<std::vector<RdmaDevice>> SimulatedRdmaNetlink::ListRdmaDevices() { return NotSimulated("list RDMA devices"); }

Status SimulatedRdmaNetlink::MoveRdmaDeviceToNetns(const std::string& device, int /*netns_fd*/) {
  return NotSimulated("move RDMA device " + device);
}

}  // namespace host
