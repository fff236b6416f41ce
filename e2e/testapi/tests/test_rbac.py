#!/usr/bin/env python3
"""kube-testapi --rbac beyond the conformance suite's rbac group: identities
from client certificates (CN/O) and static tokens; impersonation refused
(403) without the impersonate verb and allowed with it; watches authorized;
a binding's removal revokes at once; the bootstrap roles survive a restart
with --data-dir; /admin needs system:masters; the audit log names the
impersonated user; and without --rbac, impersonation headers change nothing.

  test_rbac.py KUBE_TESTAPI_BINARY
"""
import json
import os
import shutil
import tempfile
import unittest

import testapi_harness as h

RBAC = "/apis/rbac.authorization.k8s.io/v1"
CM = "/api/v1/namespaces/default/configmaps"


def role(name, rules, ns="default"):
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": name, "namespace": ns}, "rules": rules}


def binding(name, role_kind, role_name, subjects, ns="default"):
    b = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding" if ns else "ClusterRoleBinding",
         "metadata": {"name": name},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
         "subjects": subjects}
    if ns:
        b["metadata"]["namespace"] = ns
    return b


def user(name):
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": name}


def group(name):
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": name}


class Rbac(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="testapi-rbac-")
        cls.tokens = os.path.join(cls.work, "tokens.csv")
        with open(cls.tokens, "w") as f:
            f.write('tok-tina,tina,1001,"token-devs"\n')
        cls.audit = os.path.join(cls.work, "audit.jsonl")
        cls.server = h.Server(tls=True, workdir=cls.work,
                              args=["--rbac", "--token-file", cls.tokens, "--audit-log", cls.audit,
                                    "--user", "carl:cert-devs", "--user", "ivan"])
        cls.admin = cls.server.client()
        cls.carl = cls.server.client(cls.server.kubeconfig + ".carl")
        cls.ivan = cls.server.client(cls.server.kubeconfig + ".ivan")
        cls.tina = h.Client.from_kubeconfig(cls.server.kubeconfig, with_cert=False, token="tok-tina")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.work, ignore_errors=True)

    def create(self, path, obj):
        r = self.admin.post(path, obj)
        self.assertEqual(r.status, 201, r)

    def assert_forbidden(self, r, message):
        self.assertEqual(r.status, 403, r)
        b = r.json()
        self.assertEqual((b["kind"], b["reason"], b["code"]), ("Status", "Forbidden", 403))
        self.assertEqual(b["message"], message)

    def test_admin_kubeconfig_is_system_masters(self):
        self.assertEqual(self.admin.get("/api/v1/nodes").status, 200)
        self.assertEqual(self.admin.request("DELETE", "/api/v1/namespaces/default/configmaps").status, 200)

    def test_certificate_organization_is_a_group(self):
        path = "/api/v1/namespaces/default/secrets"
        self.assert_forbidden(self.carl.get(path), 'secrets is forbidden: User "carl" cannot list resource '
                                                   '"secrets" in API group "" in the namespace "default"')
        self.create(RBAC + "/namespaces/default/roles",
                    role("secret-lister", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}]))
        self.create(RBAC + "/namespaces/default/rolebindings",
                    binding("secret-lister", "Role", "secret-lister", [group("cert-devs")]))
        self.assertEqual(self.carl.get(path).status, 200)
        self.assertEqual(self.ivan.get(path).status, 403, "ivan's certificate has no O=cert-devs")

    def test_token_groups_count(self):
        path = "/api/v1/namespaces/default/services"
        self.assertEqual(self.tina.get(path).status, 403)
        self.create(RBAC + "/clusterroles", {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                                             "metadata": {"name": "svc-reader"},
                                             "rules": [{"apiGroups": [""], "resources": ["services"],
                                                        "verbs": ["get", "list"]}]})
        self.create(RBAC + "/clusterrolebindings",
                    binding("svc-reader", "ClusterRole", "svc-reader", [group("token-devs")], ns=None))
        self.assertEqual(self.tina.get(path).status, 200)
        self.assertEqual(self.tina.get("/api/v1/services").status, 200, "a ClusterRoleBinding: all namespaces")

    def test_impersonation_needs_the_impersonate_verb(self):
        as_bob = {"Impersonate-User": "bob"}
        self.assert_forbidden(self.ivan.get(CM, headers=as_bob),
                              'users "bob" is forbidden: User "ivan" cannot impersonate resource "users" in API '
                              'group "" at the cluster scope')
        self.create(RBAC + "/clusterroles", {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                                             "metadata": {"name": "impersonate-bob"},
                                             "rules": [{"apiGroups": [""], "resources": ["users"],
                                                        "resourceNames": ["bob"], "verbs": ["impersonate"]}]})
        self.create(RBAC + "/clusterrolebindings",
                    binding("ivan-as-bob", "ClusterRole", "impersonate-bob", [user("ivan")], ns=None))
        # Now ivan acts as bob, who may not list configmaps: the refusal names bob.
        self.assert_forbidden(self.ivan.get(CM, headers=as_bob),
                              'configmaps is forbidden: User "bob" cannot list resource "configmaps" in API group '
                              '"" in the namespace "default"')
        # Groups are checked one by one: ivan may not impersonate a group.
        self.assert_forbidden(self.ivan.get(CM, headers={"Impersonate-User": "bob",
                                                         "Impersonate-Group": ["system:masters"]}),
                              'groups "system:masters" is forbidden: User "ivan" cannot impersonate resource '
                              '"groups" in API group "" at the cluster scope')
        # An extra is authorized as userextras/<key> named by its value.
        self.assert_forbidden(self.ivan.get(CM, headers={"Impersonate-User": "bob", "Impersonate-Extra-Scopes": "view"}),
                              'userextras.authentication.k8s.io "view" is forbidden: User "ivan" cannot impersonate '
                              'resource "userextras/scopes" in API group "authentication.k8s.io" at the cluster scope')
        # A service account is impersonated through serviceaccounts in its namespace.
        self.assert_forbidden(self.ivan.get(CM, headers={"Impersonate-User": "system:serviceaccount:default:x"}),
                              'serviceaccounts "x" is forbidden: User "ivan" cannot impersonate resource '
                              '"serviceaccounts" in API group "" in the namespace "default"')

    def test_groups_without_a_user_are_refused(self):
        r = self.admin.get(CM, headers={"Impersonate-Group": ["g"]})
        self.assertEqual(r.status, 500, r)

    def test_watch_is_authorized_and_a_removed_binding_revokes(self):
        path = "/api/v1/namespaces/default/serviceaccounts"
        w = self.ivan.watch(path + "?watch=true")
        self.assertEqual(w.status, 403)
        self.assertIn('User "ivan" cannot watch resource "serviceaccounts"', json.loads(w.resp.read())["message"])
        w.close()
        self.create(RBAC + "/namespaces/default/roles",
                    role("ep-watch", [{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["watch"]}]))
        self.create(RBAC + "/namespaces/default/rolebindings",
                    binding("ep-watch", "Role", "ep-watch", [user("ivan")]))
        w = self.ivan.watch(path + "?watch=true&timeoutSeconds=5")
        self.assertEqual(w.status, 200)
        w.close()
        self.assertEqual(self.admin.request("DELETE", RBAC + "/namespaces/default/rolebindings/ep-watch").status, 200)
        w = self.ivan.watch(path + "?watch=true")
        self.assertEqual(w.status, 403)
        w.close()

    def test_admin_endpoints_need_system_masters(self):
        self.assert_forbidden(self.ivan.post("/admin/faults", {}),
                              'forbidden: User "ivan" cannot post path "/admin/faults"')
        self.assertEqual(self.admin.post("/admin/faults", {}).status, 200)

    def test_discovery_and_version_for_every_authenticated_user(self):
        for p in ("/api", "/apis", "/api/v1", "/version", "/openapi/v3"):
            self.assertEqual(self.ivan.get(p).status, 200, p)
        names = [o["metadata"]["name"] for o in self.admin.get(RBAC + "/clusterrolebindings").json()["items"]]
        for n in ("cluster-admin", "system:discovery", "system:basic-user", "system:public-info-viewer"):
            self.assertIn(n, names)

    def test_audit_log_names_the_impersonated_user(self):
        self.admin.get("/api/v1/namespaces/default/pods?audit-marker=1",
                       headers={"Impersonate-User": "audited-user"})
        with open(self.audit) as f:
            lines = [json.loads(l) for l in f]
        self.assertTrue(any(l["user"] == "audited-user" and l["resource"] == "pods" and l["code"] == 403
                            for l in lines if "resource" in l), lines[-3:])


class BootstrapAcrossRestarts(unittest.TestCase):
    def test_bootstrap_roles_are_kept_not_duplicated_and_user_edits_survive(self):
        work = tempfile.mkdtemp(prefix="testapi-rbac-restart-")
        data = os.path.join(work, "data")
        try:
            s = h.Server(tls=True, data_dir=data, workdir=work, args=["--rbac"])
            c = s.client()
            r = c.post(RBAC + "/clusterrolebindings", binding("mine", "ClusterRole", "cluster-admin",
                                                               [user("someone")], ns=None))
            self.assertEqual(r.status, 201, r)
            s.stop()
            s2 = h.Server(tls=True, data_dir=data, workdir=work, args=["--rbac"], listen="127.0.0.1:%d" % s.port)
            try:
                names = [o["metadata"]["name"]
                         for o in s2.client().get(RBAC + "/clusterrolebindings").json()["items"]]
                self.assertEqual(names.count("cluster-admin"), 1)
                self.assertIn("mine", names)
                self.assertNotIn("cannot create a bootstrap RBAC object", s2.log_text())
            finally:
                s2.stop()
        finally:
            shutil.rmtree(work, ignore_errors=True)


class WithoutRbac(unittest.TestCase):
    def test_impersonation_headers_are_ignored_and_everyone_may_do_everything(self):
        s = h.Server(tls=True, args=["--user", "ivan"])
        try:
            ivan = s.client(s.kubeconfig + ".ivan")
            self.assertEqual(ivan.get("/api/v1/nodes").status, 200)
            self.assertEqual(ivan.get("/api/v1/nodes", headers={"Impersonate-User": "nobody"}).status, 200)
            self.assertRegex(s.log_text(), r"path=/api/v1/nodes code=200 user=ivan ")
        finally:
            s.cleanup()


if __name__ == "__main__":
    h.main()
