#include "e2e/testapi/rbac.h"

#include <algorithm>

#include "e2e/testapi/status.h"
#include "kube/labels.h"

namespace testapi {

namespace {

constexpr const char* kServiceAccountPrefix = "system:serviceaccount:";
constexpr const char* kAnonymous = "system:anonymous";
constexpr const char* kUnauthenticated = "system:unauthenticated";
constexpr const char* kRbacGroup = "rbac.authorization.k8s.io";

std::vector<std::string> Strings(const json& obj, const char* key) {
  std::vector<std::string> out;
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_array()) return out;
  for (const auto& v : obj[key])
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

std::string Str(const json& obj, const char* key) {
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_string()) return "";
  return obj[key].get<std::string>();
}

const json& Meta(const json& obj) {
  static const json kEmpty = json::object();
  return obj.is_object() && obj.contains("metadata") && obj["metadata"].is_object() ? obj["metadata"] : kEmpty;
}

bool Has(const std::vector<std::string>& list, const std::string& want) {
  return std::find(list.begin(), list.end(), want) != list.end();
}

bool HasOrStar(const std::vector<std::string>& list, const std::string& want) {
  return Has(list, want) || Has(list, "*");
}

RbacPolicy::Role ParseRole(const json& obj) {
  RbacPolicy::Role role;
  if (obj.contains("rules") && obj["rules"].is_array()) {
    for (const auto& r : obj["rules"]) {
      role.rules.push_back({Strings(r, "verbs"), Strings(r, "apiGroups"), Strings(r, "resources"),
                            Strings(r, "resourceNames"), Strings(r, "nonResourceURLs")});
    }
  }
  const json& meta = Meta(obj);
  if (meta.contains("labels") && meta["labels"].is_object()) role.labels = meta["labels"];
  if (obj.contains("aggregationRule") && obj["aggregationRule"].is_object())
    role.aggregation_selectors = obj["aggregationRule"].value("clusterRoleSelectors", json::array());
  return role;
}

RbacBinding ParseBinding(const json& obj, std::string ns) {
  RbacBinding b;
  b.ns = std::move(ns);
  b.name = Str(Meta(obj), "name");
  const json ref = obj.value("roleRef", json::object());
  b.role_kind = Str(ref, "kind");
  b.role_name = Str(ref, "name");
  if (obj.contains("subjects") && obj["subjects"].is_array())
    for (const auto& s : obj["subjects"]) b.subjects.push_back({Str(s, "kind"), Str(s, "name"), Str(s, "namespace")});
  return b;
}

bool SubjectMatches(const RbacSubject& s, const std::string& binding_ns, const UserInfo& user) {
  if (s.kind == "User") return s.name == user.name;
  if (s.kind == "Group") return Has(user.groups, s.name);
  if (s.kind == "ServiceAccount") {
    const std::string& ns = s.ns.empty() ? binding_ns : s.ns;
    return !ns.empty() && user.name == kServiceAccountPrefix + ns + ":" + s.name;
  }
  return false;
}

bool BindingApplies(const RbacBinding& b, const UserInfo& user) {
  return std::any_of(b.subjects.begin(), b.subjects.end(),
                     [&](const RbacSubject& s) { return SubjectMatches(s, b.ns, user); });
}

bool ResourceMatches(const std::vector<std::string>& rule_resources, const RequestAttributes& a) {
  std::string combined = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
  for (const auto& r : rule_resources) {
    if (r == "*" || r == combined) return true;
    if (!a.subresource.empty() && r == "*/" + a.subresource) return true;
  }
  return false;
}

bool NonResourceUrlMatches(const std::vector<std::string>& urls, const std::string& path) {
  for (const auto& u : urls) {
    if (u == "*" || u == path) return true;
    if (!u.empty() && u.back() == '*' && path.starts_with(u.substr(0, u.size() - 1))) return true;
  }
  return false;
}

json ClusterRole(const std::string& name, json rules) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRole"},
          {"metadata",
           {{"name", name},
            {"labels", {{"kubernetes.io/bootstrapping", "rbac-defaults"}}},
            {"annotations", {{"rbac.authorization.kubernetes.io/autoupdate", "true"}}}}},
          {"rules", std::move(rules)}};
}

json ClusterRoleBinding(const std::string& name, const std::vector<std::string>& groups) {
  json subjects = json::array();
  for (const auto& g : groups) subjects.push_back({{"apiGroup", kRbacGroup}, {"kind", "Group"}, {"name", g}});
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRoleBinding"},
          {"metadata",
           {{"name", name},
            {"labels", {{"kubernetes.io/bootstrapping", "rbac-defaults"}}},
            {"annotations", {{"rbac.authorization.kubernetes.io/autoupdate", "true"}}}}},
          {"roleRef", {{"apiGroup", kRbacGroup}, {"kind", "ClusterRole"}, {"name", name}}},
          {"subjects", subjects}};
}

}  // namespace

// ---- policy --------------------------------------------------------------------

void RbacPolicy::AddRole(const json& role) {
  const json& meta = Meta(role);
  roles_[{Str(meta, "namespace"), Str(meta, "name")}] = ParseRole(role);
}

void RbacPolicy::AddClusterRole(const json& cluster_role) {
  cluster_roles_[Str(Meta(cluster_role), "name")] = ParseRole(cluster_role);
  aggregated_.clear();
}

void RbacPolicy::AddRoleBinding(const json& binding) {
  std::string ns = Str(Meta(binding), "namespace");
  role_bindings_.emplace(ns, ParseBinding(binding, ns));
}

void RbacPolicy::AddClusterRoleBinding(const json& binding) {
  cluster_role_bindings_.push_back(ParseBinding(binding, ""));
}

const std::vector<PolicyRule>* RbacPolicy::ClusterRoleRules(const std::string& name) const {
  auto it = cluster_roles_.find(name);
  if (it == cluster_roles_.end()) return nullptr;
  const Role& role = it->second;
  if (!role.aggregation_selectors.is_array() || role.aggregation_selectors.empty()) return &role.rules;
  if (auto cached = aggregated_.find(name); cached != aggregated_.end()) return &cached->second;
  std::vector<PolicyRule> rules = role.rules;
  for (const auto& sel_json : role.aggregation_selectors) {
    auto sel = kube::LabelSelector::FromJson(sel_json, nullptr);
    if (!sel) continue;  // a selector the real API would have refused selects nothing
    for (const auto& [other_name, other] : cluster_roles_)
      if (other_name != name && sel->Matches(other.labels))
        rules.insert(rules.end(), other.rules.begin(), other.rules.end());
  }
  return &(aggregated_[name] = std::move(rules));
}

const std::vector<PolicyRule>* RbacPolicy::RoleRules(const std::string& ns, const std::string& name) const {
  auto it = roles_.find({ns, name});
  return it == roles_.end() ? nullptr : &it->second.rules;
}

std::vector<const RbacBinding*> RbacPolicy::RoleBindingsIn(const std::string& ns) const {
  std::vector<const RbacBinding*> out;
  auto [lo, hi] = role_bindings_.equal_range(ns);
  for (auto it = lo; it != hi; ++it) out.push_back(&it->second);
  return out;
}

// ---- decisions ------------------------------------------------------------------

bool RuleAllows(const PolicyRule& rule, const RequestAttributes& a) {
  if (!HasOrStar(rule.verbs, a.verb)) return false;
  if (!a.resource_request) return NonResourceUrlMatches(rule.non_resource_urls, a.path);
  if (!HasOrStar(rule.api_groups, a.api_group)) return false;
  if (!ResourceMatches(rule.resources, a)) return false;
  return rule.resource_names.empty() || Has(rule.resource_names, a.name);
}

Decision Authorize(const RbacPolicy& policy, const UserInfo& user, const RequestAttributes& a) {
  if (Has(user.groups, kMastersGroup)) return {true, ""};
  std::vector<std::string> missing;  // roles bound to this user that do not exist
  auto grants = [&](const RbacBinding& b) {
    const std::vector<PolicyRule>* rules = nullptr;
    if (b.role_kind == "ClusterRole") rules = policy.ClusterRoleRules(b.role_name);
    else if (b.role_kind == "Role" && !b.ns.empty()) rules = policy.RoleRules(b.ns, b.role_name);
    if (!rules) {
      std::string what = b.role_kind == "Role" ? "role" : "clusterrole";
      missing.push_back(what + ".rbac.authorization.k8s.io \"" + b.role_name + "\" not found");
      return false;
    }
    return std::any_of(rules->begin(), rules->end(), [&](const PolicyRule& r) { return RuleAllows(r, a); });
  };
  for (const auto& b : policy.cluster_role_bindings())
    if (BindingApplies(b, user) && grants(b)) return {true, ""};
  if (a.resource_request && !a.namespace_.empty()) {
    for (const RbacBinding* b : policy.RoleBindingsIn(a.namespace_))
      if (BindingApplies(*b, user) && grants(*b)) return {true, ""};
  }
  Decision d;
  if (!missing.empty()) {
    // utilerrors.NewAggregate: one error as is, several as "[a, b]".
    std::string joined;
    for (const auto& m : missing) joined += (joined.empty() ? "" : ", ") + m;
    d.reason = "RBAC: " + (missing.size() == 1 ? joined : "[" + joined + "]");
  }
  return d;
}

json ForbiddenStatus(const UserInfo& user, const RequestAttributes& a, const std::string& reason) {
  std::string why;
  if (!a.resource_request) {
    why = "User \"" + user.name + "\" cannot " + a.verb + " path \"" + a.path + "\"";
  } else {
    std::string resource = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
    why = "User \"" + user.name + "\" cannot " + a.verb + " resource \"" + resource + "\" in API group \"" +
          a.api_group + "\" " + (a.namespace_.empty() ? "at the cluster scope" : "in the namespace \"" + a.namespace_ + "\"");
  }
  if (!reason.empty()) why += ": " + reason;
  // apierrors.NewForbidden: the resource (and name) first, then the reason;
  // details carry what is set of group, kind (the plural) and name.
  json details = json::object();
  std::string message;
  if (!a.resource_request || a.resource.empty()) {
    message = "forbidden: " + why;
  } else {
    std::string head = QualifiedResource(a.api_group, a.resource);
    message = a.name.empty() ? head + " is forbidden: " + why : head + " \"" + a.name + "\" is forbidden: " + why;
    if (!a.name.empty()) details["name"] = a.name;
    if (!a.api_group.empty()) details["group"] = a.api_group;
    details["kind"] = a.resource;
  }
  return FailureStatus(403, "Forbidden", message, details);
}

// ---- impersonation ----------------------------------------------------------------

std::vector<RequestAttributes> ImpersonationChecks(const Impersonation& as) {
  const std::string& user = as.user;
  std::vector<RequestAttributes> checks;
  auto check = [&](std::string resource, std::string ns, std::string name, std::string group = "",
                   std::string subresource = "") {
    RequestAttributes a;
    a.resource_request = true;
    a.verb = "impersonate";
    a.api_group = std::move(group);
    a.api_version = "v1";
    a.resource = std::move(resource);
    a.subresource = std::move(subresource);
    a.namespace_ = std::move(ns);
    a.name = std::move(name);
    checks.push_back(std::move(a));
  };
  std::string rest = user.starts_with(kServiceAccountPrefix) ? user.substr(std::string(kServiceAccountPrefix).size()) : "";
  auto colon = rest.find(':');
  if (colon != std::string::npos && colon > 0 && colon + 1 < rest.size() && rest.find(':', colon + 1) == std::string::npos)
    check("serviceaccounts", rest.substr(0, colon), rest.substr(colon + 1));
  else
    check("users", "", user);
  for (const auto& g : as.groups) check("groups", "", g);
  for (const auto& [key, value] : as.extras) check("userextras", "", value, "authentication.k8s.io", key);
  if (!as.uid.empty()) check("uids", "", as.uid, "authentication.k8s.io");
  return checks;
}

UserInfo ImpersonatedUser(const std::string& user, const std::vector<std::string>& groups) {
  UserInfo u{user, groups};
  if (groups.empty() && user.starts_with(kServiceAccountPrefix)) {
    std::string rest = user.substr(std::string(kServiceAccountPrefix).size());
    auto colon = rest.find(':');
    if (colon != std::string::npos && colon > 0)
      u.groups = {"system:serviceaccounts", "system:serviceaccounts:" + rest.substr(0, colon)};
  }
  if (user == kAnonymous) {
    if (!Has(u.groups, kUnauthenticated)) u.groups.push_back(kUnauthenticated);
  } else if (!Has(u.groups, kAuthenticatedGroup) && !Has(u.groups, kUnauthenticated)) {
    u.groups.push_back(kAuthenticatedGroup);
  }
  return u;
}

// ---- bootstrap --------------------------------------------------------------------

std::vector<BootstrapObject> BootstrapPolicy() {
  json health = {"/livez", "/readyz", "/healthz", "/version", "/version/"};
  json discovery = health;
  for (const char* u : {"/openapi", "/openapi/*", "/api", "/api/*", "/apis", "/apis/*"}) discovery.push_back(u);
  return {
      {"clusterroles",
       ClusterRole("cluster-admin", json::array({{{"apiGroups", {"*"}}, {"resources", {"*"}}, {"verbs", {"*"}}},
                                                 {{"nonResourceURLs", {"*"}}, {"verbs", {"*"}}}}))},
      {"clusterroles", ClusterRole("system:discovery", json::array({{{"nonResourceURLs", discovery}, {"verbs", {"get"}}}}))},
      {"clusterroles", ClusterRole("system:public-info-viewer",
                                   json::array({{{"nonResourceURLs", health}, {"verbs", {"get"}}}}))},
      {"clusterroles",
       ClusterRole("system:basic-user",
                   json::array({{{"apiGroups", {"authorization.k8s.io"}},
                                 {"resources", {"selfsubjectaccessreviews", "selfsubjectrulesreviews"}},
                                 {"verbs", {"create"}}},
                                {{"apiGroups", {"authentication.k8s.io"}},
                                 {"resources", {"selfsubjectreviews"}},
                                 {"verbs", {"create"}}}}))},
      {"clusterrolebindings", ClusterRoleBinding("cluster-admin", {kMastersGroup})},
      {"clusterrolebindings", ClusterRoleBinding("system:discovery", {kAuthenticatedGroup})},
      {"clusterrolebindings", ClusterRoleBinding("system:basic-user", {kAuthenticatedGroup})},
      {"clusterrolebindings", ClusterRoleBinding("system:public-info-viewer", {kAuthenticatedGroup, kUnauthenticated})},
  };
}

}  // namespace testapi
