#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang under ASan+UBSan and runs
# each for a bounded time, starting from its seed corpus (fuzz/corpus/<target>,
# which also holds every input that once crashed, as a regression). Prints one
# line per target with the executions run; exits non-zero on the first crash,
# leaking input or timeout, naming the input file libFuzzer wrote.
#
#   ./scripts/fuzz.sh            # 20 s per target (the form CI runs)
#   ./scripts/fuzz.sh 600        # the long form: 10 minutes per target
#   ./scripts/fuzz.sh 60 kubeconfig_fuzz   # one target
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
build=build-fuzz

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DRDMA_SANITIZE=ON -DRDMA_FUZZ=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target fuzz_targets

targets=("$@")
if ((${#targets[@]} == 0)); then
  for dir in fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for t in "${targets[@]}"; do
  mkdir -p "$out/$t/corpus" "$out/$t/artifacts"
  # New inputs go to the scratch corpus (first directory); the seeds stay as they are.
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$out/$t/artifacts/" "$out/$t/corpus" "fuzz/corpus/$t" >"$out/$t/log" 2>&1; then
    tail -n 60 "$out/$t/log" >&2
    for a in "$out/$t/artifacts/"*; do
      [ -e "$a" ] || continue
      mkdir -p fuzz/found
      cp "$a" "fuzz/found/$t-$(basename "$a")"
      echo "fuzz: $t failed on input fuzz/found/$t-$(basename "$a") (add it to fuzz/corpus/$t once fixed)" >&2
    done
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t/log")
  cov=$(grep -o 'cov: [0-9]*' "$out/$t/log" | tail -n1 | cut -d' ' -f2)
  new=$(find "$out/$t/corpus" -type f | wc -l)
  echo "fuzz: $t: ${runs:-?} executions in ${seconds}s, ${cov:-?} coverage points, $new new inputs, no crash"
done
