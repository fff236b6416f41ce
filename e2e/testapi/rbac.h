// RBAC authorization as kube-apiserver's RBAC authorizer decides it
// (kube-testapi --rbac): a pure function from a request's attributes, the
// user and the stored Roles, ClusterRoles and their bindings to allow or
// deny, plus the 403 Status the real server sends for a denial, the
// impersonation checks it makes, and the default ClusterRoles and bindings
// it bootstraps (enough for discovery, /version and kubectl).
//
// The rules (k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac):
// - the group system:masters may do everything;
// - a ClusterRoleBinding grants its ClusterRole's rules everywhere; a
//   RoleBinding grants its Role's (or ClusterRole's) rules in its namespace
//   only, so it never grants cluster-scoped or non-resource requests;
// - a subject is a User (by name), a Group (any of the user's groups) or a
//   ServiceAccount (user system:serviceaccount:<ns>:<name>);
// - a rule matches when verb, API group, resource ("res" or "res/sub";
//   "*" and "*/sub" as wildcards) and, if it lists resourceNames, the
//   request's name match; nonResourceURLs match the path exactly or, ending
//   in "*", as a prefix. Rules only add: nothing denies.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "e2e/testapi/audit_log.h"  // RequestAttributes

namespace testapi {

using json = nlohmann::json;

inline constexpr const char* kMastersGroup = "system:masters";
inline constexpr const char* kAuthenticatedGroup = "system:authenticated";

struct UserInfo {
  std::string name;
  std::vector<std::string> groups;
};

struct PolicyRule {
  std::vector<std::string> verbs, api_groups, resources, resource_names, non_resource_urls;
};

struct RbacSubject {
  std::string kind;  // User, Group, ServiceAccount
  std::string name;
  std::string ns;  // ServiceAccount only; empty: the binding's namespace
};

struct RbacBinding {
  std::string ns;  // empty: a ClusterRoleBinding
  std::string name;
  std::string role_kind;  // Role or ClusterRole
  std::string role_name;
  std::vector<RbacSubject> subjects;
};

// The RBAC objects stored in the server, as the authorizer reads them.
class RbacPolicy {
 public:
  // Each takes the stored object (rbac.authorization.k8s.io/v1).
  void AddRole(const json& role);
  void AddClusterRole(const json& cluster_role);
  void AddRoleBinding(const json& binding);
  void AddClusterRoleBinding(const json& binding);

  struct Role {
    std::vector<PolicyRule> rules;
    json labels = json::object();
    json aggregation_selectors;  // ClusterRoles: aggregationRule.clusterRoleSelectors, else null
  };
  // The rules a ClusterRole grants: its own plus, for an aggregated one,
  // those of every ClusterRole its selectors match (what kube's
  // clusterrole-aggregation controller writes into it). Null: no such role.
  const std::vector<PolicyRule>* ClusterRoleRules(const std::string& name) const;
  const std::vector<PolicyRule>* RoleRules(const std::string& ns, const std::string& name) const;
  const std::vector<RbacBinding>& cluster_role_bindings() const { return cluster_role_bindings_; }
  std::vector<const RbacBinding*> RoleBindingsIn(const std::string& ns) const;

 private:
  std::map<std::string, Role> cluster_roles_;
  std::map<std::pair<std::string, std::string>, Role> roles_;  // (ns, name)
  std::vector<RbacBinding> cluster_role_bindings_;
  std::multimap<std::string, RbacBinding> role_bindings_;  // by namespace
  mutable std::map<std::string, std::vector<PolicyRule>> aggregated_;  // cache for ClusterRoleRules
};

struct Decision {
  bool allowed = false;
  // Why not, when it is worth saying: kube's "RBAC: clusterrole... not found"
  // for bindings whose role is missing. Empty otherwise.
  std::string reason;
};

Decision Authorize(const RbacPolicy& policy, const UserInfo& user, const RequestAttributes& request);

// True if `rule` covers `request` (exported for tests).
bool RuleAllows(const PolicyRule& rule, const RequestAttributes& request);

// The 403 Status kube-apiserver sends when `user` may not do `request`, e.g.
//   configmaps "x" is forbidden: User "u" cannot get resource "configmaps"
//   in API group "" in the namespace "ns"
json ForbiddenStatus(const UserInfo& user, const RequestAttributes& request, const std::string& reason);

// What the Impersonate-* headers ask for.
struct Impersonation {
  std::string user;
  std::vector<std::string> groups;
  std::vector<std::pair<std::string, std::string>> extras;  // Impersonate-Extra-<key>: value
  std::string uid;                                          // Impersonate-Uid
};

// The authorization checks kube-apiserver makes before acting as another
// user: verb "impersonate" on users, or serviceaccounts in the account's
// namespace (for system:serviceaccount:<ns>:<name>), then on each of the
// groups, then authentication.k8s.io userextras/<key> named by each value,
// then authentication.k8s.io uids; the first one denied refuses the request.
std::vector<RequestAttributes> ImpersonationChecks(const Impersonation& as);

// Who the request runs as when impersonating: a service account without
// Impersonate-Group gets its groups (system:serviceaccounts,
// system:serviceaccounts:<ns>); every user but system:anonymous gets
// system:authenticated unless system:authenticated or
// system:unauthenticated is already among the groups.
UserInfo ImpersonatedUser(const std::string& user, const std::vector<std::string>& groups);

// The ClusterRoles and ClusterRoleBindings kube-apiserver creates at start
// that kube-testapi needs: cluster-admin (bound to system:masters),
// system:discovery, system:basic-user, system:public-info-viewer (bound to
// system:authenticated, the last also to system:unauthenticated).
struct BootstrapObject {
  std::string plural;  // clusterroles or clusterrolebindings
  json object;
};
std::vector<BootstrapObject> BootstrapPolicy();

}  // namespace testapi
