#include "e2e/sim/dev_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <map>
#include <set>

namespace sim {

DevPlan PlanDevSync(const std::vector<CharDevice>& want, const std::vector<DevEntry>& have) {
  std::map<std::string, const CharDevice*> wanted;
  for (const auto& w : want) wanted[w.name] = &w;
  std::set<std::string> right_already;
  DevPlan plan;
  for (const auto& h : have) {
    auto it = wanted.find(h.name);
    const bool right = it != wanted.end() && h.is_char && h.major == it->second->major &&
                       h.minor == it->second->minor && h.mode == kDevNodeMode;
    if (right) {
      right_already.insert(h.name);
    } else {
      plan.remove.push_back(h.name);
    }
  }
  for (const auto& w : want)
    if (!right_already.count(w.name)) plan.create.push_back(w);
  return plan;
}

DevTree::DevTree(std::string dev_dir) : dev_dir_(std::move(dev_dir)) {}

host::Result<std::vector<DevEntry>> DevTree::Scan() const {
  const std::string dir = infiniband_dir();
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return host::SystemError("list " + dir, errno);
  std::vector<DevEntry> entries;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(::dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone meanwhile
    DevEntry entry;
    entry.name = name;
    entry.is_char = S_ISCHR(st.st_mode);
    entry.major = ::major(st.st_rdev);
    entry.minor = ::minor(st.st_rdev);
    entry.mode = st.st_mode & 07777;
    entries.push_back(entry);
  }
  ::closedir(d);
  return entries;
}

host::Status DevTree::Sync(const std::vector<CharDevice>& want) {
  const std::string dir = infiniband_dir();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return host::Error{"create " + dir + ": " + ec.message(), ec.value()};
  auto have = Scan();
  if (!have.ok()) return have.error();
  const DevPlan plan = PlanDevSync(want, *have);

  host::Status first;
  auto fail = [&](const std::string& what, int err) {
    if (first.ok()) first = host::SystemError(what, err);
  };
  for (const auto& name : plan.remove) {
    const std::string path = dir + "/" + name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail("remove " + path, errno);
  }
  for (const auto& c : plan.create) {
    const std::string path = dir + "/" + c.name;
    const std::string what = "mknod " + path + " (char " + std::to_string(c.major) + ":" + std::to_string(c.minor) + ")";
    if (::mknod(path.c_str(), S_IFCHR | kDevNodeMode, ::makedev(c.major, c.minor)) != 0) {
      fail(what, errno);
      continue;
    }
    if (::chmod(path.c_str(), kDevNodeMode) != 0) fail("chmod " + path, errno);  // mknod obeys the umask
  }
  return first;
}

}  // namespace sim
