#!/usr/bin/env bash
# fuzz.sh: the long reliability round. Builds the ASan+UBSan tree (build-asan), runs the
# Lua API fuzzer (tests/fuzz/fuzz_api.lua) for several seeds there and in the release
# tree (build), then, when clang is installed, builds the libFuzzer targets of the file
# readers (build-fuzz) and runs each from its committed seed corpus. Any sanitizer
# report, crash or hang fails the round.
#
#   tools/fuzz.sh                          # seeds 1-20 x 50000 calls, 120 s per file reader
#   tools/fuzz.sh --seeds 8 --calls 500 --time 10   # a quick round
#   tools/fuzz.sh --seed-base 100          # other seeds (seed-base+1 .. seed-base+seeds)
#   tools/fuzz.sh --no-libfuzzer           # the Lua fuzzer only
#   tools/fuzz.sh --no-release             # without the release build's round
# Each seed also runs in the release build (build/, what users run) under ulimit -v 4 GB:
# there huge allocations are attempted for real (ASan's cap refuses them before
# dlt_malloc sees them), and -O2 code takes paths the Debug build does not.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seeds=20
seed_base=0
calls=50000
fuzz_time=120
libfuzzer=1
release=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds=$2; shift 2 ;;
    --seed-base) seed_base=$2; shift 2 ;;
    --calls) calls=$2; shift 2 ;;
    --time) fuzz_time=$2; shift 2 ;;
    --no-libfuzzer) libfuzzer=0; shift ;;
    --no-release) release=0; shift ;;
    *) echo "usage: tools/fuzz.sh [--seeds N] [--seed-base B] [--calls N] [--time S] [--no-libfuzzer] [--no-release]" >&2; exit 2 ;;
  esac
done
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -gt 2 ] && jobs=2

# allocator_may_return_null: a refused huge allocation must reach dlt_malloc's error path
# (ASan would otherwise abort); max_allocation_size_mb plays the role of `ulimit -v`,
# which ASan's shadow memory cannot live with. fast_unwind_on_malloc=0 lets the
# suppressions see through system libraries built without frame pointers.
export ASAN_OPTIONS="allocator_may_return_null=1:max_allocation_size_mb=1024:hard_rss_limit_mb=6000:detect_leaks=1:fast_unwind_on_malloc=0:abort_on_error=0"
export LSAN_OPTIONS="suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

echo "fuzz: building the ASan+UBSan tree (build-asan)"
cmake -S . -B build-asan -DDLT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DDLT_BENCH=OFF >/dev/null
cmake --build build-asan -j"$jobs" --target dltlua >/dev/null

work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
failed=0

# run_seeds TREE VMEM: the API fuzzer for each seed in TREE/dltlua, under ulimit -v VMEM
# (kB, or unlimited); a failure prints the last call and the report, and keeps the log
# and trace in TREE/fuzz-failures/
run_seeds() {
  local tree=$1 vmem=$2 i s dir log
  for ((i = 1; i <= seeds; i++)); do
    s=$((seed_base + i))
    dir="$work/$tree-$s"
    mkdir -p "$dir/figures"
    log="$dir/log.txt"
    if (cd "$dir" && ulimit -v "$vmem" && DLT_FIGDIR="$dir/figures" DLT_FUZZ_TRACE="$dir/trace.txt" \
        timeout 1800 "$root/$tree/dltlua" "$root/tests/fuzz/fuzz_api.lua" "$s" "$calls" 2 >/dev/null 2>"$log"); then
      tail -n 1 "$log" | sed "s/^/$tree: /"
    else
      failed=1
      echo "fuzz: FAILED seed $s in $tree; the last call was:"
      grep -v '^  ->' "$dir/trace.txt" | tail -n 1
      grep -m1 -A25 -E 'ERROR: |runtime error|SUMMARY' "$log" || tail -n 30 "$log"
      mkdir -p "$root/$tree/fuzz-failures"
      cp "$log" "$root/$tree/fuzz-failures/api_seed$s.log"
      cp "$dir/trace.txt" "$root/$tree/fuzz-failures/api_seed$s.trace"
      echo "fuzz: reproduce with: cd \$(mktemp -d) && (ulimit -v $vmem; $root/$tree/dltlua $root/tests/fuzz/fuzz_api.lua $s $calls)"
    fi
  done
}

run_seeds build-asan unlimited

if [ "$release" -eq 1 ]; then
  echo "fuzz: building the release tree (build) and running the same seeds there, ulimit -v 4 GB"
  cmake -S . -B build >/dev/null
  cmake --build build -j"$jobs" --target dltlua >/dev/null
  run_seeds build 4000000
fi

if [ "$libfuzzer" -eq 1 ] && ! command -v clang >/dev/null && [ "$(id -u)" -eq 0 ]; then
  echo "fuzz: installing clang and its fuzzer runtime for the libFuzzer targets"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libclang-rt-14-dev >/dev/null || true
fi
if [ "$libfuzzer" -eq 1 ]; then
  if command -v clang >/dev/null; then
    echo "fuzz: building the libFuzzer targets (build-fuzz, clang)"
    CC=clang cmake -S . -B build-fuzz -DDLT_FUZZ=ON -DDLT_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build-fuzz -j"$jobs" --target fuzz_safetensors fuzz_npy fuzz_csv >/dev/null
    for fmt in safetensors npy csv; do
      corpus="$work/corpus_$fmt"
      mkdir -p "$corpus"
      echo "fuzz: fuzz_$fmt for ${fuzz_time}s"
      if ! (cd "$work" && "$root/build-fuzz/tests/fuzz/fuzz_$fmt" -max_total_time="$fuzz_time" -max_len=65536 \
          -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 "$corpus" "$root/tests/fuzz/corpus_$fmt" \
          >"$work/fuzz_$fmt.log" 2>&1); then
        failed=1
        echo "fuzz: FAILED fuzz_$fmt"
        grep -m1 -A25 -E 'ERROR: |runtime error|deadly signal|timeout' "$work/fuzz_$fmt.log" || tail -n 30 "$work/fuzz_$fmt.log"
        mkdir -p "$root/build-fuzz/fuzz-failures"
        cp "$work"/crash-* "$work"/timeout-* "$work"/leak-* "$work"/oom-* "$root/build-fuzz/fuzz-failures/" 2>/dev/null || true
        echo "fuzz: the failing input is in build-fuzz/fuzz-failures/"
      else
        grep -E '^#[0-9]+.*DONE' "$work/fuzz_$fmt.log" | tail -n 1 || true
      fi
    done
  else
    echo "fuzz: clang not found, skipping the libFuzzer targets (apt-get install clang)"
  fi
fi

if [ "$failed" -ne 0 ]; then
  echo "fuzz: FAILED"
  exit 1
fi
echo "fuzz: all clean"
