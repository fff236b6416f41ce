#include "kube/conditions.h"

#include "kube/resource.h"

namespace kube {

bool SetCondition(nlohmann::json& obj, const Condition& c, Clock::time_point now) {
  auto& status = obj["status"];
  if (!status.is_object()) status = nlohmann::json::object();
  auto& list = status["conditions"];
  if (!list.is_array()) list = nlohmann::json::array();
  nlohmann::json want = {{"type", c.type},
                         {"status", c.status},
                         {"reason", c.reason},
                         {"message", c.message},
                         {"observedGeneration", c.observed_generation}};
  for (auto& existing : list) {
    if (!existing.is_object() || existing.value("type", "") != c.type) continue;
    bool transition = existing.value("status", "") != c.status;
    want["lastTransitionTime"] =
        transition || !existing.contains("lastTransitionTime") ? nlohmann::json(FormatTime(now)) : existing["lastTransitionTime"];
    if (existing == want) return false;
    existing = want;
    return true;
  }
  want["lastTransitionTime"] = FormatTime(now);
  list.push_back(want);
  return true;
}

std::optional<nlohmann::json> FindCondition(const nlohmann::json& obj, const std::string& type) {
  if (!obj.is_object() || !obj.contains("status") || !obj["status"].is_object()) return std::nullopt;
  const auto& status = obj["status"];
  if (!status.contains("conditions") || !status["conditions"].is_array()) return std::nullopt;
  for (const auto& c : status["conditions"])
    if (c.is_object() && c.value("type", "") == type) return c;
  return std::nullopt;
}

bool IsConditionTrue(const nlohmann::json& obj, const std::string& type) {
  auto c = FindCondition(obj, type);
  return c && c->value("status", "") == "True";
}

bool RemoveCondition(nlohmann::json& obj, const std::string& type) {
  if (!obj.is_object() || !obj.contains("status") || !obj["status"].contains("conditions")) return false;
  auto& list = obj["status"]["conditions"];
  if (!list.is_array()) return false;
  for (auto it = list.begin(); it != list.end(); ++it) {
    if (it->is_object() && it->value("type", "") == type) {
      list.erase(it);
      return true;
    }
  }
  return false;
}

bool SetObservedGeneration(nlohmann::json& obj) {
  int64_t g = GenerationOf(obj);
  auto& status = obj["status"];
  if (!status.is_object()) status = nlohmann::json::object();
  if (status.contains("observedGeneration") && status["observedGeneration"] == g) return false;
  status["observedGeneration"] = g;
  return true;
}

}  // namespace kube
