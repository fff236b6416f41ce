#include "agent/host/fake_sysfs.h"

#include <cerrno>
#include <sstream>

namespace host {
namespace {

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '/')) {
    if (part.empty() || part == ".") continue;
    parts.push_back(part);
  }
  return parts;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

std::string Normal(const std::string& path) { return Join(Split(path)); }

std::string Shown(const std::string& path) { return "/sys/" + Normal(path); }

}  // namespace

void FakeSysfs::AddDir(const std::string& path) {
  auto parts = Split(path);
  std::vector<std::string> prefix;
  for (const auto& p : parts) {
    prefix.push_back(p);
    dirs_.insert(Join(prefix));
  }
}

void FakeSysfs::AddFile(const std::string& path, const std::string& content) {
  auto parts = Split(path);
  if (parts.empty()) return;
  parts.pop_back();
  AddDir(Join(parts));
  files_[Normal(path)] = content;
}

void FakeSysfs::AddLink(const std::string& path, const std::string& target) {
  auto parts = Split(path);
  if (parts.empty()) return;
  parts.pop_back();
  AddDir(Join(parts));
  links_[Normal(path)] = target;
}

void FakeSysfs::Remove(const std::string& path) {
  const std::string p = Normal(path);
  auto under = [&](const std::string& k) { return k == p || k.rfind(p + "/", 0) == 0; };
  std::erase_if(files_, [&](const auto& kv) { return under(kv.first); });
  std::erase_if(links_, [&](const auto& kv) { return under(kv.first); });
  std::erase_if(dirs_, [&](const auto& k) { return under(k); });
}

void FakeSysfs::OnWrite(const std::string& path, WriteHandler handler) { handlers_[Normal(path)] = std::move(handler); }

bool FakeSysfs::IsDir(const std::string& path) const { return path.empty() || dirs_.count(path) > 0; }

std::string FakeSysfs::Resolve(const std::string& path, bool follow_last, int* err) const {
  std::vector<std::string> pending = Split(path);
  std::vector<std::string> done;
  int hops = 0;
  while (!pending.empty()) {
    std::string part = pending.front();
    pending.erase(pending.begin());
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(part);
    const std::string cur = Join(done);
    auto link = links_.find(cur);
    if (link != links_.end() && (follow_last || !pending.empty())) {
      if (++hops > 40) {
        *err = ELOOP;
        return {};
      }
      done.pop_back();
      std::vector<std::string> target = Split(link->second);
      if (!link->second.empty() && link->second.front() == '/') done.clear();
      target.insert(target.end(), pending.begin(), pending.end());
      pending = std::move(target);
      continue;
    }
    if (!pending.empty() && !IsDir(cur)) {
      *err = files_.count(cur) ? ENOTDIR : ENOENT;
      return {};
    }
  }
  *err = 0;
  return Join(done);
}

Result<std::string> FakeSysfs::Read(const std::string& path) {
  int err = 0;
  std::string p = Resolve(path, true, &err);
  if (err != 0) return SystemError("read " + Shown(path), err);
  auto it = files_.find(p);
  if (it == files_.end()) return SystemError("read " + Shown(path), IsDir(p) ? EISDIR : ENOENT);
  std::string out = it->second;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

Status FakeSysfs::Write(const std::string& path, const std::string& value) {
  const std::string op = "write " + Shown(path) + "=" + value;
  int err = 0;
  std::string p = Resolve(path, true, &err);
  if (err != 0) return SystemError(op, err);
  auto file = files_.find(p);
  if (file == files_.end()) return SystemError(op, IsDir(p) ? EISDIR : ENOENT);
  writes_.emplace_back(p, value);
  auto handler = handlers_.find(p);
  if (handler != handlers_.end()) {
    Status st = handler->second(value);
    if (!st.ok()) return Error{op + ": " + st.message(), st.sys_errno()};
    return st;
  }
  file->second = value;
  return Status::Ok();
}

Result<std::vector<std::string>> FakeSysfs::List(const std::string& dir) {
  int err = 0;
  std::string p = Resolve(dir, true, &err);
  if (err != 0) return SystemError("list " + Shown(dir), err);
  if (!IsDir(p)) return SystemError("list " + Shown(dir), files_.count(p) ? ENOTDIR : ENOENT);
  const std::string prefix = p.empty() ? "" : p + "/";
  std::set<std::string> names;
  auto add = [&](const std::string& key) {
    if (key.rfind(prefix, 0) != 0 || key.size() == prefix.size()) return;
    std::string rest = key.substr(prefix.size());
    names.insert(rest.substr(0, rest.find('/')));
  };
  for (const auto& kv : files_) add(kv.first);
  for (const auto& kv : links_) add(kv.first);
  for (const auto& d : dirs_) add(d);
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::string> FakeSysfs::ReadLink(const std::string& path) {
  int err = 0;
  std::string p = Resolve(path, false, &err);
  if (err != 0) return SystemError("readlink " + Shown(path), err);
  auto it = links_.find(p);
  if (it == links_.end()) {
    bool exists = IsDir(p) || files_.count(p) > 0;
    return SystemError("readlink " + Shown(path), exists ? EINVAL : ENOENT);
  }
  return it->second;
}

bool FakeSysfs::Exists(const std::string& path) {
  int err = 0;
  std::string p = Resolve(path, true, &err);
  return err == 0 && (IsDir(p) || files_.count(p) > 0);
}

}  // namespace host
