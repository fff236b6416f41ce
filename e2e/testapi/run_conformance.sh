#!/usr/bin/env bash
# Runs ../shared/conformance/kubeapi_conformance.py against a fresh
# kube-testapi.
#   run_conformance.sh KUBE_TESTAPI_BINARY tls|http|rbac
# tls:  HTTPS, client-certificate kubeconfig, every group including kubectl.
# rbac: as tls, with the server's --rbac: also the rbac group (impersonation).
# http: plain HTTP, --server mode, every group but kubectl (which needs a
#       kubeconfig the script would only have to fake).
set -euo pipefail
bin=$1
mode=$2
here=$(cd "$(dirname "$0")" && pwd)
suite=${CONFORMANCE_SUITE:-$here/../../../shared/conformance/kubeapi_conformance.py}
[ -f "$suite" ] || { echo "conformance suite not found at $suite (set CONFORMANCE_SUITE)" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

args=(--listen 127.0.0.1:0 --kubeconfig-out "$work/kubeconfig")
case $mode in
  tls) args+=(--tls) ;;
  rbac) args+=(--tls --rbac) ;;
  http) ;;
  *) echo "unknown mode $mode (tls, http or rbac)" >&2; exit 2 ;;
esac
# kube-testapi prints its URL on stdout once it listens and the kubeconfig is written.
exec {out}< <("$bin" "${args[@]}" 2>"$work/server.log")
server_pid=$!
if ! read -r -t 20 url <&"$out"; then
  echo "kube-testapi did not start:" >&2
  cat "$work/server.log" >&2
  exit 1
fi

if [ "$mode" = tls ]; then
  python3 "$suite" --kubeconfig "$work/kubeconfig"
elif [ "$mode" = rbac ]; then
  python3 "$suite" --kubeconfig "$work/kubeconfig" --rbac
else
  python3 "$suite" --server "$url" --no-kubectl
fi
