#include "e2e/testapi/resources.h"

#include <algorithm>
#include <set>

namespace testapi {

std::string CustomStorage(const std::string& group, const std::string& plural) { return group + "/" + plural; }

std::string Registry::Key(const std::string& group, const std::string& version, const std::string& plural) {
  return group + "/" + version + "/" + plural;
}

void Registry::AddBuiltin(ResourceType t) {
  if (t.storage.empty()) t.storage = t.group + "/" + t.plural;
  if (std::find(group_order_.begin(), group_order_.end(), t.group) == group_order_.end())
    group_order_.push_back(t.group);
  auto key = Key(t.group, t.version, t.plural);
  by_path_[key] = std::make_shared<const ResourceType>(std::move(t));
}

Registry::Registry() {
  auto builtin = [](std::string group, std::string plural, std::string singular, std::string kind, bool namespaced,
                    std::vector<std::string> short_names = {}) {
    ResourceType t;
    t.group = std::move(group);
    t.version = "v1";
    t.plural = std::move(plural);
    t.singular = std::move(singular);
    t.kind = std::move(kind);
    t.namespaced = namespaced;
    t.short_names = std::move(short_names);
    return t;
  };

  auto ns = builtin("", "namespaces", "namespace", "Namespace", false, {"ns"});
  ns.status_subresource = true;
  AddBuiltin(ns);
  auto node = builtin("", "nodes", "node", "Node", false, {"no"});
  node.status_subresource = true;
  node.selectable_fields = {"spec.unschedulable"};
  AddBuiltin(node);
  auto pod = builtin("", "pods", "pod", "Pod", true, {"po"});
  pod.status_subresource = true;
  pod.eviction_subresource = true;
  pod.returns_deleted_object = true;
  pod.categories = {"all"};
  pod.selectable_fields = {"spec.nodeName",          "spec.restartPolicy", "spec.schedulerName",
                           "spec.serviceAccountName", "spec.hostNetwork",   "status.phase",
                           "status.podIP",            "status.nominatedNodeName"};
  AddBuiltin(pod);
  auto event = builtin("", "events", "event", "Event", true, {"ev"});
  event.selectable_fields = {"involvedObject.kind",      "involvedObject.namespace", "involvedObject.name",
                             "involvedObject.uid",       "involvedObject.apiVersion", "involvedObject.fieldPath",
                             "involvedObject.resourceVersion", "reason", "reportingComponent", "source", "type"};
  AddBuiltin(event);
  AddBuiltin(builtin("", "configmaps", "configmap", "ConfigMap", true, {"cm"}));
  auto secret = builtin("", "secrets", "secret", "Secret", true);
  secret.selectable_fields = {"type"};
  AddBuiltin(secret);
  AddBuiltin(builtin("", "serviceaccounts", "serviceaccount", "ServiceAccount", true, {"sa"}));
  auto svc = builtin("", "services", "service", "Service", true, {"svc"});
  svc.status_subresource = true;
  svc.categories = {"all"};
  AddBuiltin(svc);

  for (auto [plural, singular, kind, shorts] :
       std::vector<std::tuple<std::string, std::string, std::string, std::vector<std::string>>>{
           {"deployments", "deployment", "Deployment", {"deploy"}},
           {"daemonsets", "daemonset", "DaemonSet", {"ds"}},
           {"statefulsets", "statefulset", "StatefulSet", {"sts"}},
           {"replicasets", "replicaset", "ReplicaSet", {"rs"}}}) {
    auto t = builtin("apps", plural, singular, kind, true, shorts);
    t.status_subresource = true;
    t.has_generation = true;
    t.categories = {"all"};
    AddBuiltin(t);
  }

  auto crd = builtin("apiextensions.k8s.io", "customresourcedefinitions", "customresourcedefinition",
                     "CustomResourceDefinition", false, {"crd", "crds"});
  crd.status_subresource = true;
  crd.has_generation = true;
  AddBuiltin(crd);

  AddBuiltin(builtin("coordination.k8s.io", "leases", "lease", "Lease", true));

  auto ev2 = builtin("events.k8s.io", "events", "event", "Event", true, {"ev"});
  ev2.storage = "/events";  // the same objects as core v1 events
  ev2.selectable_fields = event.selectable_fields;
  AddBuiltin(ev2);

  auto pdb = builtin("policy", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true, {"pdb"});
  pdb.status_subresource = true;
  pdb.has_generation = true;
  AddBuiltin(pdb);

  AddBuiltin(builtin("rbac.authorization.k8s.io", "roles", "role", "Role", true));
  AddBuiltin(builtin("rbac.authorization.k8s.io", "rolebindings", "rolebinding", "RoleBinding", true));
  AddBuiltin(builtin("rbac.authorization.k8s.io", "clusterroles", "clusterrole", "ClusterRole", false));
  AddBuiltin(builtin("rbac.authorization.k8s.io", "clusterrolebindings", "clusterrolebinding",
                     "ClusterRoleBinding", false));

  // Stored as given, like the RBAC kinds: nothing enforces the policies
  // (the chart's own-node policy is checked by api/cel-check instead).
  auto vap = builtin("admissionregistration.k8s.io", "validatingadmissionpolicies", "validatingadmissionpolicy",
                     "ValidatingAdmissionPolicy", false);
  vap.status_subresource = true;
  vap.has_generation = true;
  AddBuiltin(vap);
  auto vapb = builtin("admissionregistration.k8s.io", "validatingadmissionpolicybindings",
                      "validatingadmissionpolicybinding", "ValidatingAdmissionPolicyBinding", false);
  vapb.has_generation = true;
  AddBuiltin(vapb);
}

ResourceTypePtr Registry::Find(const std::string& group, const std::string& version,
                               const std::string& plural) const {
  auto it = by_path_.find(Key(group, version, plural));
  return it == by_path_.end() ? nullptr : it->second;
}

ResourceTypePtr Registry::FindKind(const std::string& api_version, const std::string& kind) const {
  for (const auto& [_, t] : by_path_)
    if (t->kind == kind && t->ApiVersion() == api_version) return t;
  return nullptr;
}

void Registry::Put(ResourceTypePtr type) { by_path_[Key(type->group, type->version, type->plural)] = type; }

void Registry::RemoveCrd(const std::string& crd_name) {
  std::erase_if(by_path_, [&](const auto& kv) { return kv.second->custom && kv.second->crd_name == crd_name; });
}

std::vector<Registry::GroupInfo> Registry::Groups() const {
  std::vector<GroupInfo> out;
  std::map<std::string, std::set<std::string>> versions;
  for (const auto& [_, t] : by_path_) versions[t->group].insert(t->version);
  auto add = [&](const std::string& g) {
    auto it = versions.find(g);
    if (it == versions.end()) return;
    GroupInfo info{g, {}};
    // Kubernetes version priority: GA > beta > alpha, higher numbers first;
    // a plain sort is close enough for the versions CRDs use here.
    std::vector<std::string> vs(it->second.begin(), it->second.end());
    std::sort(vs.begin(), vs.end(), [](const std::string& a, const std::string& b) {
      auto rank = [](const std::string& v) { return v.find("alpha") != std::string::npos ? 0
                                                    : v.find("beta") != std::string::npos ? 1 : 2; };
      if (rank(a) != rank(b)) return rank(a) > rank(b);
      return a > b;
    });
    info.versions = vs;
    out.push_back(info);
    versions.erase(it);
  };
  for (const auto& g : group_order_) add(g);
  while (!versions.empty()) add(versions.begin()->first);
  return out;
}

std::vector<ResourceTypePtr> Registry::TypesIn(const std::string& group, const std::string& version) const {
  std::vector<ResourceTypePtr> out;
  for (const auto& [_, t] : by_path_)
    if (t->group == group && t->version == version) out.push_back(t);
  return out;
}

std::vector<ResourceTypePtr> Registry::All() const {
  std::vector<ResourceTypePtr> out;
  for (const auto& [_, t] : by_path_) out.push_back(t);
  return out;
}

}  // namespace testapi
