// Conditions: the metav1.Condition every status in this API carries, the
// three condition types the operator and agent set (Ready, Progressing,
// Degraded, as kstatus expects them), and the helper that updates a condition
// list the way meta.SetStatusCondition does in Go.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace api {

namespace json_fields {
class Reader;
class Writer;
}  // namespace json_fields

// Condition types. kstatus (kubectl wait, Argo CD, Flux) reads them as:
// Ready=True and observedGeneration == metadata.generation -> healthy;
// Progressing=True -> in progress; Degraded=True -> failed, see message.
inline constexpr std::string_view kConditionReady = "Ready";
inline constexpr std::string_view kConditionProgressing = "Progressing";
inline constexpr std::string_view kConditionDegraded = "Degraded";

inline constexpr std::string_view kConditionTrue = "True";
inline constexpr std::string_view kConditionFalse = "False";
inline constexpr std::string_view kConditionUnknown = "Unknown";

// Reasons (CamelCase, as the CRD pattern requires). docs/api.md lists them
// for users; use these names so the two stay the same.
inline constexpr std::string_view kReasonApplied = "Applied";            // Ready: in effect
inline constexpr std::string_view kReasonRendered = "Rendered";          // Ready: NADs written
inline constexpr std::string_view kReasonApplying = "Applying";          // Progressing
inline constexpr std::string_view kReasonDraining = "Draining";          // Progressing
inline constexpr std::string_view kReasonWaitingForReboot = "WaitingForReboot";  // Progressing
inline constexpr std::string_view kReasonInvalidSpec = "InvalidSpec";    // Degraded: FieldErrors
inline constexpr std::string_view kReasonConflict = "Conflict";          // Degraded: policies disagree
inline constexpr std::string_view kReasonNadCrdMissing = "NadCrdMissing";  // Degraded
inline constexpr std::string_view kReasonAddressesExhausted = "AddressesExhausted";  // Degraded
inline constexpr std::string_view kReasonSettingDidNotTake = "SettingDidNotTake";    // Degraded

struct Condition {
  std::string type;
  std::string status;  // "True", "False" or "Unknown"
  int64_t observed_generation = 0;
  std::string last_transition_time;  // RFC 3339
  std::string reason;
  std::string message;
  nlohmann::json unknown_fields;

  bool operator==(const Condition&) const = default;
};

void Fields(json_fields::Reader& v, Condition& c);
void Fields(json_fields::Writer& v, Condition& c);

// The condition of this type, or nullptr.
const Condition* FindCondition(const std::vector<Condition>& conditions, std::string_view type);

// True when the condition of this type exists and has status "True".
bool IsConditionTrue(const std::vector<Condition>& conditions, std::string_view type);

// Adds the condition or updates the one of the same type. The transition
// time becomes `now` only when the status changes (so it says since when a
// state holds); reason, message and observedGeneration are always updated.
// Returns true when anything changed, so a caller writes status only then.
bool SetCondition(std::vector<Condition>* conditions, const Condition& condition,
                  std::string_view now);

// RFC 3339 in UTC with seconds, as Kubernetes writes timestamps:
// "2026-11-25T19:13:25Z".
std::string FormatTimestamp(std::chrono::system_clock::time_point time);

}  // namespace api
