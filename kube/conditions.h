// Helpers for metav1.Condition lists in status (Ready, Progressing,
// Degraded): setting a condition moves lastTransitionTime only when its
// status changes, so `kubectl wait` and GitOps tools see real transitions,
// and every condition records the generation it was computed from.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "kube/timestamps.h"

namespace kube {

struct Condition {
  std::string type;    // "Ready"
  std::string status;  // "True", "False", "Unknown"
  std::string reason;  // CamelCase, e.g. "FirmwareApplied"
  std::string message;
  int64_t observed_generation = 0;
};

// Sets or replaces condition c.type in obj.status.conditions. The
// lastTransitionTime is `now` for a new condition or a status change and is
// kept otherwise. Returns true if anything in the condition changed (so the
// caller knows whether a status write is needed).
bool SetCondition(nlohmann::json& obj, const Condition& c, Clock::time_point now = Clock::now());
// The condition of that type in obj.status.conditions, or nullopt.
std::optional<nlohmann::json> FindCondition(const nlohmann::json& obj, const std::string& type);
bool IsConditionTrue(const nlohmann::json& obj, const std::string& type);
bool RemoveCondition(nlohmann::json& obj, const std::string& type);
// status.observedGeneration = metadata.generation; true if it changed.
bool SetObservedGeneration(nlohmann::json& obj);

}  // namespace kube
