#!/usr/bin/env bash
# Runs an integration test binary (kube/ or operator/) in "real cluster"
# mode, the way a developer points it at a cluster of theirs with
# RDMA_TEST_KUBECONFIG, so that CI exercises that path: the cluster is a
# kube-testapi started here with its admin endpoints off (404, as on a real
# server: nothing can inject faults or restart it), and not an empty one. It
# already holds what a real cluster may hold, which the tests must leave as
# it is: a namespace "ml" with a ConfigMap in it, and the NAD CRD. Afterwards
# nothing the tests created may be left: no namespace, Node, RdmaNodePolicy
# or RdmaNodeState, no CRD but this repository's rdma.dev ones.
#   real_cluster_mode.sh KUBE_TESTAPI TEST_BINARY [gtest flags]
# Exit status: the test binary's (0: every test passed or was skipped), 1 if
# something was left behind or touched, 77 (ctest: skipped) when
# kube-testapi is not built.
set -euo pipefail
testapi=$1
tests=$2
shift 2
src=$(cd "$(dirname "$0")/../.." && pwd)
[ -x "$testapi" ] || { echo "kube-testapi not built at $testapi: skipped" >&2; exit 77; }
command -v kubectl >/dev/null || { echo "real_cluster_mode.sh needs kubectl" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/real-cluster-mode-XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# kube-testapi prints its URL on stdout once it listens and the kubeconfig is written.
exec {out}< <(exec "$testapi" --listen 127.0.0.1:0 --tls --admin-endpoints=false --data-dir "$work/data" \
                   --kubeconfig-out "$work/kubeconfig" --log-level warn 2>"$work/server.log")
server_pid=$!
if ! read -r -t 30 url <&"$out"; then
  echo "kube-testapi did not start:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
echo "real-cluster mode: kube-testapi at $url, admin endpoints off"

k() { kubectl --kubeconfig "$work/kubeconfig" "$@"; }
# What is there before the tests, cluster-wide, one "kind/name" a line.
cluster_objects() { k get namespaces,nodes,customresourcedefinitions -o name | sort; }

# What a user's cluster may already hold.
k create namespace ml >/dev/null
k create configmap keep-me -n ml --from-literal=owner=someone-else >/dev/null
k create -f "$src/crds/third-party/" >/dev/null
nad_crd_rv=$(k get crd network-attachment-definitions.k8s.cni.cncf.io -o jsonpath='{.metadata.resourceVersion}')
cluster_objects >"$work/before"

# Nothing reaches the tests but this cluster: not the shell's KUBECONFIG,
# not a kube-testapi of their own.
unset KUBECONFIG KUBE_TESTAPI
rc=0
RDMA_TEST_KUBECONFIG=$work/kubeconfig "$tests" "$@" || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "real-cluster mode: $(basename "$tests") exited with $rc" >&2
  exit "$rc"
fi

left=0
complain() { echo "real-cluster mode: $*" >&2; left=1; }
# The tests ask for deletion and do not wait for it; kube-testapi finishes
# namespace and CRD deletion on its own, so wait (bounded) for what is going.
cluster_objects >"$work/after"
for obj in $(comm -13 "$work/before" "$work/after"); do
  case $obj in
    customresourcedefinition.apiextensions.k8s.io/*.rdma.dev) continue ;;  # the suites install these
  esac
  k wait --for=delete "$obj" --timeout=30s >/dev/null 2>&1 || complain "left behind: $obj"
done
for obj in $(comm -23 "$work/before" "$work/after"); do
  complain "deleted what was there before: $obj"
done
for kind in rdmanodepolicies rdmanodestates; do
  if k get crd "$kind.rdma.dev" >/dev/null 2>&1; then
    for obj in $(k get "$kind" -o name); do complain "left behind: $obj"; done
  fi
done
[ "$(k get configmap keep-me -n ml -o jsonpath='{.data.owner}' 2>/dev/null)" = someone-else ] ||
  complain "configmap ml/keep-me was changed or deleted"
[ "$(k get crd network-attachment-definitions.k8s.cni.cncf.io -o jsonpath='{.metadata.resourceVersion}' \
    2>/dev/null)" = "$nad_crd_rv" ] || complain "the NAD CRD was changed or deleted"
[ "$left" -eq 0 ] || exit 1
echo "real-cluster mode: every test passed or was skipped; nothing left behind"
