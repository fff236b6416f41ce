// The resource types kube-testapi serves: the built-in kinds the operator,
// the agent and kubectl need, plus one entry per served version of every
// established CustomResourceDefinition.
//
// A ResourceType says how a REST path maps to stored objects (its storage
// key; core and events.k8s.io Events share one), what discovery reports
// about it, and how writes to it are checked (schema, printer columns,
// field selectors).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "e2e/testapi/schema.h"

namespace testapi {

using json = nlohmann::json;

struct ResourceType {
  std::string group;  // "" for the core group
  std::string version;
  std::string plural;
  std::string singular;
  std::string kind;
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool status_subresource = false;
  bool eviction_subresource = false;  // pods only
  bool has_generation = false;        // metadata.generation tracks spec changes
  bool returns_deleted_object = false;  // DELETE answers with the object, not a Status
  bool custom = false;                // served from a CRD
  std::string crd_name;               // the CRD that serves it, when custom
  std::string storage;                // storage key; equal for types sharing objects
  std::optional<StructuralSchema> schema;  // CRDs only
  json printer_columns = json::array();    // CRD additionalPrinterColumns
  std::vector<std::string> selectable_fields;  // field selector paths beyond metadata.*

  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
  std::string ListKind() const { return kind + "List"; }
  std::string GroupVersion() const { return ApiVersion(); }
};

using ResourceTypePtr = std::shared_ptr<const ResourceType>;

// All served types, looked up by (group, version, plural) for REST paths
// and by (apiVersion, kind) for bodies.
class Registry {
 public:
  // A registry holding the built-in kinds.
  Registry();

  ResourceTypePtr Find(const std::string& group, const std::string& version, const std::string& plural) const;
  ResourceTypePtr FindKind(const std::string& api_version, const std::string& kind) const;

  // Adds or replaces a type (a CRD version); returns the previous one if any.
  void Put(ResourceTypePtr type);
  // Removes every type served by the named CRD.
  void RemoveCrd(const std::string& crd_name);

  // Every group with its versions, built-in groups first, for discovery.
  struct GroupInfo {
    std::string name;
    std::vector<std::string> versions;  // preferred first
  };
  std::vector<GroupInfo> Groups() const;
  std::vector<ResourceTypePtr> TypesIn(const std::string& group, const std::string& version) const;
  std::vector<ResourceTypePtr> All() const;

 private:
  void AddBuiltin(ResourceType t);
  static std::string Key(const std::string& group, const std::string& version, const std::string& plural);

  std::map<std::string, ResourceTypePtr> by_path_;  // key: group/version/plural
  std::vector<std::string> group_order_;            // built-in groups in discovery order
};

// The built-in storage key of a CRD's objects.
std::string CustomStorage(const std::string& group, const std::string& plural);

}  // namespace testapi
