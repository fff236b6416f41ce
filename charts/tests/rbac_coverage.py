#!/usr/bin/env python3
"""The chart's RBAC covers every API request the operator and the agent make.

Runs kube-testapi with RBAC enforced (--rbac) and --audit-log, with the
chart's ServiceAccounts, Roles, ClusterRoles and bindings from
deploy/rdma-operator.yaml applied, the operator and an agent (with an empty
sysfs: it finds no NIC, but creates, watches and reports its node's
RdmaNodeState), each authenticated as the ServiceAccount the chart creates,
through the docs' examples being applied and deleted, and a rollout (cordon,
eviction, reboot grant, uncordon) of a second node whose agent the script
plays. Then every logged
request (verb, group, resource/subresource, namespace) of each component
must have been allowed by the server (no 403) and by the Roles and
ClusterRoles deploy/rdma-operator.yaml binds to that ServiceAccount (the
second check names the rule a request lacks). Rules no request used are listed (a note, not a
failure: a run exercises the paths it can, not all).

  charts/tests/rbac_coverage.py BUILD_BIN_DIR

Prints "N passed, M failed"; exit 77 (skip) without kubectl.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NS = "rdma-system"


def rendered():
    with open(os.path.join(ROOT, "deploy/rdma-operator.yaml")) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def rules_for(objects, sa):
    """(rules, namespace or None) bound to ServiceAccount sa in NS."""
    roles = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o for o in objects
             if o["kind"] in ("Role", "ClusterRole")}
    out = []
    for b in objects:
        if b["kind"] not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        if not any(s["kind"] == "ServiceAccount" and s["name"] == sa and s.get("namespace") == NS
                   for s in b.get("subjects", [])):
            continue
        ref = b["roleRef"]
        ns = b["metadata"].get("namespace") if b["kind"] == "RoleBinding" else None
        role = roles.get((ref["kind"], ns if ref["kind"] == "Role" else None, ref["name"]))
        if role is None:
            raise SystemExit(f"{b['kind']} {b['metadata']['name']} names a missing {ref['kind']} {ref['name']}")
        for r in role.get("rules", []):
            out.append((r, ns))
    return out


def allows(rule, ns, req):
    if ns is not None and req["namespace"] != ns:
        return False
    res = req["resource"] + ("/" + req["subresource"] if req["subresource"] else "")
    return (req["apiGroup"] in rule.get("apiGroups", []) or "*" in rule.get("apiGroups", [])) and \
        (res in rule.get("resources", []) or "*" in rule.get("resources", [])) and \
        (req["verb"] in rule.get("verbs", []) or "*" in rule.get("verbs", [])) and \
        (not rule.get("resourceNames") or req["name"] in rule["resourceNames"])


class Cluster:
    def __init__(self, bindir, work):
        self.work = work
        self.procs = []
        tokens = os.path.join(work, "tokens.csv")
        with open(tokens, "w") as f:
            f.write(f'operator-token,system:serviceaccount:{NS}:rdma-operator,u1,'
                    f'"system:serviceaccounts,system:serviceaccounts:{NS},system:authenticated"\n')
            f.write(f'agent-token,system:serviceaccount:{NS}:rdma-operator-agent,u2,'
                    f'"system:serviceaccounts,system:serviceaccounts:{NS},system:authenticated"\n')
        self.audit = os.path.join(work, "audit.jsonl")
        self.kubeconfig = os.path.join(work, "admin.kubeconfig")
        api = subprocess.Popen([os.path.join(bindir, "kube-testapi"), "--tls", "--listen", "127.0.0.1:0",
                                "--kubeconfig-out", self.kubeconfig, "--token-file", tokens,
                                "--audit-log", self.audit, "--rbac"],
                               stdout=subprocess.PIPE, stderr=open(os.path.join(work, "testapi.log"), "w"), text=True)
        self.procs.append(api)
        self.url = api.stdout.readline().strip()  # printed once serving and the kubeconfig is written
        if not self.url:
            raise SystemExit("kube-testapi did not start: " + open(os.path.join(work, "testapi.log")).read())

    def kubeconfig_for(self, name, token):
        path = os.path.join(self.work, name + ".kubeconfig")
        shutil.copy(self.kubeconfig, path)
        self.kubectl("config", "set-credentials", name, "--token", token, kubeconfig=path)
        self.kubectl("config", "set-context", "--current", "--user", name, kubeconfig=path)
        return path

    def kubectl(self, *args, kubeconfig=None, check=True):
        r = subprocess.run(["kubectl", "--kubeconfig", kubeconfig or self.kubeconfig, *args],
                           capture_output=True, text=True)
        if check and r.returncode != 0:
            raise SystemExit(f"kubectl {' '.join(args)}: {r.stderr}")
        return r.stdout

    def start(self, name, argv):
        log = open(os.path.join(self.work, name + ".log"), "w")
        p = subprocess.Popen(argv, stdout=log, stderr=log)
        self.procs.append(p)
        return p

    def wait_for(self, what, predicate, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.1)  # polling an observable condition, bounded by the deadline
        raise SystemExit(f"timed out waiting for {what}; logs in {self.work}")

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def rollout_node_b(c, work):
    """The operator's rollout on node-b, whose "agent" is this script (as
    admin): it reports a ConnectX PF, then that the policy's firmware change
    waits for a reboot; the operator cordons node-b, evicts its pod, grants
    the reboot, and uncordons once the script reports the spec applied."""
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "node-b", "labels": {"rdma.dev/roce": "true", "kubernetes.io/os": "linux"}}}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app", "namespace": "ml"},
           "spec": {"nodeName": "node-b", "containers": [{"name": "c", "image": "busybox"}]}}
    state = {"apiVersion": "rdma.dev/v1alpha1", "kind": "RdmaNodeState", "metadata": {"name": "node-b"}}
    for name, obj in (("node-b.json", node), ("pod.json", pod), ("rns-b.json", state)):
        with open(os.path.join(work, name), "w") as f:
            json.dump(obj, f)
        # The operator may have created node-b's RdmaNodeState first (the
        # policy selects node-b).
        c.kubectl("create", "-f", os.path.join(work, name), check=name != "rns-b.json")

    def get_state():
        return json.loads(c.kubectl("get", "rdmanodestates", "node-b", "-o", "json"))

    def report(status):
        s = get_state()
        s["status"] = status
        with open(os.path.join(work, "rns-b-status.json"), "w") as f:
            json.dump(s, f)
        c.kubectl("replace", "--subresource", "status", "-f", os.path.join(work, "rns-b-status.json"))

    pf = {"pciAddress": "0000:41:00.0", "name": "ens1f0", "vendor": "15b3", "deviceID": "1017", "totalVfs": 16}
    report({"interfaces": [pf]})
    c.wait_for("the operator to write node-b's spec", lambda: get_state()["spec"].get("interfaces"))
    gen = get_state()["metadata"]["generation"]
    report({"interfaces": [pf], "observedGeneration": gen, "syncState": "Pending", "rebootRequired": True})
    def evicted():
        out = c.kubectl("get", "pod", "app", "-n", "ml", "-o", "json", check=False)
        return not out or "deletionTimestamp" in json.loads(out)["metadata"]

    c.wait_for("the operator to cordon node-b and evict its pod", evicted)
    # What the kubelet does once the containers stopped.
    c.kubectl("delete", "pod", "app", "-n", "ml", "--grace-period=0", "--force", "--ignore-not-found")
    c.wait_for("the operator to grant node-b's reboot",
               lambda: get_state()["spec"].get("disruption", {}).get("rebootAllowed") is True)
    gen = get_state()["metadata"]["generation"]
    report({"interfaces": [pf], "observedGeneration": gen, "appliedGeneration": gen, "syncState": "Succeeded"})
    c.wait_for("the operator to finish node-b's rollout and uncordon it",
               lambda: '"result":"Done"' in get_state()["metadata"].get("annotations", {}).get("rdma.dev/rollout", "")
               and not json.loads(c.kubectl("get", "node", "node-b", "-o", "json")).get("spec", {}).get("unschedulable"))


def main():
    if shutil.which("kubectl") is None:
        print("skipped: no kubectl (scripts/install-helm.sh)")
        return 77
    bindir = sys.argv[1]
    work = tempfile.mkdtemp(prefix="rbac-coverage-")
    c = Cluster(bindir, work)
    ok = False
    drift = "not run"
    try:
        c.kubectl("apply", "-f", os.path.join(ROOT, "crds"), "-f", os.path.join(ROOT, "crds/third-party"))
        c.kubectl("create", "namespace", NS)
        # The chart's identities and permissions, exactly as rendered: the
        # server enforces them from here on.
        rbac = [o for o in rendered() if o["kind"] in ("ServiceAccount", "Role", "ClusterRole", "RoleBinding",
                                                       "ClusterRoleBinding")]
        with open(os.path.join(work, "rbac.yaml"), "w") as f:
            yaml.safe_dump_all(rbac, f)
        c.kubectl("apply", "-f", os.path.join(work, "rbac.yaml"))
        c.kubectl("create", "namespace", "ml")
        node = {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": "node-a", "labels": {"rdma.dev/roce": "true", "kubernetes.io/os": "linux"}}}
        with open(os.path.join(work, "node.json"), "w") as f:
            json.dump(node, f)
        c.kubectl("apply", "-f", os.path.join(work, "node.json"))

        op_kc = c.kubeconfig_for("rdma-operator", "operator-token")
        agent_kc = c.kubeconfig_for("rdma-operator-agent", "agent-token")
        # The flags the chart passes (templates/operator-deployment.yaml, HA values).
        c.start("operator", [os.path.join(bindir, "rdma-operator"), "--kubeconfig", op_kc, "--namespace", NS,
                             "--leader-elect", "--leader-election-id", "rdma-operator", "--identity", "op-0",
                             "--metrics-bind-address", "0", "--health-probe-bind-address", "0"])
        host = os.path.join(work, "host")
        os.makedirs(os.path.join(host, "proc/sys/kernel/random"))
        os.makedirs(os.path.join(host, "sys/bus/pci/devices"))
        os.makedirs(os.path.join(host, "sys/class/net"))
        with open(os.path.join(host, "proc/sys/kernel/random/boot_id"), "w") as f:
            f.write("00000000-0000-4000-8000-000000000001\n")
        agent = c.start("agent", [os.path.join(bindir, "rdma-agent"), "--kubeconfig", agent_kc, "--node-name", "node-a",
                          "--host-root", host, "--sysfs-root", os.path.join(host, "sys"),
                          "--journal-dir", os.path.join(work, "journal"), "--mstconfig", "/bin/false",
                          "--health-address", ""])

        def rns_reported():
            out = c.kubectl("get", "rdmanodestates", "node-a", "-o", "json", check=False)
            return bool(out) and "observedGeneration" in json.loads(out).get("status", {})

        c.wait_for("the agent to report node-a", rns_reported)
        c.kubectl("apply", "-f", os.path.join(ROOT, "docs/examples"))
        c.wait_for("the operator to render the RoCE network's NADs",
                   lambda: "roce-net" in c.kubectl("get", "network-attachment-definitions", "-n", "ml",
                                                   "-o", "name", check=False))
        c.wait_for("the policy's status", lambda: "matchedNodes" in c.kubectl(
            "get", "rdmanodepolicies", "roce-cx5", "-o", "json", check=False))
        rollout_node_b(c, work)
        # No drift: once the operator has reconciled, applying the examples
        # again changes nothing (kubectl diff exits 0 when there is no
        # difference, 1 when there is one).
        d = subprocess.run(["kubectl", "--kubeconfig", c.kubeconfig, "diff", "-f", os.path.join(ROOT, "docs/examples")],
                           capture_output=True, text=True)
        drift = None if d.returncode == 0 else (d.stdout + d.stderr)
        c.kubectl("delete", "-f", os.path.join(ROOT, "docs/examples"))
        c.wait_for("the operator to remove the NADs",
                   lambda: "roce-net" not in c.kubectl("get", "network-attachment-definitions", "-n", "ml",
                                                       "-o", "name", check=False))
        # A node leaving the cluster: its agent is gone, the operator deletes
        # its RdmaNodeState.
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=10)
        c.kubectl("delete", "node", "node-a")
        c.wait_for("the operator to delete node-a's RdmaNodeState",
                   lambda: "node-a" not in c.kubectl("get", "rdmanodestates", "-o", "name", check=False))
        ok = True
    finally:
        c.stop()
        if not ok:
            for name in ("operator", "agent"):
                p = os.path.join(work, name + ".log")
                if os.path.exists(p):
                    print(f"--- {name} log (tail)\n" + "".join(open(p).readlines()[-20:]))

    objects = rendered()
    components = {"operator": f"system:serviceaccount:{NS}:rdma-operator",
                  "agent": f"system:serviceaccount:{NS}:rdma-operator-agent"}
    passed = failed = 0
    if drift is None:
        passed += 1
        print("ok: kubectl diff of the docs' examples after the operator reconciled is empty")
    else:
        failed += 1
        print("FAIL: kubectl diff of the docs' examples after the operator reconciled:\n" + drift)
    with open(c.audit) as f:
        log = [json.loads(line) for line in f]
    for comp, user in components.items():
        rules = rules_for(objects, user.rsplit(":", 1)[1])
        reqs = [r for r in log if r["user"] == user and "resource" in r]
        if not reqs:
            print(f"FAIL {comp}: made no API request; is it running as {user}?")
            failed += 1
            continue
        denied = sorted({(r["verb"], r["apiGroup"] or "core", r["resource"], r["subresource"])
                         for r in reqs if r.get("code") == 403})
        for verb, group, res, sub in denied:
            failed += 1
            print(f"FAIL {comp}: the server denied {verb} {group}/{res}{'/' + sub if sub else ''} (403)")
        if not denied:
            passed += 1
            print(f"ok {comp}: no request denied with RBAC enforced")
        used = set()
        seen = set()
        for req in reqs:
            key = (req["verb"], req["apiGroup"], req["resource"], req["subresource"], req["namespace"])
            if key in seen:
                continue
            seen.add(key)
            match = [i for i, (rule, ns) in enumerate(rules) if allows(rule, ns, req)]
            res = req["resource"] + ("/" + req["subresource"] if req["subresource"] else "")
            where = f" in {req['namespace']}" if req["namespace"] else ""
            if match:
                passed += 1
                print(f"ok {comp}: {req['verb']} {req['apiGroup'] or 'core'}/{res}{where}")
                for i in match:
                    used.add((i, req["verb"], res))
            else:
                failed += 1
                print(f"FAIL {comp}: {req['verb']} {req['apiGroup'] or 'core'}/{res}{where} is not in the chart's RBAC")
        for i, (rule, ns) in enumerate(rules):
            for res in rule.get("resources", []):
                for verb in rule.get("verbs", []):
                    if (i, verb, res) not in used:
                        print(f"note {comp}: rule {verb} {','.join(rule['apiGroups']) or 'core'}/{res} "
                              f"was not used in this run")
        print(f"{comp}: {len(seen)} distinct requests")
    shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
