#include "e2e/sim/firmware_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace sim {
namespace {

using host::Error;
using host::Result;
using host::Status;

// Holds an exclusive flock for its lifetime.
class DirLock {
 public:
  explicit DirLock(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  int fd_ = -1;
};

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool AllDigits(const std::string& s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

FirmwareParamState* FirmwareDeviceState::Find(const std::string& name) {
  for (auto& p : params)
    if (p.name == name) return &p;
  return nullptr;
}

const FirmwareParamState* FirmwareDeviceState::Find(const std::string& name) const {
  for (const auto& p : params)
    if (p.name == name) return &p;
  return nullptr;
}

FirmwareDeviceState FirmwareDeviceState::Factory(const std::string& bdf, int ports, const std::string& link_type) {
  FirmwareDeviceState d;
  d.bdf = bdf;
  const std::string lt = link_type == "IB" ? "IB(1)" : "ETH(2)";
  auto add = [&](const std::string& name, const std::string& v) { d.params.push_back({name, v, v, v}); };
  add("MEMIC_BAR_SIZE", "0");
  add("MEMIC_SIZE_LIMIT", "_256KB(1)");
  add("NUM_OF_VFS", "0");
  add("NUM_OF_PF", std::to_string(ports));
  add("SRIOV_EN", "False(0)");
  for (int p = 1; p <= ports; ++p) add("LINK_TYPE_P" + std::to_string(p), lt);
  add("PF_LOG_BAR_SIZE", "5");
  add("VF_LOG_BAR_SIZE", "1");
  return d;
}

Result<std::string> NormalizeFirmwareValue(const FirmwareDeviceState& dev, const std::string& param,
                                           const std::string& value) {
  const FirmwareParamState* p = dev.Find(param);
  if (p == nullptr) return Error{"The Device doesn't support " + param + " parameter"};
  const std::string v = Upper(value);
  const std::string& current = p->next_boot;
  if (current.find("True(") == 0 || current.find("False(") == 0) {
    if (v == "1" || v == "TRUE") return std::string("True(1)");
    if (v == "0" || v == "FALSE") return std::string("False(0)");
    return Error{"Bad value \"" + value + "\" for " + param + ": expected True(1) or False(0)"};
  }
  if (param.rfind("LINK_TYPE_P", 0) == 0) {
    if (v == "1" || v == "IB") return std::string("IB(1)");
    if (v == "2" || v == "ETH") return std::string("ETH(2)");
    if (v == "3" || v == "VPI") return std::string("VPI(3)");
    return Error{"Bad value \"" + value + "\" for " + param + ": expected IB(1), ETH(2) or VPI(3)"};
  }
  if (AllDigits(current)) {
    if (!AllDigits(value)) return Error{"Bad value \"" + value + "\" for " + param + ": expected a number"};
    if (value.size() > 9 || (param == "NUM_OF_VFS" && std::stol(value) > dev.max_vfs)) {
      return Error{"Parameter " + param + "' value is larger than maximum allowed " + std::to_string(dev.max_vfs)};
    }
    return std::to_string(std::stol(value));
  }
  return value;  // other named values are taken as given
}

FirmwareStore::FirmwareStore(std::string state_dir) : dir_(std::move(state_dir) + "/firmware") {}

std::string FirmwareStore::CanonicalBdf(const std::string& device) {
  // bus:dev.fn without a domain
  if (device.size() == 7 && device[2] == ':' && device[5] == '.') return "0000:" + device;
  return device;
}

std::string FirmwareStore::Path(const std::string& bdf) const { return dir_ + "/" + bdf + ".json"; }

std::vector<std::string> FirmwareStore::Devices() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() > 5 && name.substr(name.size() - 5) == ".json") out.push_back(name.substr(0, name.size() - 5));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<FirmwareDeviceState> FirmwareStore::LoadUnlocked(const std::string& bdf) const {
  std::ifstream in(Path(bdf));
  if (!in) return Error{"Failed to open device: " + bdf, ENODEV};
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Error{"corrupt simulator state " + Path(bdf), EIO};
  FirmwareDeviceState d;
  d.bdf = bdf;
  d.device_type = j.value("device_type", d.device_type);
  d.part_name = j.value("part_name", d.part_name);
  d.description = j.value("description", d.description);
  d.max_vfs = j.value("max_vfs", d.max_vfs);
  if (j.contains("params") && j["params"].is_array()) {
    for (const auto& p : j["params"]) {
      if (!p.is_object()) continue;
      d.params.push_back(
          {p.value("name", ""), p.value("default", ""), p.value("current", ""), p.value("next_boot", "")});
    }
  }
  if (j.contains("not_taking") && j["not_taking"].is_array()) {
    for (const auto& n : j["not_taking"])
      if (n.is_string()) d.not_taking.insert(n.get<std::string>());
  }
  return d;
}

Result<FirmwareDeviceState> FirmwareStore::Load(const std::string& bdf) const {
  DirLock lock(dir_ + "/.lock");
  return LoadUnlocked(bdf);
}

Status FirmwareStore::Save(const FirmwareDeviceState& d) const {
  nlohmann::json j;
  j["device_type"] = d.device_type;
  j["part_name"] = d.part_name;
  j["description"] = d.description;
  j["max_vfs"] = d.max_vfs;
  j["params"] = nlohmann::json::array();
  for (const auto& p : d.params) {
    j["params"].push_back(
        {{"name", p.name}, {"default", p.default_value}, {"current", p.current}, {"next_boot", p.next_boot}});
  }
  j["not_taking"] = std::vector<std::string>(d.not_taking.begin(), d.not_taking.end());
  // Write-then-rename so a reader never sees half a file.
  const std::string tmp = Path(d.bdf) + ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump(2) << "\n";
    if (!out) return Error{"write simulator state " + tmp + " failed", EIO};
  }
  std::error_code ec;
  std::filesystem::rename(tmp, Path(d.bdf), ec);
  if (ec) return Error{"write simulator state " + Path(d.bdf) + ": " + ec.message(), EIO};
  return Status::Ok();
}

Status FirmwareStore::Ensure(const FirmwareDeviceState& factory) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Error{"create " + dir_ + ": " + ec.message(), EIO};
  DirLock lock(dir_ + "/.lock");
  if (std::filesystem::exists(Path(factory.bdf))) return Status::Ok();
  return Save(factory);
}

Status FirmwareStore::Update(const std::string& bdf, const std::function<Status(FirmwareDeviceState&)>& change) {
  DirLock lock(dir_ + "/.lock");
  auto dev = LoadUnlocked(bdf);
  if (!dev.ok()) return dev.error();
  Status st = change(*dev);
  if (!st.ok()) return st;
  return Save(*dev);
}

Status FirmwareStore::Reboot() {
  DirLock lock(dir_ + "/.lock");
  for (const auto& bdf : Devices()) {
    auto dev = LoadUnlocked(bdf);
    if (!dev.ok()) return dev.error();
    for (auto& p : dev->params) {
      if (dev->not_taking.count(p.name) == 0) p.current = p.next_boot;
    }
    Status st = Save(*dev);
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace sim
