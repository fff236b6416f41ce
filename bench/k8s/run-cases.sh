#!/usr/bin/env bash
# Runs the write-up's cases plus VF TCP with rdma-bench in a cluster, from
# pods created by namespace.yaml, host-pair.yaml, pod-network-pair.yaml and
# vf-pair.yaml, and prints one summary table. Each case's full result is
# kept as <out>/<case>.json (schema rdma-bench/v1).
#   host-tcp     host network, kernel TCP           (host-pair)
#   host-roce    host network, RoCE verbs           (host-pair)
#   overlay-tcp  pod network (CNI overlay), TCP     (pod-network-pair)
#   vf-tcp       SR-IOV VF from an RdmaNetwork, TCP (vf-pair)
#   vf-roce      SR-IOV VF from an RdmaNetwork, RoCE verbs (vf-pair)
# Usage: run-cases.sh [-n namespace] [-o outdir] [-c case,...] [-H host-rdma-ip] [-- extra rdma-bench client flags]
#   -H: the server node's address on the RDMA NIC, if it is not the node's
#       Kubernetes InternalIP (host-roce needs an address on the RoCE port).
set -euo pipefail
ns=rdma-bench
out=rdma-bench-results
cases=host-tcp,host-roce,overlay-tcp,vf-tcp,vf-roce
host_rdma_ip=""
while getopts "n:o:c:H:h" opt; do
  case $opt in
    n) ns=$OPTARG ;;
    o) out=$OPTARG ;;
    c) cases=$OPTARG ;;
    H) host_rdma_ip=$OPTARG ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
extra=("$@")
mkdir -p "$out"

pod_ip() { kubectl -n "$ns" get pod "$1" -o jsonpath='{.status.podIP}'; }
# Address of the pod's secondary interface (net1) from Multus' network-status annotation.
vf_ip() {
  kubectl -n "$ns" get pod "$1" -o jsonpath='{.metadata.annotations.k8s\.v1\.cni\.cncf\.io/network-status}' |
    jq -r '[.[] | select(.interface == "net1")][0].ips[0] // empty'
}

run_case() {  # case client-pod server-address transport
  local name=$1 client=$2 addr=$3 transport=$4
  if [ -z "$addr" ]; then echo "$name: no server address found, skipped" >&2; return; fi
  echo "$name: $client -> $addr ($transport)" >&2
  if ! kubectl -n "$ns" exec "$client" -- rdma-bench client "$addr" --transport "$transport" \
       --sizes 64,4K,64K,1M --rr-sizes 64 --duration 3 --repeat 5 --json - --quiet "${extra[@]}" \
       >"$out/$name.json"; then
    echo "$name: failed (see above)" >&2
    rm -f "$out/$name.json"
  fi
}

IFS=, read -r -a selected <<<"$cases"
for c in "${selected[@]}"; do
  case $c in
    host-tcp) run_case host-tcp rdma-bench-host-client "$(pod_ip rdma-bench-host-server)" tcp ;;
    host-roce) run_case host-roce rdma-bench-host-client "${host_rdma_ip:-$(pod_ip rdma-bench-host-server)}" rdma ;;
    overlay-tcp) run_case overlay-tcp rdma-bench-pod-client "$(pod_ip rdma-bench-pod-server)" tcp ;;
    vf-tcp) run_case vf-tcp rdma-bench-vf-client "$(vf_ip rdma-bench-vf-server)" tcp ;;
    vf-roce) run_case vf-roce rdma-bench-vf-client "$(vf_ip rdma-bench-vf-server)" rdma ;;
    *) echo "unknown case $c" >&2; exit 2 ;;
  esac
done

printf '%-12s %12s %12s %10s %10s %12s %12s %14s %14s\n' case "64K Gbit/s" "1M Gbit/s" "RTT p50" "RTT p99" \
  "connect p50" "close p50" "cli ns/B @1M" "srv ns/B @1M"
for c in "${selected[@]}"; do
  f="$out/$c.json"
  [ -f "$f" ] || continue
  jq -r --arg c "$c" '
    def stream(s): [.results[] | select(.test == "stream" and .msg_size == s and .streams == 1)][0];
    def rr: [.results[] | select(.test == "rr")][0];
    def conn: [.results[] | select(.test == "connect")][0];
    [$c,
     ((stream(65536).goodput_bps.median // 0) / 1e9 * 100 | round / 100),
     ((stream(1048576).goodput_bps.median // 0) / 1e9 * 100 | round / 100),
     ((rr.rtt_us.p50 // 0) * 10 | round / 10), ((rr.rtt_us.p99 // 0) * 10 | round / 10),
     ((conn.connect_us.p50 // 0) | round), ((conn.close_us.p50 // 0) | round),
     ((stream(1048576).cpu.client_ns_per_byte // 0) * 1000 | round / 1000),
     ((stream(1048576).cpu.server_ns_per_byte // 0) * 1000 | round / 1000)] | @tsv' "$f" |
    awk -F'\t' '{printf "%-12s %12s %12s %10s %10s %12s %12s %14s %14s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9}'
done
echo "(RTT and connect/close in microseconds; full results in $out/)"
