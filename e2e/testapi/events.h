// Events are stored once, in their core/v1 form, and served both as
// core/v1 Event and as events.k8s.io/v1 Event, converting field names the
// way kube-apiserver does (message <-> note, involvedObject <-> regarding...).
#pragma once

#include <nlohmann/json.hpp>

namespace testapi {

nlohmann::json CoreEventToV1(const nlohmann::json& core);
nlohmann::json V1EventToCore(const nlohmann::json& v1);

}  // namespace testapi
