#!/usr/bin/env bash
# The rdma-bench binary's contract without a peer, as a user sees it:
# bad flags print the usage and exit 2; asking for an RDMA transport on a host
# without an RDMA device exits non-zero naming what was looked for.
# Usage: cli_test.sh path/to/rdma-bench
set -u
bench=${1:?usage: cli_test.sh path/to/rdma-bench}
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

out=$("$bench" client 2>&1); rc=$?
[ "$rc" -eq 2 ] || fail "missing host: exit $rc, want 2"
grep -q "missing server address" <<<"$out" || fail "missing host: no reason given: $out"
grep -q "^usage:" <<<"$out" || fail "missing host: no usage printed"

out=$("$bench" client 127.0.0.1 --transport carrier-pigeon 2>&1); rc=$?
[ "$rc" -eq 2 ] || fail "bad transport: exit $rc, want 2"
grep -q -- '--transport "carrier-pigeon"' <<<"$out" || fail "bad transport: flag not named: $out"

out=$("$bench" --help 2>&1); rc=$?
[ "$rc" -eq 0 ] || fail "--help: exit $rc, want 0"

# This check is only meaningful where there is no RDMA device (CI, this
# sandbox). On a host with one, the client gets past the check and fails to
# reach a server instead, which is fine too.
if [ -z "$(ls -A /sys/class/infiniband 2>/dev/null)" ]; then
  for transport in rdma rsocket; do
    out=$(timeout 20 "$bench" client 127.0.0.1 --port 1 --transport "$transport" 2>&1); rc=$?
    [ "$rc" -ne 0 ] || fail "$transport without device: exit 0"
    [ "$rc" -ne 124 ] || fail "$transport without device: hung"
    grep -q "no RDMA device" <<<"$out" || fail "$transport without device: no explanation: $out"
    grep -q "ibv_get_device_list()" <<<"$out" || fail "$transport without device: does not name ibv_get_device_list: $out"
    grep -q "/sys/class/infiniband" <<<"$out" || fail "$transport without device: does not name /sys/class/infiniband: $out"
  done
fi

"$bench" schema | grep -q '"rdma-bench/v1"' || fail "schema: version missing"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all rdma-bench CLI checks passed"
