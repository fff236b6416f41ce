#!/usr/bin/env python3
"""kube-testapi over plain HTTP: injected faults (/admin/faults), dropped
watches, compaction, bad input answered with a Status (never a crash),
sendInitialEvents, and namespace deletion observed by watching.

  test_faults_input.py KUBE_TESTAPI_BINARY
"""
import json
import os
import threading
import time
import unittest

import testapi_harness as h

CM = "/api/v1/namespaces/default/configmaps"
MAX_BODY = 4096


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = h.Server(args=["--max-body-bytes", str(MAX_BODY)])
        cls.c = cls.server.client()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def tearDown(self):
        # Whatever a test sent, the server is still up and answering.
        self.c.post("/admin/faults", {})
        self.assertTrue(self.server.alive(), self.server.log_text()[-2000:])
        self.assertEqual(self.c.get("/healthz").status, 200)

    def assert_status(self, r, code, reason=None):
        self.assertEqual(r.status, code, r)
        st = r.json()
        self.assertEqual(st["kind"], "Status", st)
        self.assertEqual(st["status"], "Failure", st)
        self.assertEqual(st["code"], code, st)
        if reason:
            self.assertEqual(st["reason"], reason, st)
        return st


class Faults(Base):
    def test_429_with_retry_after_then_cleared(self):
        self.assertEqual(self.c.post("/admin/faults", {"errorRate": 1, "errorCode": 429}).status, 200)
        r = self.c.get(CM)
        self.assert_status(r, 429, "TooManyRequests")
        self.assertEqual(r.header("Retry-After"), "1")
        # Health and admin endpoints are not subject to faults.
        self.assertEqual(self.c.get("/healthz").status, 200)
        self.assertEqual(self.c.post("/admin/faults", {}).status, 200)
        self.assertEqual(self.c.get(CM).status, 200)

    def test_500(self):
        self.c.post("/admin/faults", {"errorRate": 1, "errorCode": 500})
        self.assert_status(self.c.post(CM, h.configmap("never")), 500, "InternalError")
        self.c.post("/admin/faults", {})
        self.assertEqual(self.c.get(CM + "/never").status, 404)

    def test_503(self):
        self.c.post("/admin/faults", {"errorRate": 1, "errorCode": 503})
        self.assert_status(self.c.get(CM), 503, "ServiceUnavailable")

    def test_invalid_fault_settings_are_400(self):
        for body in ({"errorRate": 2}, {"errorCode": 404}, {"latencyMs": -1}, "[1]", "{"):
            with self.subTest(body=body):
                self.assert_status(self.c.post("/admin/faults", body), 400, "BadRequest")

    def test_latency_delays_api_requests_only(self):
        latency = 1.0
        self.c.post("/admin/faults", {"latencyMs": int(latency * 1000)})
        finished = []
        slow = threading.Thread(target=lambda: finished.append(("api", self.c.get(CM).status)))
        t0 = time.monotonic()
        slow.start()
        # Health checks are not delayed, and the delayed request does not stall the server.
        finished.append(("healthz", self.c.get("/healthz").status))
        slow.join(timeout=h.IO_TIMEOUT)
        self.assertGreaterEqual(time.monotonic() - t0, latency)
        self.assertEqual(finished, [("healthz", 200), ("api", 200)])

    def test_drop_watches_ends_open_watches(self):
        w = self.c.watch(CM + "?watch=true&resourceVersion=" + self.current_rv())
        try:
            self.assertEqual(w.status, 200)
            self.assertEqual(self.c.post("/admin/drop-watches", {}).status, 200)
            while True:  # bookmarks may arrive first; the stream must then end
                ev = w.next()
                if ev is None:
                    break
                self.assertEqual(ev["type"], "BOOKMARK", ev)
        finally:
            w.close()

    def test_compact_expires_older_resource_versions(self):
        r = self.c.post(CM, h.configmap("compacted"))
        self.assertEqual(r.status, 201, r)
        old_rv = r.json()["metadata"]["resourceVersion"]
        self.assertEqual(self.c.request("DELETE", CM + "/compacted").status, 200)
        self.assertEqual(self.c.post("/admin/compact", {}).status, 200)
        w = self.c.watch(CM + "?watch=true&resourceVersion=" + old_rv)
        try:
            ev = w.next()
            self.assertEqual(ev["type"], "ERROR", ev)
            self.assertEqual(ev["object"]["code"], 410, ev)
            self.assertEqual(ev["object"]["reason"], "Expired", ev)
            self.assertIsNone(w.next())
        finally:
            w.close()
        # The current resourceVersion is still watchable.
        w = self.c.watch(CM + "?watch=true&resourceVersion=" + self.current_rv())
        try:
            self.assertEqual(self.c.post(CM, h.configmap("after-compact")).status, 201)
            ev = w.until(lambda e: e["type"] != "BOOKMARK")
            self.assertEqual(ev["type"], "ADDED")
            self.assertEqual(ev["object"]["metadata"]["name"], "after-compact")
        finally:
            w.close()

    def current_rv(self):
        return self.c.get(CM).json()["metadata"]["resourceVersion"]


class BadInput(Base):
    def test_malformed_json_is_400(self):
        self.assert_status(self.c.post(CM, '{"apiVersion": "v1", "kind": '), 400, "BadRequest")

    def test_json_that_is_not_an_object_is_400(self):
        self.assert_status(self.c.post(CM, "[]"), 400, "BadRequest")

    def test_malformed_yaml_is_400(self):
        self.assert_status(self.c.post(CM, "apiVersion: v1\nkind: [ConfigMap\n  metadata: {", "application/yaml"),
                           400, "BadRequest")

    def test_yaml_create_works(self):
        r = self.c.post(CM, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  n: '5'\n",
                        "application/yaml")
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["data"], {"n": "5"})

    def test_body_over_max_body_bytes_is_413(self):
        big = h.configmap("big", {"x": "y" * (MAX_BODY + 100)})
        self.assert_status(self.c.post(CM, big), 413, "RequestEntityTooLarge")
        self.assertEqual(self.c.get(CM + "/big").status, 404)

    def test_unknown_resource_is_404(self):
        self.assert_status(self.c.get("/api/v1/namespaces/default/widgets"), 404, "NotFound")
        self.assert_status(self.c.get("/apis/nope.example.com/v1/things"), 404, "NotFound")
        self.assert_status(self.c.post("/api/v1/namespaces/default/widgets", h.configmap("x")), 404, "NotFound")

    def test_wrong_api_version_or_kind_in_body_is_400(self):
        bad_version = dict(h.configmap("wrongv"), apiVersion="apps/v1")
        st = self.assert_status(self.c.post(CM, bad_version), 400, "BadRequest")
        self.assertIn("apps/v1", st["message"])
        bad_kind = dict(h.configmap("wrongk"), kind="Secret")
        st = self.assert_status(self.c.post(CM, bad_kind), 400, "BadRequest")
        self.assertIn("Secret", st["message"])
        self.assertEqual(self.c.get(CM + "/wrongv").status, 404)
        self.assertEqual(self.c.get(CM + "/wrongk").status, 404)

    def test_unsupported_patch_content_type_is_415(self):
        self.assertEqual(self.c.post(CM, h.configmap("patched")).status, 201)
        self.assert_status(self.c.request("PATCH", CM + "/patched", {"data": {"a": "b"}}, "text/plain"),
                           415, "UnsupportedMediaType")

    def test_apply_without_field_manager_is_422(self):
        body = json.dumps(h.configmap("applied"))
        self.assert_status(self.c.request("PATCH", CM + "/applied", body, "application/apply-patch+yaml"),
                           422, "Invalid")
        r = self.c.request("PATCH", CM + "/applied?fieldManager=it", body, "application/apply-patch+yaml")
        self.assertEqual(r.status, 201, r)

    def test_send_initial_events_needs_resource_version_match(self):
        self.assert_status(self.c.get(CM + "?watch=true&sendInitialEvents=true&allowWatchBookmarks=true"),
                           422, "Invalid")

    def test_send_initial_events(self):
        for name in ("sie-a", "sie-b"):
            self.assertEqual(self.c.post("/api/v1/namespaces/kube-public/configmaps", h.configmap(name)).status, 201)
        w = self.c.watch("/api/v1/namespaces/kube-public/configmaps?watch=true&sendInitialEvents=true"
                         "&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true")
        try:
            self.assertEqual(w.status, 200)
            added = []
            while True:
                ev = w.next()
                self.assertIsNotNone(ev, "watch ended before the initial-events-end bookmark")
                if ev["type"] == "BOOKMARK":
                    break
                self.assertEqual(ev["type"], "ADDED", ev)
                added.append(ev["object"]["metadata"]["name"])
            self.assertEqual(sorted(added), ["sie-a", "sie-b"])
            self.assertEqual(ev["object"]["metadata"].get("annotations", {}).get("k8s.io/initial-events-end"),
                             "true", ev)
        finally:
            w.close()

    def test_invalid_query_values_are_400(self):
        for q in ("?limit=abc", "?labelSelector=a%20in%20(", "?fieldSelector=spec.nope=1",
                  "?watch=true&resourceVersion=xyz", "?watch=true&timeoutSeconds=soon"):
            with self.subTest(query=q):
                self.assert_status(self.c.get(CM + q), 400, "BadRequest")

    def test_garbage_requests_do_not_crash(self):
        for method, path, body, ct in (
                ("PUT", CM + "/nothing", "{}", "application/json"),
                ("PATCH", CM + "/nothing", "not json", "application/merge-patch+json"),
                ("PATCH", CM + "/nothing", "{}", "application/json-patch+json"),
                ("POST", CM, '{"metadata": 5}', "application/json"),
                ("POST", CM, "\xff\xfe", "application/json"),
                ("POST", CM, "- a\n- b\n", "application/yaml"),
                ("DELETE", CM + "/nothing?propagationPolicy=Sideways", None, None),
                ("GET", CM + "?continue=%%%", None, None)):
            with self.subTest(method=method, path=path, body=body):
                r = self.c.request(method, path, body, ct or "application/json")
                self.assertGreaterEqual(r.status, 400, r)
                self.assertLess(r.status, 500, r)
                self.assertEqual(r.json()["kind"], "Status")
                self.assertEqual(self.c.get("/healthz").status, 200)


class MalformedPodStatus(Base):
    """A pod status with conditions that are not a list, then a
    PodDisruptionBudget selecting it: once this aborted the whole server from
    the PDB status pass (type_error.306); now the status is refused (422) and
    the server lives on."""

    def test_server_survives_malformed_pod_conditions(self):
        pods = "/api/v1/namespaces/default/pods"
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "odd", "labels": {"app": "odd"}},
               "spec": {"containers": [{"name": "c", "image": "i"}]}}
        self.assertEqual(self.c.post(pods, pod).status, 201)
        r = self.c.request("PATCH", pods + "/odd/status", {"status": {"conditions": "x"}},
                           "application/merge-patch+json")
        self.assertIn(r.status, (200, 422), r)
        pdb = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "odd"},
               "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "odd"}}}}
        self.assertEqual(self.c.post("/apis/policy/v1/namespaces/default/poddisruptionbudgets", pdb).status, 201)
        # tearDown checks the server is still alive and answers /healthz.


class NamespaceDeletion(Base):
    def test_namespace_deletion_removes_its_objects_then_the_namespace(self):
        r = self.c.post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                               "metadata": {"name": "doomed"}})
        self.assertEqual(r.status, 201, r)
        ns_cm = "/api/v1/namespaces/doomed/configmaps"
        for name in ("one", "two"):
            self.assertEqual(self.c.post(ns_cm, h.configmap(name)).status, 201)
        rv = self.c.get("/api/v1/namespaces").json()["metadata"]["resourceVersion"]
        w = self.c.watch("/api/v1/namespaces?watch=true&fieldSelector=metadata.name%3Ddoomed&resourceVersion=" + rv)
        try:
            r = self.c.request("DELETE", "/api/v1/namespaces/doomed")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json()["status"]["phase"], "Terminating")
            w.until(lambda e: e["type"] == "DELETED")
        finally:
            w.close()
        self.assertEqual(self.c.get("/api/v1/namespaces/doomed").status, 404)
        self.assertEqual(self.c.get("/api/v1/configmaps?fieldSelector=metadata.namespace%3Ddoomed").json()["items"],
                         [])


if __name__ == "__main__":
    h.main()
