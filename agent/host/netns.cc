#include "agent/host/netns.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace host {

NetnsFd::~NetnsFd() {
  if (fd_ >= 0) ::close(fd_);
}

NetnsFd& NetnsFd::operator=(NetnsFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

Result<NetnsFd> OpenNetns(const std::string& path) {
  NetnsFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    return Error{"open network namespace " + path + ": " + std::strerror(err), err};
  }
  int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
  if (type != CLONE_NEWNET) {
    return Error{"open network namespace " + path + ": not a network namespace", EINVAL};
  }
  return fd;
}

Result<NetnsFd> CurrentNetns() { return OpenNetns("/proc/thread-self/ns/net"); }

Result<NetnsFd> NewAnonymousNetns() {
  auto home = CurrentNetns();
  if (!home.ok()) return home.error();
  if (::unshare(CLONE_NEWNET) != 0) {
    int err = errno;
    return Error{std::string("create a network namespace: ") + std::strerror(err), err};
  }
  auto made = CurrentNetns();
  // Back home before anything else: the thread must not stay in the new one.
  if (::setns(home->get(), CLONE_NEWNET) != 0) std::abort();
  return made;
}

}  // namespace host
