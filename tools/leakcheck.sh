#!/usr/bin/env bash
# leakcheck.sh: every test (ctest: criterion C tests and Lua tests) and every notebook
# script under AddressSanitizer + LeakSanitizer + UBSan (the build-asan tree), or with
# --valgrind the Lua tests and scripts under valgrind's memcheck in the release tree.
# Passes only when nothing is lost: zero bytes, in dlt's code or in anything it calls
# (the single third-party exception is listed in tests/fuzz/lsan.supp).
#
#   tools/leakcheck.sh               # ASan/LSan/UBSan: all tests and all scripts
#   tools/leakcheck.sh --tests       # the tests only
#   tools/leakcheck.sh --scripts     # the scripts only
#   tools/leakcheck.sh --valgrind    # valgrind instead (slow: about 30x)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

do_tests=1
do_scripts=1
valgrind=0
for a in "$@"; do
  case "$a" in
    --tests) do_scripts=0 ;;
    --scripts) do_tests=0 ;;
    --valgrind) valgrind=1 ;;
    *) echo "usage: tools/leakcheck.sh [--tests|--scripts] [--valgrind]" >&2; exit 2 ;;
  esac
done
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -gt 2 ] && jobs=2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
shopt -s nullglob
scripts=(scripts/*.lua scripts/exercises/*.lua)

if [ "$valgrind" -eq 0 ]; then
  export ASAN_OPTIONS="detect_leaks=1:fast_unwind_on_malloc=0:allocator_may_return_null=1:abort_on_error=0"
  export LSAN_OPTIONS="suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  echo "leakcheck: building the ASan+UBSan tree (build-asan)"
  cmake -S . -B build-asan -DDLT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DDLT_BENCH=OFF >/dev/null
  cmake --build build-asan -j"$jobs" >/dev/null
  if [ "$do_tests" -eq 1 ]; then
    # a sanitizer report makes the process exit non-zero, so ctest's verdict covers it
    if ! ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 1800; then
      failed=1
    fi
  fi
  if [ "$do_scripts" -eq 1 ]; then
    for s in "${scripts[@]}"; do
      log="$work/$(basename "$s").log"
      mkdir -p "$work/fig"
      if DLT_FIGDIR="$work/fig" build-asan/dltlua "$s" >/dev/null 2>"$log"; then
        echo "leakcheck: $s clean"
      else
        failed=1
        echo "leakcheck: FAILED $s"
        grep -m1 -A30 -E 'ERROR: |runtime error|SUMMARY' "$log" || tail -n 30 "$log"
      fi
    done
  fi
else
  command -v valgrind >/dev/null || { echo "leakcheck: valgrind not installed" >&2; exit 2; }
  echo "leakcheck: building the release tree (build)"
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j"$jobs" >/dev/null
  # OpenBLAS keeps its thread buffers until exit: one thread keeps valgrind quiet and fast
  export OPENBLAS_NUM_THREADS=1
  vg=(valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
      --errors-for-leak-kinds=definite,indirect --suppressions="$root/tests/fuzz/valgrind.supp")
  targets=()
  [ "$do_tests" -eq 1 ] && targets+=(tests/lua/test_*.lua)
  [ "$do_scripts" -eq 1 ] && targets+=("${scripts[@]}")
  for s in "${targets[@]}"; do
    log="$work/$(basename "$s").log"
    mkdir -p "$work/fig"
    if DLT_FIGDIR="$work/fig" "${vg[@]}" build/dltlua "$s" >/dev/null 2>"$log"; then
      echo "leakcheck: $s clean"
    else
      failed=1
      echo "leakcheck: FAILED $s"
      grep -m1 -B2 -A30 -E 'definitely lost|Invalid|uninitialised|FAIL' "$log" || tail -n 30 "$log"
    fi
  done
fi

if [ "$failed" -ne 0 ]; then
  echo "leakcheck: FAILED"
  exit 1
fi
echo "leakcheck: no leaks, no sanitizer reports"
