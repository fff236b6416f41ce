// Network namespaces as file descriptors: open a pod's namespace by path
// (checking that it is one), and make an anonymous one that lives as long
// as its fd (tests and the attach benchmark make their pods so).
#pragma once

#include <string>

#include "agent/host/result.h"

namespace host {

// An owned netns fd; closes it on destruction.
class NetnsFd {
 public:
  NetnsFd() = default;
  explicit NetnsFd(int fd) : fd_(fd) {}
  ~NetnsFd();
  NetnsFd(NetnsFd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  NetnsFd& operator=(NetnsFd&& other) noexcept;
  NetnsFd(const NetnsFd&) = delete;
  NetnsFd& operator=(const NetnsFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Opens `path` (/var/run/netns/cni-..., /proc/<pid>/ns/net). ENOENT when it
// does not exist; EINVAL when it exists but is not a network namespace (a
// bind mount that lost its namespace reads as an empty file).
Result<NetnsFd> OpenNetns(const std::string& path);

// A new network namespace, with no name and no process in it: it is gone
// when the fd is closed (links in it are destroyed or, for physical
// netdevs, returned to the initial namespace by the kernel). The calling
// thread stays where it was.
Result<NetnsFd> NewAnonymousNetns();

// The calling thread's own network namespace.
Result<NetnsFd> CurrentNetns();

}  // namespace host
