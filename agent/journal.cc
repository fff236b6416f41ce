#include "agent/journal.h"

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

}  // namespace

Journal::Journal(std::string dir) : path_(std::move(dir) + "/journal.json"), file_(path_, "journal") {}

host::Result<JournalState> Journal::Load() const {
  auto text = file_.Read();
  if (!text.ok()) return text.error();
  if (!*text) return JournalState{};
  try {
    return FromJson(json::parse(**text));
  } catch (const json::exception& e) {
    return host::Error{"read journal " + path_ + ": not a valid journal (" + e.what() + ")"};
  }
}

host::Status Journal::Save(const JournalState& state) const {
  return file_.WriteAtomically(ToJson(state).dump(2) + "\n");
}

}  // namespace agent
