// FakeSysfs: an in-memory Sysfs for unit tests.
//
// Tests build the tree they need (files, symlinks; directories are implied by
// the paths under them), then assert on what the code under test wrote.
// Symlinks are followed like the kernel's, relative to the link's directory,
// so "class/net/eth0/device/sriov_numvfs" works when "class/net/eth0/device"
// is a link. A write handler per path stands in for kernel behaviour such as
// EBUSY on sriov_numvfs.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "agent/host/sysfs.h"

namespace host {

class FakeSysfs : public Sysfs {
 public:
  // Called instead of storing the value; return an error to refuse the write.
  using WriteHandler = std::function<Status(const std::string& value)>;

  void AddFile(const std::string& path, const std::string& content);
  void AddDir(const std::string& path);
  void AddLink(const std::string& path, const std::string& target);
  void Remove(const std::string& path);  // a file, link or a whole directory
  void OnWrite(const std::string& path, WriteHandler handler);
  // Every successful or refused write in order, as (path, value).
  const std::vector<std::pair<std::string, std::string>>& writes() const { return writes_; }

  Result<std::string> Read(const std::string& path) override;
  Status Write(const std::string& path, const std::string& value) override;
  Result<std::vector<std::string>> List(const std::string& dir) override;
  Result<std::string> ReadLink(const std::string& path) override;
  bool Exists(const std::string& path) override;

 private:
  // Follows links in every component; empty result with *err set on failure.
  std::string Resolve(const std::string& path, bool follow_last, int* err) const;
  bool IsDir(const std::string& path) const;

  std::map<std::string, std::string> files_;
  std::map<std::string, std::string> links_;
  std::set<std::string> dirs_;
  std::map<std::string, WriteHandler> handlers_;
  std::vector<std::pair<std::string, std::string>> writes_;
};

}  // namespace host
