// kube::Resource names a kind of object on the API server the way the REST
// API does (group, version, plural, scope), so kube::Client can build URLs for
// any built-in or custom resource without compiled-in types. Objects
// themselves are nlohmann::json.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace kube {

struct Resource {
  std::string group;    // "" for the core group
  std::string version;  // "v1"
  std::string plural;   // "pods"
  std::string kind;     // "Pod" (filled into objects created without one)
  bool namespaced = true;

  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
  // "/api/v1" or "/apis/<group>/<version>"
  std::string GroupVersionPath() const;
  // Collection path: .../namespaces/<ns>/<plural>, or .../<plural> when ns is
  // empty (all namespaces) or the resource is cluster-scoped.
  std::string CollectionPath(const std::string& ns) const;
  // Object path; subresource ("status") is appended when non-empty.
  std::string ObjectPath(const std::string& ns, const std::string& name,
                         const std::string& subresource = "") const;
  // "pods" or "widgets.example.com", for messages.
  std::string Describe() const { return group.empty() ? plural : plural + "." + group; }
};

// Built-in resources the operator and agent use.
namespace resources {
Resource Namespaces();
Resource Nodes();
Resource Pods();
Resource ConfigMaps();
Resource Secrets();
Resource CoreEvents();
Resource Events();  // events.k8s.io/v1
Resource Leases();  // coordination.k8s.io/v1
Resource CustomResourceDefinitions();
}  // namespace resources

// Object helpers for the metadata every object has; missing fields read as "".
std::string NameOf(const nlohmann::json& obj);
std::string NamespaceOf(const nlohmann::json& obj);
std::string ResourceVersionOf(const nlohmann::json& obj);
std::string UidOf(const nlohmann::json& obj);
int64_t GenerationOf(const nlohmann::json& obj);
// "namespace/name", or "name" for cluster-scoped objects: the store and work
// queue key (same as client-go's MetaNamespaceKeyFunc).
std::string KeyOf(const nlohmann::json& obj);
std::string MakeKey(const std::string& ns, const std::string& name);
// Splits a key made by MakeKey.
void SplitKey(const std::string& key, std::string* ns, std::string* name);
// "<plural> <ns>/<name>" for error messages.
std::string DescribeObject(const Resource& r, const std::string& ns, const std::string& name);

}  // namespace kube
