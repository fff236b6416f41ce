#!/usr/bin/env bash
# Side-by-side: rdma-bench's TCP figures next to the tools people already
# trust, measured in the same run, on loopback and across two network
# namespaces joined by a veth pair:
#   throughput, 1 stream, 128 KiB writes: rdma-bench stream | iperf3 | qperf tcp_bw
#   round-trip time, 64 B ping-pong:      rdma-bench rr     | sockperf --full-rtt | qperf tcp_lat x 2
# Tools alternate within each round, so background load hits them alike.
# Prints a Markdown table with the median (min..max) over the rounds and the
# ratios rdma-bench/iperf3 (target >= 0.95) and rdma-bench/sockperf RTT p50
# (target 0.90..1.10).
#
# Usage: bench/compare.sh [-b path/to/rdma-bench] [-t seconds] [-r rounds] [-o out.md]
# Needs root for the namespaces, and iperf3, sockperf, qperf, jq.
set -euo pipefail

bench=build/bin/rdma-bench
seconds=3
rounds=5
out=""
while getopts "b:t:r:o:h" opt; do
  case $opt in
    b) bench=$OPTARG ;;
    t) seconds=$OPTARG ;;
    r) rounds=$OPTARG ;;
    o) out=$OPTARG ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
  esac
done
bench=$(readlink -f "$bench")
for tool in iperf3 sockperf qperf jq ip; do
  command -v "$tool" >/dev/null || { echo "compare.sh: $tool not found (apt-get install $tool)"; exit 1; }
done
[ -x "$bench" ] || { echo "compare.sh: $bench is not executable (build rdma-bench first or pass -b)"; exit 1; }

tag="rbc$$"
ns_server="${tag}-srv"
ns_client="${tag}-cli"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  pids=()
  ip netns del "$ns_server" 2>/dev/null || true
  ip netns del "$ns_client" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap "exit 143" TERM INT

# in_server/in_client run a command on the right side of the current setup.
setup=""
in_server() { if [ "$setup" = netns ]; then ip netns exec "$ns_server" "$@"; else "$@"; fi; }
in_client() { if [ "$setup" = netns ]; then ip netns exec "$ns_client" "$@"; else "$@"; fi; }
# spawn_server starts a server in the background; the subshell execs, so $!
# is the server itself and stop_servers can end it by pid.
spawn_server() {
  if [ "$setup" = netns ]; then (exec ip netns exec "$ns_server" "$@") & else (exec "$@") & fi
  pids+=($!)
}

wait_listening() {  # port...: until every TCP port listens on the server side
  for port in "$@"; do
    for _ in $(seq 1 200); do
      in_server ss -Hltn "sport = :$port" | grep -q . && continue 2
      sleep 0.05  # polling for a listener; there is nothing to wait on instead
    done
    echo "compare.sh: nothing listens on port $port"; exit 1
  done
}

start_servers() {  # addr
  spawn_server "$bench" server --bind "$1" --port 18515 >"$work/rdma-bench-server.log" 2>&1
  spawn_server iperf3 -s -B "$1" -p 5201 >/dev/null 2>&1
  spawn_server sockperf server --tcp -i "$1" -p 11111 >/dev/null 2>&1
  spawn_server qperf --listen_port 19765 >/dev/null 2>&1
  wait_listening 18515 5201 11111 19765
}

stop_servers() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  pids=()
}

# qperf prints "bw = 16.9 Gb/sec" / "latency = 22.7 us"; convert to bit/s and us.
qperf_bw_bps() { awk '$1 == "bw" {v=$3; u=$4; m=1; if (u ~ /^Gb/) m=1e9; else if (u ~ /^Mb/) m=1e6; else if (u ~ /^Kb/) m=1e3; print v*m}'; }
qperf_lat_us() { awk '$1 == "latency" {v=$3; u=$4; m=1; if (u=="ms") m=1000; else if (u=="ns") m=0.001; else if (u=="sec") m=1e6; print v*m}'; }

measure_round() {  # addr: appends one value per tool to $work/<setup>-<metric>
  local addr=$1 v
  v=$(in_client iperf3 -c "$addr" -p 5201 -t "$seconds" -J | jq '.end.sum_received.bits_per_second')
  echo "$v" >>"$work/$setup-iperf3"
  in_client "$bench" client "$addr" --port 18515 --test stream --sizes 128K --streams 1 --repeat 1 \
    --duration "$seconds" --quiet --json "$work/rb.json"
  jq '.results[0].goodput_bps.median' "$work/rb.json" >>"$work/$setup-rb_bw"
  v=$(in_client qperf "$addr" --listen_port 19765 -t "$seconds" -m 128K -ub tcp_bw | qperf_bw_bps)
  echo "$v" >>"$work/$setup-qperf_bw"
  v=$(in_client sockperf ping-pong --tcp -i "$addr" -p 11111 -t "$seconds" -m 64 --full-rtt 2>&1 |
      awk '/percentile 50.000/ {print $NF}')
  echo "$v" >>"$work/$setup-sockperf"
  in_client "$bench" client "$addr" --port 18515 --test rr --rr-sizes 64 --duration "$seconds" \
    --warmup 1000 --quiet --json "$work/rb.json"
  jq '.results[0].rtt_us.p50' "$work/rb.json" >>"$work/$setup-rb_rtt"
  v=$(in_client qperf "$addr" --listen_port 19765 -t "$seconds" -m 64 tcp_lat | qperf_lat_us)
  awk -v v="$v" 'BEGIN {print 2 * v}' >>"$work/$setup-qperf_rtt"  # qperf reports RTT/2
}

stats() {  # file: "median min max" of the numbers in it
  sort -g "$1" | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; print m, a[1], a[NR]}'
}
median() { stats "$1" | awk '{print $1}'; }

for setup in loopback netns; do
  if [ "$setup" = netns ]; then
    ip netns add "$ns_server"; ip netns add "$ns_client"
    ip link add "${tag}a" type veth peer name "${tag}b"
    ip link set "${tag}a" netns "$ns_server"; ip link set "${tag}b" netns "$ns_client"
    ip -n "$ns_server" addr add 10.252.0.1/24 dev "${tag}a"; ip -n "$ns_client" addr add 10.252.0.2/24 dev "${tag}b"
    for ns in "$ns_server" "$ns_client"; do ip -n "$ns" link set lo up; done
    ip -n "$ns_server" link set "${tag}a" up; ip -n "$ns_client" link set "${tag}b" up
    addr=10.252.0.1
  else
    addr=127.0.0.1
  fi
  start_servers "$addr"
  for r in $(seq 1 "$rounds"); do
    echo "compare.sh: $setup round $r/$rounds" >&2
    measure_round "$addr"
  done
  stop_servers
done

{
  echo "Measured $(date -u +%Y-%m-%dT%H:%MZ) on $(hostname) ($(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r));"
  echo "$rounds rounds of ${seconds} s per tool, tools interleaved; median (min..max) over rounds."
  echo
  echo "| setup | rdma-bench stream | iperf3 | qperf tcp_bw | rdma-bench/iperf3 | rdma-bench/qperf |"
  echo "|---|---|---|---|---|---|"
  for setup in loopback netns; do
    read -r rb rb_lo rb_hi < <(stats "$work/$setup-rb_bw")
    read -r ip ip_lo ip_hi < <(stats "$work/$setup-iperf3")
    read -r qp qp_lo qp_hi < <(stats "$work/$setup-qperf_bw")
    awk -v s="$setup" -v rb="$rb" -v rl="$rb_lo" -v rh="$rb_hi" -v ip="$ip" -v il="$ip_lo" -v ih="$ip_hi" \
        -v qp="$qp" -v ql="$qp_lo" -v qh="$qp_hi" 'BEGIN {
      printf "| %s | %.2f (%.2f..%.2f) Gbit/s | %.2f (%.2f..%.2f) Gbit/s | %.2f (%.2f..%.2f) Gbit/s | %.3f | %.3f |\n",
        s, rb/1e9, rl/1e9, rh/1e9, ip/1e9, il/1e9, ih/1e9, qp/1e9, ql/1e9, qh/1e9, rb/ip, rb/qp }'
  done
  echo
  echo "| setup | rdma-bench RTT p50 | sockperf RTT p50 | qperf tcp_lat x 2 | rdma-bench/sockperf | rdma-bench/qperf |"
  echo "|---|---|---|---|---|---|"
  for setup in loopback netns; do
    read -r rb rb_lo rb_hi < <(stats "$work/$setup-rb_rtt")
    read -r sp sp_lo sp_hi < <(stats "$work/$setup-sockperf")
    read -r qp qp_lo qp_hi < <(stats "$work/$setup-qperf_rtt")
    awk -v s="$setup" -v rb="$rb" -v rl="$rb_lo" -v rh="$rb_hi" -v sp="$sp" -v sl="$sp_lo" -v sh="$sp_hi" \
        -v qp="$qp" -v ql="$qp_lo" -v qh="$qp_hi" 'BEGIN {
      printf "| %s | %.1f (%.1f..%.1f) us | %.1f (%.1f..%.1f) us | %.1f (%.1f..%.1f) us | %.3f | %.3f |\n",
        s, rb, rl, rh, sp, sl, sh, qp, ql, qh, rb/sp, rb/qp }'
  done
  echo
  for setup in loopback netns; do
    awk -v s="$setup" -v bw="$(median "$work/$setup-rb_bw")" -v ip="$(median "$work/$setup-iperf3")" \
        -v rtt="$(median "$work/$setup-rb_rtt")" -v sp="$(median "$work/$setup-sockperf")" 'BEGIN {
      t1 = bw / ip >= 0.95 ? "met" : "MISSED"; r = rtt / sp; t2 = (r >= 0.9 && r <= 1.1) ? "met" : "MISSED";
      printf "- %s: throughput target (>= 95 %% of iperf3) %s at %.1f %%; RTT target (p50 within 10 %% of sockperf) %s at %+.1f %%\n",
        s, t1, 100 * bw / ip, t2, 100 * (r - 1) }'
  done
} | tee "${out:-/dev/null}"
