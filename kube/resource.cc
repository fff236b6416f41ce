#include "kube/resource.h"

namespace kube {

std::string Resource::GroupVersionPath() const {
  return group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
}

std::string Resource::CollectionPath(const std::string& ns) const {
  if (namespaced && !ns.empty()) return GroupVersionPath() + "/namespaces/" + ns + "/" + plural;
  return GroupVersionPath() + "/" + plural;
}

std::string Resource::ObjectPath(const std::string& ns, const std::string& name,
                                 const std::string& subresource) const {
  std::string p = CollectionPath(namespaced ? ns : "") + "/" + name;
  if (!subresource.empty()) p += "/" + subresource;
  return p;
}

namespace resources {
Resource Namespaces() { return {"", "v1", "namespaces", "Namespace", false}; }
Resource Nodes() { return {"", "v1", "nodes", "Node", false}; }
Resource Pods() { return {"", "v1", "pods", "Pod", true}; }
Resource ConfigMaps() { return {"", "v1", "configmaps", "ConfigMap", true}; }
Resource Secrets() { return {"", "v1", "secrets", "Secret", true}; }
Resource CoreEvents() { return {"", "v1", "events", "Event", true}; }
Resource Events() { return {"events.k8s.io", "v1", "events", "Event", true}; }
Resource Leases() { return {"coordination.k8s.io", "v1", "leases", "Lease", true}; }
Resource CustomResourceDefinitions() {
  return {"apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false};
}
}  // namespace resources

namespace {
std::string MetaString(const nlohmann::json& obj, const char* field) {
  if (!obj.is_object()) return "";
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return "";
  auto f = m->find(field);
  if (f == m->end() || !f->is_string()) return "";
  return f->get<std::string>();
}
}  // namespace

std::string NameOf(const nlohmann::json& obj) { return MetaString(obj, "name"); }
std::string NamespaceOf(const nlohmann::json& obj) { return MetaString(obj, "namespace"); }
std::string ResourceVersionOf(const nlohmann::json& obj) { return MetaString(obj, "resourceVersion"); }
std::string UidOf(const nlohmann::json& obj) { return MetaString(obj, "uid"); }

int64_t GenerationOf(const nlohmann::json& obj) {
  if (!obj.is_object()) return 0;
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return 0;
  auto g = m->find("generation");
  return (g != m->end() && g->is_number_integer()) ? g->get<int64_t>() : 0;
}

std::string MakeKey(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : ns + "/" + name;
}

std::string KeyOf(const nlohmann::json& obj) { return MakeKey(NamespaceOf(obj), NameOf(obj)); }

void SplitKey(const std::string& key, std::string* ns, std::string* name) {
  auto slash = key.find('/');
  if (slash == std::string::npos) {
    ns->clear();
    *name = key;
  } else {
    *ns = key.substr(0, slash);
    *name = key.substr(slash + 1);
  }
}

std::string DescribeObject(const Resource& r, const std::string& ns, const std::string& name) {
  return r.Describe() + " " + MakeKey(r.namespaced ? ns : "", name);
}

}  // namespace kube
