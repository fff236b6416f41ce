// The RBAC authorizer: decisions for users, groups and service accounts
// under Roles, ClusterRoles and their bindings, the 403 wording, the
// impersonation checks and the bootstrap roles.
#include "e2e/testapi/rbac.h"

#include <gtest/gtest.h>

namespace testapi {
namespace {

RequestAttributes Req(const std::string& method, const std::string& path,
                      const std::map<std::string, std::string>& query = {}) {
  return ParseRequestAttributes(method, path, query);
}

// A policy as a test cluster holds it: the bootstrap roles plus
// - Role ns1/cm-reader (configmaps get/list/watch) bound to user alice,
// - Role ns1/cm-a (configmaps cm-a only, get/update/list) bound to user named,
// - Role ns1/status (widgets/status patch, widgets get) bound to SA ns1:agent,
// - ClusterRole gadget-reader (gadgets in example.com, nodes list) bound
//   cluster-wide to group readers, and in ns2 only to user bob,
// - ClusterRole pods-star ("*/status" get, pods/* ... ) bound to user star,
// - a RoleBinding in ns1 to a missing Role for user ghost.
RbacPolicy TestPolicy() {
  RbacPolicy p;
  for (const auto& b : BootstrapPolicy()) {
    if (b.plural == "clusterroles") p.AddClusterRole(b.object);
    else p.AddClusterRoleBinding(b.object);
  }
  auto role = [&](const std::string& ns, const std::string& name, json rules) {
    p.AddRole({{"metadata", {{"namespace", ns}, {"name", name}}}, {"rules", rules}});
  };
  auto bind = [&](const std::string& ns, const std::string& name, const std::string& kind, json subjects) {
    json b = {{"metadata", {{"name", name}}},
              {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", kind}, {"name", name}}},
              {"subjects", subjects}};
    if (ns.empty()) return p.AddClusterRoleBinding(b);
    b["metadata"]["namespace"] = ns;
    p.AddRoleBinding(b);
  };
  auto user = [](const std::string& n) { return json{{"kind", "User"}, {"name", n}}; };
  role("ns1", "cm-reader",
       json::parse(R"([{"apiGroups":[""],"resources":["configmaps"],"verbs":["get","list","watch"]}])"));
  bind("ns1", "cm-reader", "Role", {user("alice")});
  role("ns1", "cm-a",
       json::parse(R"([{"apiGroups":[""],"resources":["configmaps"],"resourceNames":["cm-a"],"verbs":["get","update","list"]}])"));
  bind("ns1", "cm-a", "Role", {user("named")});
  role("ns1", "status", json::parse(R"([{"apiGroups":["example.com"],"resources":["widgets/status"],"verbs":["patch"]},
                                         {"apiGroups":["example.com"],"resources":["widgets"],"verbs":["get"]}])"));
  bind("ns1", "status", "Role", json::parse(R"([{"kind":"ServiceAccount","name":"agent","namespace":"ns1"}])"));
  p.AddClusterRole({{"metadata", {{"name", "gadget-reader"}}},
                    {"rules", json::parse(R"([{"apiGroups":["example.com"],"resources":["gadgets"],"verbs":["*"]},
                                              {"apiGroups":[""],"resources":["nodes"],"verbs":["list"]}])")}});
  bind("", "gadget-reader", "ClusterRole", json::parse(R"([{"kind":"Group","name":"readers"}])"));
  bind("ns2", "gadget-reader", "ClusterRole", {user("bob")});
  p.AddClusterRole({{"metadata", {{"name", "star"}}},
                    {"rules", json::parse(R"([{"apiGroups":["*"],"resources":["*/status"],"verbs":["get"]},
                                              {"nonResourceURLs":["/metrics","/debug/*"],"verbs":["get"]}])")}});
  bind("", "star", "ClusterRole", {user("star")});
  bind("ns1", "nothing-here", "Role", {user("ghost")});
  return p;
}

struct Case {
  const char* what;
  UserInfo user;
  RequestAttributes request;
  bool allowed;
};

TEST(RbacAuthorize, Table) {
  const RbacPolicy policy = TestPolicy();
  const UserInfo alice{"alice", {kAuthenticatedGroup}};
  const UserInfo anon{"system:anonymous", {"system:unauthenticated"}};
  const UserInfo agent{"system:serviceaccount:ns1:agent", {"system:serviceaccounts", kAuthenticatedGroup}};
  const Case cases[] = {
      {"masters may do anything", {"root", {kMastersGroup}}, Req("DELETE", "/api/v1/nodes/n1"), true},
      {"role verb in its namespace", alice, Req("GET", "/api/v1/namespaces/ns1/configmaps"), true},
      {"watch is its own verb, granted", alice, Req("GET", "/api/v1/namespaces/ns1/configmaps", {{"watch", "1"}}), true},
      {"verb the role lacks", alice, Req("POST", "/api/v1/namespaces/ns1/configmaps"), false},
      {"another namespace", alice, Req("GET", "/api/v1/namespaces/ns2/configmaps"), false},
      {"all namespaces is cluster scope", alice, Req("GET", "/api/v1/configmaps"), false},
      {"another resource", alice, Req("GET", "/api/v1/namespaces/ns1/secrets"), false},
      {"another group, same plural", alice, Req("GET", "/apis/example.com/v1/namespaces/ns1/configmaps"), false},
      {"named object", {"named", {}}, Req("GET", "/api/v1/namespaces/ns1/configmaps/cm-a"), true},
      {"other name", {"named", {}}, Req("GET", "/api/v1/namespaces/ns1/configmaps/cm-b"), false},
      {"list is not named", {"named", {}}, Req("GET", "/api/v1/namespaces/ns1/configmaps"), false},
      {"list pinned to the name by metadata.name", {"named", {}},
       Req("GET", "/api/v1/namespaces/ns1/configmaps", {{"fieldSelector", "metadata.name=cm-a"}}), true},
      {"list pinned to another name", {"named", {}},
       Req("GET", "/api/v1/namespaces/ns1/configmaps", {{"fieldSelector", "metadata.name==cm-b"}}), false},
      {"subresource rule", agent, Req("PATCH", "/apis/example.com/v1/namespaces/ns1/widgets/w/status"), true},
      {"subresource rule is not the main resource", agent,
       Req("PATCH", "/apis/example.com/v1/namespaces/ns1/widgets/w"), false},
      {"main resource rule is not the subresource", agent,
       Req("GET", "/apis/example.com/v1/namespaces/ns1/widgets/w/status"), false},
      {"service account in another namespace", {"system:serviceaccount:ns2:agent", {}},
       Req("PATCH", "/apis/example.com/v1/namespaces/ns1/widgets/w/status"), false},
      {"group via cluster binding, any namespace", {"carol", {"readers"}},
       Req("GET", "/apis/example.com/v1/namespaces/ns9/gadgets"), true},
      {"group via cluster binding, cluster scope", {"carol", {"readers"}}, Req("GET", "/api/v1/nodes"), true},
      {"verb star", {"carol", {"readers"}}, Req("DELETE", "/apis/example.com/v1/namespaces/ns9/gadgets"), true},
      {"same name without the group", {"carol", {}}, Req("GET", "/apis/example.com/v1/gadgets"), false},
      {"ClusterRole by RoleBinding: its namespace", {"bob", {}}, Req("GET", "/apis/example.com/v1/namespaces/ns2/gadgets"), true},
      {"ClusterRole by RoleBinding: not elsewhere", {"bob", {}}, Req("GET", "/apis/example.com/v1/namespaces/ns1/gadgets"), false},
      {"ClusterRole by RoleBinding: not cluster scope", {"bob", {}}, Req("GET", "/api/v1/nodes"), false},
      {"*/status", {"star", {}}, Req("GET", "/api/v1/nodes/n1/status"), true},
      {"*/status is not the object", {"star", {}}, Req("GET", "/api/v1/nodes/n1"), false},
      {"nonResourceURL exact", {"star", {}}, Req("GET", "/metrics"), true},
      {"nonResourceURL prefix", {"star", {}}, Req("GET", "/debug/pprof/heap"), true},
      {"nonResourceURL verb is the method", {"star", {}}, Req("POST", "/metrics"), false},
      {"discovery for the authenticated", alice, Req("GET", "/apis"), true},
      {"group-version discovery", alice, Req("GET", "/apis/example.com/v1"), true},
      {"openapi for the authenticated", alice, Req("GET", "/openapi/v3/apis/apps/v1"), true},
      {"/version for anonymous", anon, Req("GET", "/version"), true},
      {"/healthz for anonymous", anon, Req("GET", "/healthz"), true},
      {"no discovery for anonymous", anon, Req("GET", "/apis"), false},
      {"no resources for anonymous", anon, Req("GET", "/api/v1/namespaces/ns1/configmaps"), false},
      {"self access reviews for the authenticated", alice,
       Req("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"), true},
      {"missing role grants nothing", {"ghost", {}}, Req("GET", "/api/v1/namespaces/ns1/configmaps"), false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Authorize(policy, c.user, c.request).allowed, c.allowed) << c.what;
  }
}

TEST(RbacAuthorize, MissingRoleIsTheReason) {
  auto d = Authorize(TestPolicy(), {"ghost", {}}, Req("GET", "/api/v1/namespaces/ns1/configmaps"));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "RBAC: role.rbac.authorization.k8s.io \"nothing-here\" not found");
  EXPECT_EQ(Authorize(TestPolicy(), {"alice", {}}, Req("GET", "/api/v1/nodes")).reason, "");
}

TEST(RbacAuthorize, AggregatedClusterRoleGetsTheSelectedRules) {
  RbacPolicy p;
  p.AddClusterRole(json::parse(R"({"metadata":{"name":"agg"},
      "aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"agg":"yes"}}]}})"));
  p.AddClusterRole(json::parse(R"({"metadata":{"name":"part","labels":{"agg":"yes"}},
      "rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]})"));
  p.AddClusterRole(json::parse(R"({"metadata":{"name":"other","labels":{"agg":"no"}},
      "rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}]})"));
  p.AddClusterRoleBinding(json::parse(R"({"metadata":{"name":"agg"},
      "roleRef":{"kind":"ClusterRole","name":"agg"},"subjects":[{"kind":"User","name":"u"}]})"));
  EXPECT_TRUE(Authorize(p, {"u", {}}, Req("GET", "/api/v1/namespaces/x/pods/p")).allowed);
  EXPECT_FALSE(Authorize(p, {"u", {}}, Req("GET", "/api/v1/namespaces/x/secrets/s")).allowed);
}

TEST(RbacForbidden, WordedAsKubeApiserver) {
  UserInfo u{"u", {}};
  auto named = ForbiddenStatus(u, Req("GET", "/api/v1/namespaces/ns1/configmaps/x"), "");
  EXPECT_EQ(named["code"], 403);
  EXPECT_EQ(named["reason"], "Forbidden");
  EXPECT_EQ(named["message"],
            "configmaps \"x\" is forbidden: User \"u\" cannot get resource \"configmaps\" in API group \"\" in the "
            "namespace \"ns1\"");
  EXPECT_EQ(named["details"], json::parse(R"({"name":"x","kind":"configmaps"})"));

  auto cluster = ForbiddenStatus(u, Req("GET", "/apis/example.com/v1/gadgets"), "");
  EXPECT_EQ(cluster["message"],
            "gadgets.example.com is forbidden: User \"u\" cannot list resource \"gadgets\" in API group "
            "\"example.com\" at the cluster scope");
  EXPECT_EQ(cluster["details"], json::parse(R"({"group":"example.com","kind":"gadgets"})"));

  auto sub = ForbiddenStatus(u, Req("PATCH", "/apis/example.com/v1/namespaces/n/widgets/w/status"), "RBAC: x");
  EXPECT_EQ(sub["message"],
            "widgets.example.com \"w\" is forbidden: User \"u\" cannot patch resource \"widgets/status\" in API "
            "group \"example.com\" in the namespace \"n\": RBAC: x");

  auto path = ForbiddenStatus(u, Req("GET", "/metrics"), "");
  EXPECT_EQ(path["message"], "forbidden: User \"u\" cannot get path \"/metrics\"");
  EXPECT_EQ(path["details"], json::object());
}

TEST(RbacImpersonation, ChecksUsersServiceAccountsAndGroups) {
  auto checks = ImpersonationChecks({"system:serviceaccount:ns1:agent", {"g1", "g2"}, {}, ""});
  ASSERT_EQ(checks.size(), 3u);
  EXPECT_EQ(checks[0].verb, "impersonate");
  EXPECT_EQ(checks[0].resource, "serviceaccounts");
  EXPECT_EQ(checks[0].namespace_, "ns1");
  EXPECT_EQ(checks[0].name, "agent");
  EXPECT_EQ(checks[1].resource, "groups");
  EXPECT_EQ(checks[1].name, "g1");
  EXPECT_EQ(checks[2].name, "g2");
  auto user = ImpersonationChecks({"alice", {}, {}, ""});
  ASSERT_EQ(user.size(), 1u);
  EXPECT_EQ(user[0].resource, "users");
  EXPECT_EQ(user[0].name, "alice");
  EXPECT_EQ(user[0].namespace_, "");
  EXPECT_EQ(ForbiddenStatus({"bob", {}}, user[0], "")["message"],
            "users \"alice\" is forbidden: User \"bob\" cannot impersonate resource \"users\" in API group \"\" at "
            "the cluster scope");
}

TEST(RbacImpersonation, ExtrasAndUidAreAuthenticationResources) {
  auto checks = ImpersonationChecks({"alice", {}, {{"scopes", "view"}}, "u-1"});
  ASSERT_EQ(checks.size(), 3u);
  EXPECT_EQ(checks[1].api_group, "authentication.k8s.io");
  EXPECT_EQ(checks[1].resource, "userextras");
  EXPECT_EQ(checks[1].subresource, "scopes");
  EXPECT_EQ(checks[1].name, "view");
  EXPECT_EQ(checks[2].resource, "uids");
  EXPECT_EQ(checks[2].name, "u-1");
  // A rule for one extra key covers it as a subresource.
  PolicyRule rule{{"impersonate"}, {"authentication.k8s.io"}, {"userextras/scopes"}, {}, {}};
  EXPECT_TRUE(RuleAllows(rule, checks[1]));
  EXPECT_FALSE(RuleAllows(rule, checks[2]));
}

TEST(RbacImpersonation, ImpersonatedGroups) {
  EXPECT_EQ(ImpersonatedUser("alice", {}).groups, std::vector<std::string>{kAuthenticatedGroup});
  EXPECT_EQ(ImpersonatedUser("alice", {"g"}).groups, (std::vector<std::string>{"g", kAuthenticatedGroup}));
  EXPECT_EQ(ImpersonatedUser("alice", {kAuthenticatedGroup}).groups, std::vector<std::string>{kAuthenticatedGroup});
  EXPECT_EQ(ImpersonatedUser("alice", {"system:unauthenticated"}).groups,
            std::vector<std::string>{"system:unauthenticated"});
  EXPECT_EQ(ImpersonatedUser("system:serviceaccount:ns1:a", {}).groups,
            (std::vector<std::string>{"system:serviceaccounts", "system:serviceaccounts:ns1", kAuthenticatedGroup}));
  EXPECT_EQ(ImpersonatedUser("system:anonymous", {}).groups, std::vector<std::string>{"system:unauthenticated"});
}

}  // namespace
}  // namespace testapi
