#include "api/condition.h"

#include <ctime>

#include "api/json_fields.h"

namespace api {

namespace {

template <class V>
void ConditionFields(V& v, Condition& c) {
  v.Required("type", c.type);
  v.Required("status", c.status);
  v("observedGeneration", c.observed_generation);
  v.Required("lastTransitionTime", c.last_transition_time);
  v.Required("reason", c.reason);
  v.Required("message", c.message);
}

}  // namespace

void Fields(json_fields::Reader& v, Condition& c) { ConditionFields(v, c); }
void Fields(json_fields::Writer& v, Condition& c) { ConditionFields(v, c); }

const Condition* FindCondition(const std::vector<Condition>& conditions, std::string_view type) {
  for (const Condition& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

bool IsConditionTrue(const std::vector<Condition>& conditions, std::string_view type) {
  const Condition* c = FindCondition(conditions, type);
  return c != nullptr && c->status == kConditionTrue;
}

bool SetCondition(std::vector<Condition>* conditions, const Condition& condition,
                  std::string_view now) {
  for (Condition& existing : *conditions) {
    if (existing.type != condition.type) continue;
    bool changed = false;
    if (existing.status != condition.status) {
      existing.status = condition.status;
      existing.last_transition_time = std::string(now);
      changed = true;
    }
    if (existing.reason != condition.reason || existing.message != condition.message ||
        existing.observed_generation != condition.observed_generation) {
      existing.reason = condition.reason;
      existing.message = condition.message;
      existing.observed_generation = condition.observed_generation;
      changed = true;
    }
    return changed;
  }
  Condition added = condition;
  added.last_transition_time = std::string(now);
  conditions->push_back(std::move(added));
  return true;
}

std::string FormatTimestamp(std::chrono::system_clock::time_point time) {
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace api
