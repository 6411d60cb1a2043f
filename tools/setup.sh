#!/usr/bin/env bash
# setup.sh: from a fresh Debian machine to a built dlt with every notebook figure regenerated.
# With --test it then runs every test (ctest: criterion C tests and Lua tests), in the
# release build and again under the sanitizers.
set -euo pipefail
cd "$(dirname "$0")/.."

run_tests=0
for a in "$@"; do
  case "$a" in
    --test) run_tests=1 ;;
    *) echo "usage: tools/setup.sh [--test]" >&2; exit 2 ;;
  esac
done

packages=(cmake make gcc pkg-config lua5.4 liblua5.4-dev libopenblas-dev
  libpng-dev zlib1g-dev libcairo2-dev libfreetype-dev libfontconfig-dev fonts-dejavu-core libcriterion-dev
  dataset-fashion-mnist libopenmpi-dev openmpi-bin libreadline-dev clang-format)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc 2>/dev/null || echo 2)
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDLT_WERROR=$werror >/dev/null
cmake --build build -j"$jobs"

# Every notebook script, exercise and gallery regenerates its figures: into figures/,
# and copies into docs/img/ for the pages under docs/.
export DLT_FIGDIR="${DLT_FIGDIR:-$PWD/figures}"
mkdir -p "$DLT_FIGDIR"
build/dltlua scripts/all.lua --docs
[ -f docs/gallery.lua ] && build/dltlua docs/gallery.lua
echo "setup: figures are in $DLT_FIGDIR"

if [ $run_tests -eq 1 ]; then
  ctest --test-dir build --output-on-failure -j"$jobs"
  # The same tests again in a debug build under AddressSanitizer, LeakSanitizer and
  # UBSan: any memory error, leak or undefined behaviour fails them.
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDLT_SANITIZE=ON -DDLT_BENCH=OFF \
    -DDLT_WERROR=$werror >/dev/null
  cmake --build build-asan -j"$jobs"
  ctest --test-dir build-asan --output-on-failure -j"$jobs"
fi
