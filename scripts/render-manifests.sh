#!/usr/bin/env bash
# deploy/rdma-operator.yaml is the chart rendered with its default values
# into namespace rdma-system, for `kubectl apply -f crds/ -f deploy/`.
# crds/ is the one source of the CRDs: this script copies them into the
# chart (charts/rdma-operator/crds/, and the optional NAD CRD into files/).
#
#   scripts/render-manifests.sh          # write
#   scripts/render-manifests.sh --check  # exit 1 (with a diff) if anything is stale
set -euo pipefail
cd "$(dirname "$0")/.."
chart=charts/rdma-operator
check=false
[ "${1:-}" = --check ] && check=true

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name in crds/ → copy in the chart
pairs=()
for f in crds/rdma.dev_*.yaml; do pairs+=("$f" "$chart/crds/$(basename "$f")"); done
pairs+=(crds/third-party/k8s.cni.cncf.io_network-attachment-definitions.yaml
        "$chart/files/k8s.cni.cncf.io_network-attachment-definitions.yaml")

{
  echo "# Rendered from charts/rdma-operator by scripts/render-manifests.sh; do not edit."
  echo "# Install: kubectl apply -f crds/ -f deploy/   (see docs/install.md)"
  echo "apiVersion: v1"
  echo "kind: Namespace"
  echo "metadata:"
  echo "  name: rdma-system"
  echo "  labels:"
  echo "    app.kubernetes.io/name: rdma-operator"
  echo "---"
  helm template rdma-operator "$chart" --namespace rdma-system
} > "$work/rdma-operator.yaml"

stale=0
if $check; then
  for ((i = 0; i < ${#pairs[@]}; i += 2)); do
    if ! cmp -s "${pairs[i]}" "${pairs[i+1]}"; then
      echo "stale: ${pairs[i+1]} differs from ${pairs[i]}" >&2
      stale=1
    fi
  done
  # The chart's copies must be exactly crds/, nothing more.
  for f in "$chart"/crds/*; do
    [ -f "crds/$(basename "$f")" ] || { echo "stale: $f has no source in crds/" >&2; stale=1; }
  done
  if ! diff -u deploy/rdma-operator.yaml "$work/rdma-operator.yaml" >&2; then
    echo "stale: deploy/rdma-operator.yaml" >&2
    stale=1
  fi
  if ((stale)); then
    echo "run scripts/render-manifests.sh and commit the result" >&2
    exit 1
  fi
  echo "render-manifests: charts/rdma-operator/crds and deploy/rdma-operator.yaml are up to date"
else
  for ((i = 0; i < ${#pairs[@]}; i += 2)); do cp "${pairs[i]}" "${pairs[i+1]}"; done
  mkdir -p deploy
  cp "$work/rdma-operator.yaml" deploy/rdma-operator.yaml
  echo "render-manifests: wrote deploy/rdma-operator.yaml"
fi
