#!/bin/bash
# compare_builds.sh: the notebook, training-step and plot benchmarks of two builds side
# by side in one run, taking turns so that the machine's load weighs on both alike.
# Usage: bench/compare_builds.sh OLD_DLTLUA NEW_DLTLUA [ROUNDS]   (default 5 rounds)
# Per build it keeps the best round of each:
#   notebook    the six section scripts, one process each, summed: wall time and CPU
#               time (user + system, steadier on a shared machine). Each build runs the
#               scripts of the tree it was built from (CMakeCache.txt beside the binary
#               names it), as the scripts follow their own build's API.
#   train step  bench_train_step.lua's dlt times on 1 and on 2 threads (PyTorch's twin
#               not run). Builds before 28dc038 ("one thread set means one thread")
#               split GEMMs over two threads even when one was set: compare those on 2.
#   plot        one process drawing the Rosenbrock figure to a PNG: wall and CPU time
#   start-up    `dltlua -e ''` (for dlt's dltlua, `require "dlt"`): the best of 10 runs
# Figures go to a directory made by mktemp -d, so TMPDIR chooses the file system: on a
# disk each figure costs the builds' fsync (the new one syncs before its rename, the
# old one did not); TMPDIR=/dev/shm (tmpfs, where fsync returns at once) leaves only
# the work of drawing and encoding. The table's first line says which it was.
# The training-step and plot drivers are this tree's, the same workload for both.
# Any run that fails stops the comparison (a failed run would look fast).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ $# -ge 2 ] || { echo "usage: bench/compare_builds.sh OLD_DLTLUA NEW_DLTLUA [ROUNDS]" >&2; exit 2; }
old=$(realpath "$1") new=$(realpath "$2") rounds=${3:-5}
sections="optimizers learning_rate regularization normalization initialization pipeline"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# the source tree a dltlua was built from
source_of() {
  local cache
  cache=$(dirname "$1")/CMakeCache.txt
  [ -f "$cache" ] || { echo "compare_builds: no $cache beside $1" >&2; exit 2; }
  sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$cache"
}
old_src=$(source_of "$old") new_src=$(source_of "$new")

# "wall cpu" in microseconds of one command run in directory $1, its output dropped
TIMEFORMAT='%3R %3U %3S'
timed_us() {
  local dir=$1 t
  shift
  if ! t=$( { time (cd "$dir" && "$@" > /dev/null 2>&1); } 2>&1); then
    echo "compare_builds: failed in $dir: $*" >&2
    exit 1
  fi
  awk -v t="$t" 'BEGIN { split(t, a, " "); printf "%d %d\n", a[1] * 1e6, (a[2] + a[3]) * 1e6 }'
}
notebook_us() {
  local s t w c wall=0 cpu=0
  for s in $sections; do
    t=$(DLT_FIGDIR="$tmp/fig" timed_us "$2" "$1" "scripts/$s.lua")
    read -r w c <<< "$t"
    wall=$((wall + w)) cpu=$((cpu + c))
  done
  echo "$wall $cpu"
}
plot_us() { timed_us "$root" "$1" bench/bench_plot.lua --figure "$tmp/rosenbrock.png"; }
# the best wall time in microseconds of 10 starts of $1 doing nothing
startup_us() {
  local i t w c b=
  for i in $(seq 10); do
    t=$(timed_us "$root" "$1" -e '')
    read -r w c <<< "$t"
    b=$(min "$b" "$w")
  done
  echo "$b"
}
# "a b": the dlt time per step in us of (a) the notebook net and (b) the MLP, on $2 threads
train_step() {
  local out
  out=$("$1" bench/bench_train_step.lua "$2" /nonexistent/python 2>&1) ||
    { echo "compare_builds: bench_train_step.lua failed with $1" >&2; exit 1; }
  awk '/notebook net/ { for (i = 1; i <= NF; i++) if ($i == "dlt") a = $(i + 1) }
       /MLP 784/ { for (i = 1; i <= NF; i++) if ($i == "dlt") b = $(i + 1) }
       END { print a + 0, b + 0 }' <<< "$out"
}
min() { if [ -z "$1" ] || awk "BEGIN { exit !($2 < $1) }"; then echo "$2"; else echo "$1"; fi; }

declare -A best
for r in $(seq "$rounds"); do
  for which in old new; do
    exe=${!which}
    src_var=${which}_src
    t=$(notebook_us "$exe" "${!src_var}")
    read -r w c <<< "$t"
    best[$which.nbw]=$(min "${best[$which.nbw]:-}" "$w")
    best[$which.nbc]=$(min "${best[$which.nbc]:-}" "$c")
    t=$(plot_us "$exe")
    read -r w c <<< "$t"
    best[$which.pw]=$(min "${best[$which.pw]:-}" "$w")
    best[$which.pc]=$(min "${best[$which.pc]:-}" "$c")
    best[$which.su]=$(min "${best[$which.su]:-}" "$(startup_us "$exe")")
    for th in 1 2; do
      t=$(train_step "$exe" $th)
      read -r a b <<< "$t"
      best[$which.a$th]=$(min "${best[$which.a$th]:-}" "$a")
      best[$which.b$th]=$(min "${best[$which.b$th]:-}" "$b")
    done
  done
  echo "round $r of $rounds done" >&2
done

ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
ms() { awk "BEGIN { printf \"%.1f ms\", $1 / 1000 }"; }
row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4"; }
echo "figures written to $(df --output=fstype "$tmp" | tail -1) ($tmp)"
printf '| best of %d rounds | old | new | new / old |\n|---|---|---|---|\n' "$rounds"
row "notebook, six scripts, wall" "$(ms "${best[old.nbw]}")" "$(ms "${best[new.nbw]}")" "$(ratio "${best[new.nbw]}" "${best[old.nbw]}")"
row "notebook, six scripts, CPU" "$(ms "${best[old.nbc]}")" "$(ms "${best[new.nbc]}")" "$(ratio "${best[new.nbc]}" "${best[old.nbc]}")"
for th in 1 2; do
  row "training step (a), notebook net, batch 32, $th thread(s)" "${best[old.a$th]} us" "${best[new.a$th]} us" "$(ratio "${best[new.a$th]}" "${best[old.a$th]}")"
  row "training step (b), MLP 784-512-256-10, batch 128, $th thread(s)" "${best[old.b$th]} us" "${best[new.b$th]} us" "$(ratio "${best[new.b$th]}" "${best[old.b$th]}")"
done
row "plot, Rosenbrock figure process, wall" "$(ms "${best[old.pw]}")" "$(ms "${best[new.pw]}")" "$(ratio "${best[new.pw]}" "${best[old.pw]}")"
row "plot, Rosenbrock figure process, CPU" "$(ms "${best[old.pc]}")" "$(ms "${best[new.pc]}")" "$(ratio "${best[new.pc]}" "${best[old.pc]}")"
row "start-up, dltlua -e '', wall (best of 10 a round)" "$(ms "${best[old.su]}")" "$(ms "${best[new.su]}")" "$(ratio "${best[new.su]}" "${best[old.su]}")"
