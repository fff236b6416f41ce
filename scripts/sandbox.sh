#!/usr/bin/env bash
# The main job: a local sandbox cluster with the product running in it.
# Installs dependencies, builds, then runs — all inside a network namespace
# of its own (rdma-sandbox), so nothing touches the host's network:
#   - kube-testapi, the test API server (HTTPS; state kept in .sandbox/),
#     with crds/ applied;
#   - one simulated node, sandbox-node-1: a ConnectX-5 PF (sysfs-sim over
#     FUSE, VFs as veths, /dev/infiniband as real char devices, the fake
#     mstconfig), its Node object labelled rdma.dev/roce=true, its
#     sim-kubelet (runs the pods bound to it; a primary network from Debian's
#     bridge plugin), and rdma-agent for it, which is also its device plugin;
#   - rdma-operator.
# Then try the docs' RoCE policy (see the lines it prints). Ctrl-C stops
# everything; running the script again resumes with the same API objects,
# certificates, firmware state and agent journal (the node "reboots").
# Needs root and /dev/fuse.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
state=${SANDBOX_DIR:-$repo/.sandbox}
build=${SANDBOX_BUILD_DIR:-$repo/build}
ns=rdma-sandbox
port=${SANDBOX_PORT:-6443}

if [[ "${RDMA_SANDBOX_INSIDE:-}" != 1 ]]; then
  ./scripts/install-deps.sh
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j "$(nproc)" --target kube-testapi rdma-operator rdma-agent sysfs-sim mstconfig-sim sim-kubelet
  # A namespace left by a run that was killed still holds that run's veths.
  ip netns del "$ns" 2>/dev/null || true
  ip netns add "$ns"
  # On exit: the sandbox's namespace, and the pods' namespaces sim-kubelet
  # leaves behind as kubelet does (their veth peers died with the sandbox's).
  trap 'ip netns del "$ns" 2>/dev/null || true
        for p in $(ip netns list | awk '"'"'/^sandbox-node-[0-9]+-/ {print $1}'"'"'); do ip netns del "$p"; done' EXIT
  RDMA_SANDBOX_INSIDE=1 SANDBOX_DIR="$state" SANDBOX_BUILD_DIR="$build" ip netns exec "$ns" "$0" "$@"
  exit
fi

# Inside the namespace (and its own mount namespace, which every process
# below shares, so they all see the simulated node's mount).
ip link set lo up
bin=$build/bin
node=sandbox-node-1
mkdir -p "$state/$node"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

echo "sandbox: starting kube-testapi on https://127.0.0.1:$port (state in $state)"
coproc API { exec "$bin/kube-testapi" --listen "127.0.0.1:$port" --tls --data-dir "$state/apiserver" \
  --kubeconfig-out "$state/kubeconfig" 2>>"$state/kube-testapi.log"; }
pids+=("$API_PID")
read -r url <&"${API[0]}"  # printed once it listens and the kubeconfig is written
export KUBECONFIG=$state/kubeconfig
kubectl apply -f crds/ -f crds/third-party/ >/dev/null
# That apply cached the server's resources as they were before the CRDs;
# refresh the cache, or `kubectl get rdma` would not know the category yet.
kubectl api-resources >/dev/null
kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $node
  labels: {rdma.dev/roce: "true", kubernetes.io/hostname: $node}
EOF

echo "sandbox: starting the simulated node $node (one ConnectX-5 PF, 0000:41:00.0 ens1f0)"
cat >"$state/$node/node.json" <<'EOF'
{"pfs": [{"pci": "0000:41:00.0", "netdev": "ens1f0", "mac": "b8:ce:f6:00:41:00", "max_vfs": 16}]}
EOF
mkdir -p "$state/$node/fs" "$state/$node/dev" "$state/$node/cdi"
fusermount3 -u "$state/$node/fs" 2>/dev/null || true  # left by a run that was killed
"$bin/sysfs-sim" --config "$state/$node/node.json" --state "$state/$node/state" --mount "$state/$node/fs" \
  --dev-dir "$state/$node/dev" --foreground >"$state/$node/sysfs-sim.out" 2>>"$state/$node/sysfs-sim.log" &
pids+=($!)
# It prints "sysfs-sim: ready ..." once the file system is mounted.
for ((tries = 0; ; tries++)); do
  grep -q '^sysfs-sim: ready' "$state/$node/sysfs-sim.out" 2>/dev/null && break
  if ((tries >= 300)) || ! kill -0 "${pids[-1]}" 2>/dev/null; then
    echo "sandbox: the simulated node did not start; see $state/$node/sysfs-sim.log" >&2
    exit 1
  fi
  sleep 0.1
done

echo "sandbox: starting sim-kubelet and rdma-agent for $node, and rdma-operator (logs in $state/)"
# The kubelet first: it creates the device-plugins dir the agent serves in.
# It acts as a runtime with CDI on (containerd >= 1.7), so exclusive-mode
# VFs come as CDI devices; its checkpoint and pods survive a restart.
"$bin/sim-kubelet" --node-name "$node" --root "$state/$node/kubelet" --host-root "$state/$node/fs" \
  --cdi-dir "$state/$node/cdi" --pod-cidr 10.244.1.0/24 --bridge cni0 \
  >>"$state/$node/sim-kubelet.log" 2>&1 &
pids+=($!)
PATH=$bin/sim-path:$PATH MSTCONFIG_SIM_STATE=$state/$node/state "$bin/rdma-agent" \
  --node-name "$node" --host-root "$state/$node/fs" --journal-dir "$state/$node/journal" \
  --reboot-command "echo reboot > $state/$node/fs/sim/control" --health-address 127.0.0.1:8091 \
  --simulated-rdma-netns-mode "$state/$node/fs/sim/rdma_netns_mode" \
  --device-plugin-dir "$state/$node/kubelet/device-plugins" --cdi-dir "$state/$node/cdi" \
  >>"$state/$node/rdma-agent.log" 2>&1 &
pids+=($!)
"$bin/rdma-operator" --metrics-bind-address 127.0.0.1:8080 --health-probe-bind-address 127.0.0.1:8081 \
  >>"$state/rdma-operator.log" 2>&1 &
pids+=($!)

cat <<EOF
sandbox: ready at $url. In another shell (the sandbox has its own network namespace):
  k() { ip netns exec $ns kubectl --kubeconfig $state/kubeconfig "\$@"; }
  k apply -f docs/examples/roce-policy.yaml
  k get rdma                                   # policies, node states, networks
  k wait rnp/roce-cx5 --for=condition=Ready --timeout=60s   # the operator cordons, drains, grants the firmware
                                               # reboot (simulated), the agent verifies, the operator uncordons
  k get events.events.k8s.io --sort-by=.eventTime -o custom-columns=REASON:.reason,OBJECT:.regarding.name,NOTE:.note
  k get rnp roce-cx5 -o jsonpath='{.status.rollout}'; echo; k get rns $node -o yaml
  ip -n $ns -br link                           # the VFs, as netdevs
  k get rns $node -o jsonpath='{.status.rdmaNamespaceMode}'   # Exclusive: the simulated node holds the RDMA
                                               # netns mode (this kernel has no RDMA core)
  k get node $node -o jsonpath='{.status.allocatable}'; echo   # rdma.dev/roce: 1, from the agent's device plugin
  k apply -f docs/examples/pods/rdma-pod.yaml; k wait pod/rdma-test --for=condition=Ready --timeout=30s
  k get pod rdma-test -o yaml                  # Running, holding rdma.dev/roce: 1
  cat $state/$node/kubelet/pods/\$(k get pod rdma-test -o jsonpath='{.metadata.uid}')/rdma.json
                                               # what the container got: its VF's uverbs (CDI), rdma_cm, PCIDEVICE_RDMA_DEV_ROCE
Ctrl-C stops the sandbox.
EOF
wait "$API_PID"
