// Compute and extended resources in Pods and Nodes, as kube-apiserver
// defaults and validates them (pkg/apis/core/v1 defaults and
// pkg/apis/core/validation).
//
// Device plugins advertise extended resources ("rdma.dev/roce") in a Node's
// capacity and allocatable, and pods ask for them in container limits, so
// code tested against the test API server must see what the real one does:
//   - every quantity comes back in canonical form ("0.5" -> "500m");
//   - a limit without a request defaults the request to the limit, for
//     every resource (containers and init containers);
//   - an extended resource (a name with a '/', outside *kubernetes.io/,
//     whose "requests."-prefixed form is a qualified name) must be a whole
//     number, must have a limit, and its request must equal its limit;
//   - no quantity is negative, in containers or in node status.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "e2e/testapi/field_error.h"

namespace testapi {

// What the real server treats as an extended resource (helper.IsExtendedResourceName).
bool IsExtendedResourceName(std::string_view name);

// Defaulting for a Pod: canonical quantities in each container's and init
// container's resources, then requests defaulted from limits. Returns the
// decoding error the real server would answer with 400 BadRequest (a
// quantity that does not parse, resources that are not maps), or nullopt.
std::optional<std::string> DefaultPodResources(nlohmann::json& pod);

// The resource rules for a defaulted Pod: names, non-negative and whole
// quantities, limits for extended resources, requests equal to (extended)
// or at most (others) their limits. Field paths as the real server gives
// them, e.g. "spec.containers[0].resources.limits[example.com/dev]".
std::vector<FieldError> ValidatePodResources(const nlohmann::json& pod);

// Canonical quantities in a Node's status.capacity and status.allocatable;
// the decoding error for one that does not parse, or nullopt.
std::optional<std::string> DefaultNodeResources(nlohmann::json& node);

// Non-negative, and whole for extended resources, at
// "status.capacity.<name>" / "status.allocatable.<name>".
std::vector<FieldError> ValidateNodeResources(const nlohmann::json& node);

}  // namespace testapi
