#include "e2e/testapi/resource_requirements.h"

#include <set>

#include "e2e/testapi/quantity.h"
#include "kube/labels.h"

namespace testapi {
namespace {

using nlohmann::json;

constexpr std::string_view kHugePagesPrefix = "hugepages-";

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool IsNativeResource(std::string_view name) {
  return name.find('/') == std::string_view::npos || name.find("kubernetes.io/") != std::string_view::npos;
}

bool IsHugePages(std::string_view name) { return StartsWith(name, kHugePagesPrefix); }

// Native resources may be overcommitted (requests below limits), except
// huge pages.
bool IsOvercommitAllowed(std::string_view name) { return IsNativeResource(name) && !IsHugePages(name); }

bool IsStandardContainerResource(std::string_view name) {
  return name == "cpu" || name == "memory" || name == "ephemeral-storage" || IsHugePages(name);
}

// helper.IsStandardResourceName: the container resources plus what quotas
// count.
bool IsStandardResource(std::string_view name) {
  static const std::set<std::string_view> kOthers = {
      "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps",
      "persistentvolumeclaims", "storage", "services.nodeports", "services.loadbalancers",
      "requests.cpu", "requests.memory", "requests.storage", "requests.ephemeral-storage",
      "limits.cpu", "limits.memory", "limits.ephemeral-storage"};
  return IsStandardContainerResource(name) || kOthers.count(name) || StartsWith(name, "requests.hugepages-");
}

// validateContainerResourceName.
std::vector<FieldError> ContainerResourceNameErrors(const std::string& name, const std::string& path) {
  std::vector<FieldError> errs;
  for (const auto& msg : kube::QualifiedNameErrors(name)) errs.push_back(field::Invalid(path, name, msg));
  if (!errs.empty()) return errs;
  if (name.find('/') == std::string::npos) {
    if (!IsStandardResource(name))
      errs.push_back(field::Invalid(path, name, "must be a standard resource type or fully qualified"));
    if (!IsStandardContainerResource(name))
      errs.push_back(field::Invalid(path, name, "must be a standard resource for containers"));
  } else if (!IsNativeResource(name) && !IsExtendedResourceName(name)) {
    errs.push_back(field::Invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

// helper.IsIntegerResourceName: extended resources and the object counts
// quotas use.
bool IsIntegerResource(std::string_view name) {
  static const std::set<std::string_view> kCounts = {
      "pods", "resourcequotas", "services", "replicationcontrollers", "secrets", "configmaps",
      "persistentvolumeclaims", "services.nodeports", "services.loadbalancers"};
  return kCounts.count(name) || IsExtendedResourceName(name);
}

// ValidateResourceQuantityValue. The whole-number test is the real one's:
// the value rounded up to milli units must be a multiple of 1000.
void CheckQuantity(const std::string& name, const Quantity& q, const std::string& path,
                   std::vector<FieldError>* errs) {
  if (q.IsNegative()) errs->push_back(field::Invalid(path, q.ToString(), "must be greater than or equal to 0"));
  if (IsIntegerResource(name) && !q.IsWholeInMilli())
    errs->push_back(field::Invalid(path, q.ToString(), "must be an integer"));
}

// Rewrites each quantity of a ResourceList in canonical form.
std::optional<std::string> CanonicalizeList(json& list, const std::string& what) {
  if (list.is_null()) return std::nullopt;
  if (!list.is_object())
    return "json: cannot unmarshal " + std::string(list.type_name()) + " into Go struct field " + what +
           " of type v1.ResourceList";
  for (auto& [name, value] : list.items()) {
    auto q = Quantity::FromJson(value);
    if (!q) return std::string(Quantity::kSyntaxError);
    value = q->ToString();
  }
  return std::nullopt;
}

template <class Fn>
void ForEachContainer(json& pod, Fn fn) {
  if (!pod.contains("spec") || !pod["spec"].is_object()) return;
  for (const char* list : {"initContainers", "containers"}) {
    json& containers = pod["spec"][list];
    if (!containers.is_array()) {
      if (containers.is_null()) pod["spec"].erase(list);
      continue;
    }
    for (size_t i = 0; i < containers.size(); ++i)
      if (containers[i].is_object()) fn(containers[i], std::string("spec.") + list + "[" + std::to_string(i) + "]");
  }
}

}  // namespace

bool IsExtendedResourceName(std::string_view name) {
  if (IsNativeResource(name) || StartsWith(name, "requests.")) return false;
  return kube::QualifiedNameErrors("requests." + std::string(name)).empty();
}

std::optional<std::string> DefaultPodResources(json& pod) {
  std::optional<std::string> error;
  ForEachContainer(pod, [&](json& container, const std::string&) {
    if (error || !container.contains("resources")) return;
    json& resources = container["resources"];
    if (!resources.is_object()) {
      if (!resources.is_null())
        error = "json: cannot unmarshal " + std::string(resources.type_name()) +
                " into Go struct field Container.spec.containers.resources of type v1.ResourceRequirements";
      return;
    }
    for (const char* part : {"limits", "requests"}) {
      if (!resources.contains(part)) continue;
      if ((error = CanonicalizeList(resources[part],
                                    std::string("ResourceRequirements.spec.containers.resources.") + part)))
        return;
    }
    // SetDefaults_Pod: a limit without a request gives the request.
    if (resources.contains("limits") && resources["limits"].is_object() && !resources["limits"].empty()) {
      json& requests = resources["requests"];
      if (!requests.is_object()) requests = json::object();
      for (const auto& [name, value] : resources["limits"].items())
        if (!requests.contains(name)) requests[name] = value;
    }
  });
  return error;
}

std::vector<FieldError> ValidatePodResources(const json& pod) {
  std::vector<FieldError> errs;
  json copy = pod;  // ForEachContainer walks a mutable document
  ForEachContainer(copy, [&](json& container, const std::string& prefix) {
    if (!container.contains("resources") || !container["resources"].is_object()) return;
    const json& resources = container["resources"];
    const json limits = resources.value("limits", json::object());
    const json requests = resources.value("requests", json::object());
    const std::string lim_path = prefix + ".resources.limits", req_path = prefix + ".resources.requests";
    for (const auto& [name, value] : limits.items()) {
      std::string path = lim_path + "[" + name + "]";
      for (auto& e : ContainerResourceNameErrors(name, path)) errs.push_back(std::move(e));
      if (auto q = Quantity::FromJson(value)) CheckQuantity(name, *q, path, &errs);
    }
    for (const auto& [name, value] : requests.items()) {
      std::string path = req_path + "[" + name + "]";
      for (auto& e : ContainerResourceNameErrors(name, path)) errs.push_back(std::move(e));
      auto q = Quantity::FromJson(value);
      if (!q) continue;
      CheckQuantity(name, *q, path, &errs);
      auto limit = limits.contains(name) ? Quantity::FromJson(limits[name]) : std::nullopt;
      if (limit) {
        if (*q != *limit && !IsOvercommitAllowed(name))
          errs.push_back(field::Invalid(req_path, q->ToString(),
                                        "must be equal to " + name + " limit of " + limit->ToString()));
        else if (*q > *limit)
          errs.push_back(field::Invalid(req_path, q->ToString(),
                                        "must be less than or equal to " + name + " limit of " + limit->ToString()));
      } else if (!IsOvercommitAllowed(name)) {
        errs.push_back(field::Required(lim_path, "Limit must be set for non overcommitable resources"));
      }
    }
  });
  return errs;
}

std::optional<std::string> DefaultNodeResources(json& node) {
  if (!node.contains("status") || !node["status"].is_object()) return std::nullopt;
  for (const char* part : {"capacity", "allocatable"}) {
    if (!node["status"].contains(part)) continue;
    if (auto error = CanonicalizeList(node["status"][part], std::string("NodeStatus.status.") + part)) return error;
  }
  return std::nullopt;
}

std::vector<FieldError> ValidateNodeResources(const json& node) {
  std::vector<FieldError> errs;
  if (!node.contains("status") || !node["status"].is_object()) return errs;
  for (const char* part : {"capacity", "allocatable"}) {
    const json list = node["status"].value(part, json::object());
    if (!list.is_object()) continue;
    for (const auto& [name, value] : list.items()) {
      std::string path = std::string("status.") + part + "." + name;
      if (auto q = Quantity::FromJson(value)) CheckQuantity(name, *q, path, &errs);
    }
  }
  return errs;
}

}  // namespace testapi
