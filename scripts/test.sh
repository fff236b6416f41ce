#!/usr/bin/env bash
# The one set-up-and-test command: installs Debian packages, builds
# everything, runs every test (unit, integration, end-to-end and the
# Kubernetes API conformance suite against kube-testapi), then builds the
# unit tests again under ASan+UBSan and runs them, and finally runs each
# libFuzzer target briefly (scripts/fuzz.sh; FUZZ_SECONDS, default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

./scripts/install-deps.sh

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRDMA_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs" --target unit_tests
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -L unit --output-on-failure -j "$jobs"

./scripts/fuzz.sh "${FUZZ_SECONDS:-10}"
