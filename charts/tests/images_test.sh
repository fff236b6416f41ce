#!/usr/bin/env bash
# Builds both images with scripts/build-images.sh (about a minute: mmdebstrap
# downloads from the Debian mirror) and runs each binary from its image's
# root filesystem (umoci unpack + chroot; the operator as its non-root
# user). Exit 77 (skip) when not root or without mmdebstrap/umoci.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "skipped: needs root"; exit 77; }
for t in mmdebstrap umoci jq; do command -v $t >/dev/null || { echo "skipped: no $t"; exit 77; }; done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$root/scripts/build-images.sh" "$work/out"
passed=0 failed=0
for name in rdma-operator rdma-agent; do
  mkdir -p "$work/$name"
  tar -xf "$work/out/$name.oci.tar" -C "$work/$name"
  # The archive's index names the image localhost/NAME:TAG (for podman and
  # ctr); umoci finds it by a plain tag.
  jq '.manifests[0].annotations["org.opencontainers.image.ref.name"] = "test"' "$work/$name/index.json" \
    > "$work/index.json" && mv "$work/index.json" "$work/$name/index.json"
  umoci unpack --image "$work/$name:test" "$work/$name-bundle" >/dev/null
  user=$(jq -r .process.user.uid "$work/$name-bundle/config.json"):$(jq -r .process.user.gid "$work/$name-bundle/config.json")
  if chroot --userspec="$user" "$work/$name-bundle/rootfs" "/usr/local/bin/$name" --help | grep -q "^$name:"; then
    passed=$((passed + 1)); echo "ok: $name --help runs from its image as $user"
  else
    failed=$((failed + 1)); echo "FAIL: $name --help from its image"
  fi
done
[ "$(jq -r .process.user.uid "$work/rdma-operator-bundle/config.json")" != 0 ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the operator image runs as root"; }
chroot "$work/rdma-agent-bundle/rootfs" mstconfig -v >/dev/null && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: no mstconfig in the agent image"; }
# The shim runs on the host, whatever its distribution: static, and it
# answers VERSION from the image as it is.
shim=$work/rdma-agent-bundle/rootfs/opt/rdma/cni/rdma-cni
if [ -x "$shim" ] && ! ldd "$shim" >/dev/null 2>&1 &&
   echo '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION "$shim" | grep -q supportedVersions; then
  passed=$((passed + 1)); echo "ok: the agent image's rdma-cni is static and answers VERSION"
else
  failed=$((failed + 1)); echo "FAIL: no static rdma-cni answering VERSION in the agent image"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
