// BootId: tells one boot of the node from the next (the kernel's
// /proc/sys/kernel/random/boot_id, new at every boot). The agent compares it
// with the boot id in its journal to know that a reboot it asked for has
// happened, and then checks the firmware values it wanted.
#pragma once

#include <string>

#include "agent/host/result.h"

namespace host {

class BootId {
 public:
  virtual ~BootId() = default;
  virtual Result<std::string> Read() = 0;
};

// Reads <host_root>/proc/sys/kernel/random/boot_id (host_root "/" on a real
// node, the simulator's mount in tests).
class FileBootId : public BootId {
 public:
  explicit FileBootId(const std::string& host_root);
  Result<std::string> Read() override;

 private:
  std::string path_;
};

class FakeBootId : public BootId {
 public:
  void Set(std::string id) { id_ = std::move(id); }
  Result<std::string> Read() override { return id_; }

 private:
  std::string id_ = "boot-1";
};

}  // namespace host
