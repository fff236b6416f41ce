#!/usr/bin/env bash
# Builds the rdma-operator and rdma-agent container images here, without a
# registry and without a container daemon: a root filesystem from Debian
# bookworm packages (mmdebstrap), our binaries from build/bin/, turned into
# an OCI image layout with umoci. The result loads into podman or containerd:
#
#   scripts/build-images.sh [OUT_DIR]           # default: build/images
#   podman load -i build/images/rdma-operator.oci.tar
#   ctr -n k8s.io images import build/images/rdma-operator.oci.tar
#
# Needs root (mmdebstrap, umoci unpacked file owners), mmdebstrap, umoci and
# the Debian mirror in /etc/apt/sources.list*. images/*.Containerfile are
# the same images for a CI that has a container builder.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/images}
bin=$root/build/bin
tag=${IMAGE_TAG:-0.1.0}
for b in rdma-operator rdma-agent rdma-cni; do
  [ -x "$bin/$b" ] || { echo "build-images: $bin/$b missing; build it first (cmake --build build --target $b)" >&2; exit 1; }
done
for t in mmdebstrap umoci jq; do
  command -v $t >/dev/null || { echo "build-images: $t missing (scripts/install-deps.sh)" >&2; exit 1; }
done
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The shared libraries both binaries link (ldd build/bin/rdma-*).
runtime_libs=libboost-program-options1.74.0,libspdlog1.10,libfmt9,libssl3,libyaml-cpp0.7,libstdc++6

# oci_image NAME ROOTFS ENTRYPOINT USER
oci_image() {
  local name=$1 rootfs=$2 entrypoint=$3 user=$4 layout=$work/$1-layout
  umoci init --layout "$layout"
  umoci new --image "$layout:$tag"
  umoci insert --image "$layout:$tag" "$rootfs" /
  umoci config --image "$layout:$tag" --config.entrypoint "$entrypoint" --config.user "$user" \
    --config.workingdir / --os linux --architecture amd64 \
    --config.label "org.opencontainers.image.title=$name" \
    --config.label "org.opencontainers.image.version=$tag" \
    --config.label "org.opencontainers.image.source=charts/rdma-operator"
  umoci gc --layout "$layout"
  # The full name podman load and ctr import give the image (both read the
  # index's annotations); umoci's own tag is just the version.
  jq --arg ref "localhost/$name:$tag" \
    '.manifests[0].annotations["org.opencontainers.image.ref.name"] = $ref
     | .manifests[0].annotations["io.containerd.image.name"] = $ref' \
    "$layout/index.json" > "$work/index.json"
  mv "$work/index.json" "$layout/index.json"
  tar -C "$layout" -cf "$out/$name.oci.tar" .
  echo "build-images: $out/$name.oci.tar ($(du -sh "$out/$name.oci.tar" | cut -f1), rootfs $(du -sh "$rootfs" | cut -f1))"
}

strip_rootfs() {  # docs, man pages, locales, apt lists: not needed at run time
  rm -rf "$1"/usr/share/doc/* "$1"/usr/share/man/* "$1"/usr/share/info/* "$1"/usr/share/locale/* \
    "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*
}

# Operator: only the libraries (no shell, no package manager), non-root.
mmdebstrap --quiet --variant=extract --include="$runtime_libs,libc6,libgcc-s1,zlib1g" \
  --dpkgopt='path-exclude=/usr/share/doc/*' bookworm "$work/operator-root"
strip_rootfs "$work/operator-root"
install -D -s -m 0755 "$bin/rdma-operator" "$work/operator-root/usr/local/bin/rdma-operator"
mkdir -p "$work/operator-root/etc" "$work/operator-root/tmp"
chmod 1777 "$work/operator-root/tmp"
echo "nonroot:x:65532:65532:nonroot:/nonexistent:/usr/sbin/nologin" > "$work/operator-root/etc/passwd"
echo "nonroot:x:65532:" > "$work/operator-root/etc/group"
oci_image rdma-operator "$work/operator-root" /usr/local/bin/rdma-operator 65532:65532

# Agent: a minimal Debian (sh for --reboot-command), mstflint for mstconfig.
# /opt/rdma/cni/rdma-cni: the CNI shim (static) the agent installs into the
# host's /opt/cni/bin (--cni-shim, the chart sets it).
# gRPC and protobuf: the kubelet device plugin API.
mmdebstrap --quiet --variant=essential --include="$runtime_libs,libgrpc++1.51,libprotobuf32,mstflint" \
  --dpkgopt='path-exclude=/usr/share/doc/*' bookworm "$work/agent-root"
strip_rootfs "$work/agent-root"
install -D -s -m 0755 "$bin/rdma-agent" "$work/agent-root/usr/local/bin/rdma-agent"
install -D -s -m 0755 "$bin/rdma-cni" "$work/agent-root/opt/rdma/cni/rdma-cni"
oci_image rdma-agent "$work/agent-root" /usr/local/bin/rdma-agent 0:0
