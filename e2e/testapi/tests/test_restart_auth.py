#!/usr/bin/env python3
"""kube-testapi over HTTPS: restarts with --data-dir keep objects,
resourceVersions, the CA and certificates; authentication by client
certificate, token file (with rotation) and per-user kubeconfigs, as
kube-apiserver decides it (no credentials: system:anonymous; a credential
that does not authenticate: 401); --anonymous-auth=false and
--admin-endpoints=false.

  test_restart_auth.py KUBE_TESTAPI_BINARY
"""
import base64
import os
import shutil
import tempfile
import unittest

import testapi_harness as h

CM = "/api/v1/namespaces/default/configmaps"


class RestartWithDataDir(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="testapi-restart-")
        self.data = os.path.join(self.work, "data")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.cleanup()
        shutil.rmtree(self.work, ignore_errors=True)

    def start(self, **kw):
        s = h.Server(tls=True, data_dir=self.data, workdir=self.work, **kw)
        self.servers.append(s)
        return s

    def test_objects_resource_versions_and_certificates_survive_a_restart(self):
        first = self.start()
        old_kubeconfig = first.kubeconfig
        c = first.client()
        r = c.post(CM, h.configmap("keep", {"a": "1"}))
        self.assertEqual(r.status, 201, r)
        created = r.json()
        r = c.request("PUT", CM + "/keep", dict(created, data={"a": "2"}))
        self.assertEqual(r.status, 200, r)
        updated = r.json()
        list_rv = int(c.get(CM).json()["metadata"]["resourceVersion"])
        first.stop()

        second = self.start(listen="127.0.0.1:%d" % first.port)
        self.assertEqual(second.url, first.url)
        # The kubeconfig written before the restart (CA and client certificate) still works.
        old = h.Client.from_kubeconfig(old_kubeconfig)
        r = old.get(CM + "/keep")
        self.assertEqual(r.status, 200, r)
        got = r.json()
        self.assertEqual(got["data"], {"a": "2"})
        self.assertEqual(got["metadata"]["resourceVersion"], updated["metadata"]["resourceVersion"])
        self.assertEqual(got["metadata"]["uid"], created["metadata"]["uid"])
        # resourceVersions continue upwards, never reused.
        r = old.post(CM, h.configmap("after"))
        self.assertEqual(r.status, 201, r)
        self.assertGreater(int(r.json()["metadata"]["resourceVersion"]), list_rv)
        # The watch history did not survive: an older resourceVersion is expired.
        w = old.watch(CM + "?watch=true&resourceVersion=" + created["metadata"]["resourceVersion"])
        try:
            ev = w.next()
            self.assertEqual(ev["type"], "ERROR", ev)
            self.assertEqual(ev["object"]["code"], 410, ev)
        finally:
            w.close()

    def test_crash_with_a_torn_journal_line_keeps_earlier_writes(self):
        first = self.start()
        c = first.client()
        r = c.post(CM, h.configmap("journaled", {"a": "1"}))
        self.assertEqual(r.status, 201, r)
        rv = r.json()["metadata"]["resourceVersion"]
        first.proc.kill()  # no shutdown checkpoint: only the journal has the write
        first.proc.wait(timeout=h.IO_TIMEOUT)
        with open(os.path.join(self.data, "journal.jsonl"), "a") as f:
            f.write('{"rv": 999999, "t": "put", "s": "/configmaps", "o": {"metadata": {"name": "tor')
        second = self.start()
        r = second.client().get(CM + "/journaled")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["metadata"]["resourceVersion"], rv)
        after = second.client().post(CM, h.configmap("next"))
        self.assertEqual(after.status, 201, after)
        self.assertLess(int(after.json()["metadata"]["resourceVersion"]), 999999)

    def test_deleted_objects_stay_deleted_after_restart(self):
        first = self.start()
        c = first.client()
        self.assertEqual(c.post(CM, h.configmap("gone")).status, 201)
        self.assertEqual(c.request("DELETE", CM + "/gone").status, 200)
        first.stop()
        second = self.start()
        self.assertEqual(second.client().get(CM + "/gone").status, 404)


class Authentication(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="testapi-auth-")
        cls.tokens = os.path.join(cls.work, "tokens.csv")
        with open(cls.tokens, "w") as f:
            f.write('tok-alice,alice,1001,"devs,ops"\n')
        cls.server = h.Server(tls=True, workdir=cls.work,
                              args=["--token-file", cls.tokens, "--user", "bob:viewers"])

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.work, ignore_errors=True)

    def anonymous(self, token=None):
        return h.Client.from_kubeconfig(self.server.kubeconfig, with_cert=False, token=token)

    def assert_unauthorized(self, r):
        assert_unauthorized(self, r)

    def test_no_credentials_is_401_status_but_healthz_and_version_answer(self):
        # system:anonymous; without RBAC kube-testapi refuses it with a 401
        # outside what kube-apiserver lets everyone read.
        self.assert_unauthorized(self.anonymous().get("/api/v1/namespaces"))
        for path in ("/healthz", "/readyz", "/version"):
            r = self.anonymous().get(path)
            self.assertEqual(r.status, 200, (path, r))
        self.assertRegex(self.server.log_text(), r"path=/healthz code=200 user=system:anonymous ")

    def test_admin_client_certificate(self):
        r = self.server.client().get("/api/v1/namespaces/default")
        self.assertEqual(r.status, 200, r)

    def test_user_flag_writes_a_working_kubeconfig_for_that_user(self):
        path = self.server.kubeconfig + ".bob"
        self.assertTrue(os.path.exists(path))
        r = h.Client.from_kubeconfig(path).get("/api/v1/namespaces/default/configmaps?user-probe=bob")
        self.assertEqual(r.status, 200, r)
        self.assertRegex(self.server.log_text(), r"path=/api/v1/namespaces/default/configmaps code=200 user=bob ")

    def test_token_from_file(self):
        r = self.anonymous("tok-alice").get("/api/v1/namespaces/default/pods")
        self.assertEqual(r.status, 200, r)
        self.assertRegex(self.server.log_text(), r"path=/api/v1/namespaces/default/pods code=200 user=alice ")

    def test_bad_token_is_401_even_where_anonymous_may_read(self):
        # A credential that does not authenticate fails the request; it does
        # not fall back to system:anonymous.
        for path in ("/api/v1/namespaces", "/healthz", "/version"):
            self.assert_unauthorized(self.anonymous("not-a-token").get(path))

    def test_other_authorization_schemes_are_no_credential(self):
        c = self.anonymous()
        c.token = None
        conn = c.connect()
        try:
            conn.request("GET", "/healthz", headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"})
            self.assertEqual(conn.getresponse().status, 200)
        finally:
            conn.close()

    def test_certificate_from_another_ca_is_401_not_a_tls_failure(self):
        other = h.Server(tls=True)
        try:
            kc = h.read_kubeconfig(other.kubeconfig)
            ours = h.read_kubeconfig(self.server.kubeconfig)
            dec = lambda d, k: base64.b64decode(d[k]).decode()
            stranger = h.Client(ours["server"], ca_pem=dec(ours, "certificate-authority-data"),
                                cert_pem=dec(kc, "client-certificate-data"), key_pem=dec(kc, "client-key-data"))
            for path in ("/api/v1/namespaces", "/healthz"):
                self.assert_unauthorized(stranger.get(path))
            # Any credential that authenticates wins: a valid token with it.
            stranger.token = "tok-alice"
            self.assertEqual(stranger.get("/api/v1/namespaces").status, 200)
        finally:
            other.cleanup()

    def test_a_valid_certificate_wins_over_a_bad_token(self):
        c = self.server.client(token="not-a-token")
        self.assertEqual(c.get("/api/v1/namespaces/default").status, 200)

    def test_token_rotation_by_rewriting_the_file(self):
        self.assertEqual(self.anonymous("tok-alice").get("/api/v1/namespaces").status, 200)
        st = os.stat(self.tokens)
        with open(self.tokens, "w") as f:
            f.write('tok-carol,carol,1002,"devs"\n')
        # A rewrite within the file system's timestamp granularity must still
        # count as a change: move the mtime on explicitly.
        os.utime(self.tokens, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
        self.assert_unauthorized(self.anonymous("tok-alice").get("/api/v1/namespaces"))
        self.assertEqual(self.anonymous("tok-carol").get("/api/v1/namespaces").status, 200)
        # Put alice back for the other tests.
        with open(self.tokens, "w") as f:
            f.write('tok-alice,alice,1001,"devs,ops"\n')
        os.utime(self.tokens, ns=(st.st_atime_ns, st.st_mtime_ns + 4_000_000_000))
        self.assertEqual(self.anonymous("tok-alice").get("/api/v1/namespaces").status, 200)


class WithoutAnonymousOrAdminEndpoints(unittest.TestCase):
    """--anonymous-auth=false and --admin-endpoints=false, as a locked-down
    real API server answers."""

    @classmethod
    def setUpClass(cls):
        cls.server = h.Server(tls=True, args=["--anonymous-auth=false", "--admin-endpoints=false"])

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_no_credentials_is_401_everywhere(self):
        anon = h.Client.from_kubeconfig(self.server.kubeconfig, with_cert=False)
        for path in ("/api/v1/namespaces", "/healthz", "/livez", "/version"):
            assert_unauthorized(self, anon.get(path))
        self.assertEqual(self.server.client().get("/healthz").status, 200)

    def test_admin_endpoints_answer_404_and_do_nothing(self):
        c = self.server.client()
        for path in ("/admin/faults", "/admin/drop-watches", "/admin/compact", "/admin/checkpoint", "/admin"):
            r = c.post(path, {"errorRate": 1})
            self.assertEqual(r.status, 404, (path, r))
            st = r.json()
            self.assertEqual((st["kind"], st["reason"], st["code"]), ("Status", "NotFound", 404), st)
            self.assertEqual(st["message"], "the server could not find the requested resource")
        self.assertEqual(c.get("/api/v1/namespaces").status, 200)  # no fault was set


def assert_unauthorized(test, r):
    """401 with kube-apiserver's Status body."""
    test.assertEqual(r.status, 401, r)
    test.assertEqual(r.json(), {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": "Unauthorized", "reason": "Unauthorized", "code": 401})


if __name__ == "__main__":
    h.main()
