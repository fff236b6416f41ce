#!/usr/bin/env bash
# helm lint and helm template of charts/rdma-operator with one values file
# ("default" = the chart's own values, else ci/<name>-values.yaml), then
# every rendered object (CRDs included) validated against the Kubernetes API
# schemas (charts/schema-check). Exit 77 (skip) without helm or the npm
# packages.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
chart=$root/charts/rdma-operator
name=${1:?usage: template_and_validate.sh default|<ci values name>}
command -v helm >/dev/null || { echo "skipped: no helm (scripts/install-helm.sh)"; exit 77; }
[ -d "$root/charts/schema-check/node_modules" ] ||
  { echo "skipped: npm ci --prefix charts/schema-check"; exit 77; }

args=()
[ "$name" = default ] || args=(-f "$chart/ci/$name-values.yaml")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

helm lint --strict "$chart" "${args[@]}"
# Both ends of the supported range: the chart's kubeVersion must admit them.
for kv in 1.32.0 1.35.0; do
  helm template rdma-operator "$chart" --namespace rdma-system --include-crds --kube-version "$kv" "${args[@]}" \
    > "$work/rendered-$kv.yaml"
done
# Below the minimum the chart refuses to render.
if helm template rdma-operator "$chart" --kube-version 1.31.0 "${args[@]}" >/dev/null 2>&1; then
  echo "FAIL: the chart renders for Kubernetes 1.31, below its minimum 1.32" >&2
  exit 1
fi
node "$root/charts/schema-check/check.mjs" "$work"/rendered-*.yaml
