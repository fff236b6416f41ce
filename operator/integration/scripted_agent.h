// What a scripted agent (the integration tests' and rdma-operator-bench's
// stand-in for rdma-agent) writes into an RdmaNodeState's status, so both
// play the agent the same way. Header-only; used by operator/integration
// and operator/bench.
#pragma once

#include <nlohmann/json.hpp>

#include "kube/resource.h"

namespace rdma_operator::testing {

// The agent applied the object's current generation (after a reboot, with
// the firmware verified).
inline void ReportApplied(nlohmann::json& state) {
  const int64_t gen = kube::GenerationOf(state);
  state["status"]["observedGeneration"] = gen;
  state["status"]["appliedGeneration"] = gen;
  state["status"]["syncState"] = "Succeeded";
  state["status"]["rebootRequired"] = false;
}

// The agent waits for a reboot to apply the current generation; false when
// the status says so already (nothing to write).
inline bool ReportWaitingForReboot(nlohmann::json& state) {
  const int64_t gen = kube::GenerationOf(state);
  const nlohmann::json status = state.value("status", nlohmann::json::object());
  if (status.value("observedGeneration", int64_t{0}) == gen && status.value("syncState", "") == "Pending") return false;
  state["status"]["observedGeneration"] = gen;
  state["status"]["syncState"] = "Pending";
  state["status"]["rebootRequired"] = true;
  return true;
}

}  // namespace rdma_operator::testing
