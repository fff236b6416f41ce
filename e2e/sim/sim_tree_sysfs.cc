#include "e2e/sim/sim_tree_sysfs.h"

#include <cerrno>
#include <sstream>

namespace sim {
namespace {

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  std::string p;
  while (std::getline(ss, p, '/'))
    if (!p.empty() && p != ".") parts.push_back(p);
  return parts;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

std::string Shown(const std::string& path) {
  std::string p = path;
  while (!p.empty() && p.front() == '/') p.erase(p.begin());
  return "/sys/" + p;
}

}  // namespace

int SimTreeSysfs::Resolve(const std::string& path, bool follow_last, std::string* out) const {
  std::vector<std::string> pending = Split(path);
  std::vector<std::string> done = {"sys"};
  int hops = 0;
  while (!pending.empty()) {
    std::string part = pending.front();
    pending.erase(pending.begin());
    if (part == "..") {
      if (done.size() > 1) done.pop_back();
      continue;
    }
    done.push_back(part);
    const std::string cur = Join(done);
    SimTree::Kind kind = tree_.KindOf(cur);
    if (kind == SimTree::Kind::kNone) return ENOENT;
    if (kind == SimTree::Kind::kLink && (follow_last || !pending.empty())) {
      if (++hops > 40) return ELOOP;
      std::string target;
      tree_.ReadLink(cur, &target);
      done.pop_back();
      std::vector<std::string> t = Split(target);
      t.insert(t.end(), pending.begin(), pending.end());
      pending = std::move(t);
      continue;
    }
    if (!pending.empty() && kind != SimTree::Kind::kDir) return ENOTDIR;
  }
  *out = Join(done);
  return 0;
}

host::Result<std::string> SimTreeSysfs::Read(const std::string& path) {
  std::string p, content;
  int err = Resolve(path, true, &p);
  if (err == 0) err = tree_.Read(p, &content);
  if (err != 0) return host::SystemError("read " + Shown(path), err);
  while (!content.empty() && (content.back() == '\n' || content.back() == ' ')) content.pop_back();
  return content;
}

host::Status SimTreeSysfs::Write(const std::string& path, const std::string& value) {
  std::string p;
  int err = Resolve(path, true, &p);
  if (err == 0) err = tree_.Write(p, value);
  if (err != 0) return host::SystemError("write " + Shown(path) + "=" + value, err);
  return host::Status::Ok();
}

host::Result<std::vector<std::string>> SimTreeSysfs::List(const std::string& dir) {
  std::string p;
  std::vector<std::string> names;
  int err = Resolve(dir, true, &p);
  if (err == 0) err = tree_.List(p, &names);
  if (err != 0) return host::SystemError("list " + Shown(dir), err);
  return names;
}

host::Result<std::string> SimTreeSysfs::ReadLink(const std::string& path) {
  std::string p, target;
  int err = Resolve(path, false, &p);
  if (err == 0) err = tree_.ReadLink(p, &target);
  if (err != 0) return host::SystemError("readlink " + Shown(path), err);
  return target;
}

bool SimTreeSysfs::Exists(const std::string& path) {
  std::string p;
  return Resolve(path, true, &p) == 0;
}

}  // namespace sim
