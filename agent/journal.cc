#include "agent/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace agent {
namespace {

using nlohmann::json;

json ToJson(const JournalState& s) {
  json j;
  j["version"] = 1;
  j["appliedGeneration"] = s.applied_generation;
  j["pfs"] = json::object();
  for (const auto& [pci, pf] : s.pfs) j["pfs"][pci] = {{"numVfs", pf.num_vfs}, {"guids", pf.guids}};
  if (s.reboot) j["reboot"] = {{"generation", s.reboot->generation}, {"bootId", s.reboot->boot_id}};
  return j;
}

JournalState FromJson(const json& j) {  // throws json::exception on a wrong shape
  JournalState s;
  s.applied_generation = j.at("appliedGeneration").get<int64_t>();
  for (const auto& [pci, pf] : j.at("pfs").items()) {
    JournalPf p;
    p.num_vfs = pf.at("numVfs").get<int32_t>();
    p.guids = pf.at("guids").get<std::vector<std::string>>();
    s.pfs[pci] = p;
  }
  if (j.contains("reboot")) {
    s.reboot = JournalReboot{j["reboot"].at("generation").get<int64_t>(), j["reboot"].at("bootId").get<std::string>()};
  }
  return s;
}

host::Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return host::SystemError("write journal " + path, errno);
    }
    off += static_cast<size_t>(n);
  }
  return host::Status::Ok();
}

}  // namespace

Journal::Journal(std::string dir) : dir_(std::move(dir)), path_(dir_ + "/journal.json") {}

host::Result<JournalState> Journal::Load() const {
  std::ifstream in(path_);
  if (!in) {
    if (!std::filesystem::exists(path_)) return JournalState{};
    return host::SystemError("read journal " + path_, errno);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return FromJson(json::parse(ss.str()));
  } catch (const json::exception& e) {
    return host::Error{"read journal " + path_ + ": not a valid journal (" + e.what() + ")"};
  }
}

host::Status Journal::Save(const JournalState& state) const {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return host::Error{"create journal directory " + dir_ + ": " + ec.message(), ec.value()};
  std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return host::SystemError("open " + tmp, errno);
  host::Status st = WriteAll(fd, ToJson(state).dump(2) + "\n", tmp);
  if (st.ok() && ::fsync(fd) != 0) st = host::SystemError("fsync " + tmp, errno);
  ::close(fd);
  if (!st.ok()) return st;
  if (::rename(tmp.c_str(), path_.c_str()) != 0) return host::SystemError("rename " + tmp + " to " + path_, errno);
  int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);  // makes the rename durable; best effort on file systems without it
    ::close(dfd);
  }
  return host::Status::Ok();
}

}  // namespace agent
