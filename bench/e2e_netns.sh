#!/usr/bin/env bash
# End-to-end: a short rdma-bench TCP run between two network namespaces
# joined by a veth pair, server in one, client in the other. Checks the
# client's JSON against the schema and that every test produced figures.
# Needs root (ip netns) and python3. Namespaces and links are named after this process so
# parallel runs do not collide, and are removed however the script ends.
# Usage: e2e_netns.sh path/to/rdma-bench
set -euo pipefail
bench=${1:?usage: e2e_netns.sh path/to/rdma-bench}
bench=$(readlink -f "$bench")

tag="rb$$"
ns_server="${tag}-srv"
ns_client="${tag}-cli"
work=$(mktemp -d)
server_pid=""

cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  ip netns del "$ns_server" 2>/dev/null || true
  ip netns del "$ns_client" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap "exit 143" TERM INT  # run cleanup on ctest timeouts too

ip netns add "$ns_server"
ip netns add "$ns_client"
ip link add "${tag}a" type veth peer name "${tag}b"
ip link set "${tag}a" netns "$ns_server"
ip link set "${tag}b" netns "$ns_client"
ip -n "$ns_server" addr add 10.251.0.1/24 dev "${tag}a"
ip -n "$ns_client" addr add 10.251.0.2/24 dev "${tag}b"
for ns in "$ns_server" "$ns_client"; do ip -n "$ns" link set lo up; done
ip -n "$ns_server" link set "${tag}a" up
ip -n "$ns_client" link set "${tag}b" up

# The server says "listening" once its port is bound; read that line from a
# FIFO instead of guessing how long start-up takes.
mkfifo "$work/server.fifo"
ip netns exec "$ns_server" "$bench" server --bind 10.251.0.1 --port 18515 --once --timeout 10 \
  >"$work/server.fifo" 2>&1 &
server_pid=$!
exec 3<"$work/server.fifo"
read -r -t 30 first_line <&3 || { echo "server did not start"; exit 1; }
grep -q "listening" <<<"$first_line" || { echo "server: $first_line"; exit 1; }

if ! ip netns exec "$ns_client" "$bench" client 10.251.0.1 --port 18515 --timeout 10 \
     --sizes 64,64K --streams 1,2 --duration 0.2 --repeat 2 --rr-sizes 1,1K --warmup 100 \
     --connections 20 --parallel-clients 2 --json "$work/result.json" --csv "$work/result.csv" \
     --svg "$work/fig" >"$work/client.log" 2>&1; then
  echo "client failed:"; cat "$work/client.log"
  echo "server:"; timeout 2 cat <&3 || true
  exit 1
fi
wait "$server_pid"  # --once: the server exits after the session, 0 if it went well
server_pid=""

"$bench" validate "$work/result.json"
python3 - "$work/result.json" <<'PY' || { echo "result.json lacks expected figures:"; cat "$work/result.json"; exit 1; }
import json, sys
doc = json.load(open(sys.argv[1]))
results = doc["results"]
stream = [r for r in results if r["test"] == "stream"]
rr = [r for r in results if r["test"] == "rr"]
connect = [r for r in results if r["test"] == "connect"]
assert doc["run"]["transport"] == "tcp" and doc["run"]["server_address"] == "10.251.0.1", doc["run"]
assert len(stream) == 4 and all(r["goodput_bps"]["median"] > 0 and len(r["goodput_bps"]["samples"]) == 2 for r in stream)
assert len(rr) == 2 and all(0 < r["rtt_us"]["p50"] <= r["rtt_us"]["p99"] <= r["rtt_us"]["max"] for r in rr)
assert len(connect) == 1 and connect[0]["connect_us"]["count"] == 40 and connect[0]["close_us"]["count"] == 40
PY
[ "$(wc -l <"$work/result.csv")" -eq 8 ] || { echo "result.csv: want header + 7 rows"; cat "$work/result.csv"; exit 1; }
grep -q "</svg>" "$work/fig-throughput.svg"
grep -q "</svg>" "$work/fig-latency-cdf.svg"
grep -q "round-trip time (RTT)" "$work/client.log"
echo "e2e: rdma-bench tcp between namespaces OK"
