#!/usr/bin/env bash
# The main job: a local sandbox cluster. Installs dependencies, builds, then
# runs kube-testapi (HTTPS, state kept in .sandbox/) in the foreground and
# prints the kubeconfig to use with kubectl. Ctrl-C stops it; running the
# script again resumes with the same objects and certificates.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target kube-testapi
state=${SANDBOX_DIR:-$PWD/.sandbox}
mkdir -p "$state"
port=${SANDBOX_PORT:-6443}
echo "sandbox: starting kube-testapi on https://127.0.0.1:$port (state in $state)"
echo "sandbox: in another shell:  export KUBECONFIG=$state/kubeconfig && kubectl get ns"
exec build/bin/kube-testapi --listen "127.0.0.1:$port" --tls --data-dir "$state/apiserver" \
  --kubeconfig-out "$state/kubeconfig"
