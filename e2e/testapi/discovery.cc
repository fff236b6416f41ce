// Discovery: /version, /api, /api/v1, /apis, /apis/{group}[/{version}].
#include "e2e/testapi/api.h"
#include "e2e/testapi/status.h"

namespace testapi {

namespace {

json ResourceEntry(const ResourceType& t) {
  json e = {{"name", t.plural},
            {"singularName", t.singular},
            {"namespaced", t.namespaced},
            {"kind", t.kind},
            {"verbs", {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}}};
  if (!t.short_names.empty()) e["shortNames"] = t.short_names;
  if (!t.categories.empty()) e["categories"] = t.categories;
  return e;
}

json Subresource(const ResourceType& t, const std::string& sub, json verbs) {
  return {{"name", t.plural + "/" + sub}, {"singularName", ""}, {"namespaced", t.namespaced}, {"kind", t.kind},
          {"verbs", std::move(verbs)}};
}

}  // namespace

Response Api::Version() const {
  Response r;
  r.body = json{{"major", "1"},
                {"minor", "32"},
                {"gitVersion", "v1.32.6+testapi"},
                {"gitCommit", "kube-testapi"},
                {"gitTreeState", "clean"},
                {"buildDate", "2026-01-01T00:00:00Z"},
                {"goVersion", "none (C++)"},
                {"compiler", "kube-testapi"},
                {"platform", "linux/amd64"}}
               .dump();
  return r;
}

Response Api::CoreVersions() const {
  Response r;
  std::string addr = options_.server_url;
  if (auto p = addr.find("://"); p != std::string::npos) addr = addr.substr(p + 3);
  r.body = json{{"kind", "APIVersions"},
                {"versions", {"v1"}},
                {"serverAddressByClientCIDRs", {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", addr}}}}}
               .dump();
  return r;
}

static json GroupJson(const Registry::GroupInfo& g) {
  json versions = json::array();
  for (const auto& v : g.versions) versions.push_back({{"groupVersion", g.name + "/" + v}, {"version", v}});
  return {{"name", g.name},
          {"versions", versions},
          {"preferredVersion", {{"groupVersion", g.name + "/" + g.versions.front()}, {"version", g.versions.front()}}}};
}

Response Api::GroupList(const Request& r) const {
  // Aggregated discovery (apidiscovery.k8s.io/v2) is optional; clients that
  // ask for it accept the plain APIGroupList too, which is what we send.
  (void)r;
  json groups = json::array();
  for (const auto& g : registry_.Groups())
    if (!g.name.empty()) groups.push_back(GroupJson(g));
  Response resp;
  resp.body = json{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}}.dump();
  return resp;
}

Response Api::Group(const std::string& group) const {
  for (const auto& g : registry_.Groups()) {
    if (g.name != group || group.empty()) continue;
    json body = GroupJson(g);
    body["kind"] = "APIGroup";
    body["apiVersion"] = "v1";
    Response resp;
    resp.body = body.dump();
    return resp;
  }
  ThrowStatus(404, "NotFound", "the server could not find the requested resource");
}

Response Api::ResourceList(const std::string& group, const std::string& version) const {
  auto types = registry_.TypesIn(group, version);
  if (types.empty()) ThrowStatus(404, "NotFound", "the server could not find the requested resource");
  json resources = json::array();
  for (const auto& t : types) {
    resources.push_back(ResourceEntry(*t));
    if (t->status_subresource) resources.push_back(Subresource(*t, "status", {"get", "patch", "update"}));
    if (t->eviction_subresource) {
      json e = Subresource(*t, "eviction", {"create"});
      e["group"] = "policy";
      e["version"] = "v1";
      e["kind"] = "Eviction";
      resources.push_back(e);
    }
    if (t->group.empty() && t->plural == "namespaces") resources.push_back(Subresource(*t, "finalize", {"update"}));
  }
  Response resp;
  resp.body = json{{"kind", "APIResourceList"},
                   {"apiVersion", "v1"},
                   {"groupVersion", group.empty() ? version : group + "/" + version},
                   {"resources", resources}}
                  .dump();
  return resp;
}

}  // namespace testapi
