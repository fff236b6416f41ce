#!/usr/bin/env bash
# The two ways users install, against kube-testapi over TLS with a
# kubeconfig, as on a cluster:
#   1. helm install of charts/rdma-operator (with the NAD CRD from the chart),
#      then kubectl apply of docs/examples; helm upgrade to two replicas;
#      helm uninstall;
#   2. kubectl apply -f crds/ -f crds/third-party/ -f deploy/, then the examples.
# Checks the objects are accepted (Deployment, DaemonSet, RBAC, the admission
# policy, the examples); no kubelet runs them.
#   charts/tests/install.sh BUILD_BIN_DIR      (exit 77 without helm/kubectl)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:?usage: install.sh BUILD_BIN_DIR}
for t in helm kubectl; do
  command -v $t >/dev/null || { echo "skipped: no $t (scripts/install-helm.sh)"; exit 77; }
done
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
passed=0 failed=0
check() {  # check "what" command...
  local what=$1; shift
  if out=$("$@" 2>&1); then
    passed=$((passed + 1)); echo "ok: $what"
  else
    failed=$((failed + 1)); echo "FAIL: $what"; echo "$out" | tail -5 | sed 's/^/    /'
  fi
}

start_server() {
  rm -rf "$work/kt"; mkdir -p "$work/kt"
  exec 3< <("$bin/kube-testapi" --tls --listen 127.0.0.1:0 --kubeconfig-out "$work/kt/kubeconfig" 2>"$work/kt/log" & echo $!)
  read -r pid <&3
  read -r _url <&3  # printed once serving and the kubeconfig is written
  export KUBECONFIG=$work/kt/kubeconfig HELM_CACHE_HOME=$work/helm/cache HELM_CONFIG_HOME=$work/helm/config \
    HELM_DATA_HOME=$work/helm/data
}
stop_server() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

examples=$root/docs/examples
# 1. Helm
start_server
check "helm install" helm install rdma-operator "$root/charts/rdma-operator" -n rdma-system --create-namespace \
  --set networkAttachmentDefinitionCRD.install=true
check "the operator Deployment exists" kubectl -n rdma-system get deployment rdma-operator
check "the agent DaemonSet exists" kubectl -n rdma-system get daemonset rdma-operator-agent
check "the own-node admission policy exists" kubectl get validatingadmissionpolicies rdma-operator-agent-own-node
check "the CRDs came from crds/" kubectl get crd rdmanodepolicies.rdma.dev rdmanetworks.rdma.dev rdmanodestates.rdma.dev
check "the NAD CRD came from the chart" kubectl get crd network-attachment-definitions.k8s.cni.cncf.io
check "kubectl create namespace ml" kubectl create namespace ml
check "kubectl apply -f docs/examples" kubectl apply -f "$examples"
check "helm upgrade to two replicas (leader election)" helm upgrade rdma-operator "$root/charts/rdma-operator" \
  -n rdma-system -f "$root/charts/rdma-operator/ci/ha-values.yaml" --set networkAttachmentDefinitionCRD.install=true
check "the upgrade turned on leader election" \
  sh -c "kubectl -n rdma-system get deployment rdma-operator -o jsonpath='{.spec.replicas} {.spec.template.spec.containers[0].args}' | grep -q '^2 .*--leader-elect'"
check "a misspelt value fails helm upgrade" sh -c "! helm upgrade rdma-operator '$root/charts/rdma-operator' -n rdma-system --set agent.enabeld=false"
check "helm uninstall" helm uninstall rdma-operator -n rdma-system
check "uninstall removed the Deployment" sh -c "! kubectl -n rdma-system get deployment rdma-operator"
check "uninstall kept the NAD CRD (resource-policy keep)" kubectl get crd network-attachment-definitions.k8s.cni.cncf.io
stop_server

# 2. Plain manifests
start_server
check "kubectl apply -f crds/ -f crds/third-party/ -f deploy/" \
  kubectl apply -f "$root/crds/" -f "$root/crds/third-party/" -f "$root/deploy/"
check "the operator Deployment exists" kubectl -n rdma-system get deployment rdma-operator
check "the agent DaemonSet exists" kubectl -n rdma-system get daemonset rdma-operator-agent
check "kubectl create namespace ml" kubectl create namespace ml
check "kubectl apply -f docs/examples" kubectl apply -f "$examples"
check "kubectl delete -f deploy/" kubectl delete --ignore-not-found -f "$root/deploy/"
stop_server

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
