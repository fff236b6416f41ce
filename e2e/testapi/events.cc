#include "e2e/testapi/events.h"

#include <utility>

namespace testapi {

using json = nlohmann::json;

namespace {
// core/v1 field -> events.k8s.io/v1 field. Fields with the same name in both
// (metadata, eventTime, series, related, action, reason, type,
// reportingInstance) are copied as they are.
const std::pair<const char*, const char*> kRenames[] = {
    {"message", "note"},
    {"involvedObject", "regarding"},
    {"reportingComponent", "reportingController"},
    {"source", "deprecatedSource"},
    {"firstTimestamp", "deprecatedFirstTimestamp"},
    {"lastTimestamp", "deprecatedLastTimestamp"},
    {"count", "deprecatedCount"},
};

json Convert(const json& in, bool to_v1) {
  json out = json::object();
  for (const auto& [k, v] : in.items()) {
    if (k == "apiVersion" || k == "kind") continue;
    std::string key = k;
    for (const auto& [core, v1] : kRenames) {
      if (to_v1 && k == core) key = v1;
      if (!to_v1 && k == v1) key = core;
    }
    out[key] = v;
  }
  out["apiVersion"] = to_v1 ? "events.k8s.io/v1" : "v1";
  out["kind"] = "Event";
  return out;
}
}  // namespace

json CoreEventToV1(const json& core) { return Convert(core, true); }
json V1EventToCore(const json& v1) { return Convert(v1, false); }

}  // namespace testapi
