#!/bin/bash
# dist_scaling.sh: bench_dist_scaling.lua on 1 single-threaded process and on 2 under
# mpirun, taking turns ROUNDS times (so that the machine's moods weigh on both alike),
# and the best samples/s of each with the ratio 2 processes / 1.
# Usage: bench/dist_scaling.sh [DLTLUA=build/dltlua] [ROUNDS=3]
set -eu
cd "$(dirname "$0")/.."
exe=${1:-build/dltlua} rounds=${2:-3}
mpirun=(mpirun --bind-to core -np 2)
[ "$(id -u)" = 0 ] && mpirun+=(--allow-run-as-root)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
export OPENBLAS_NUM_THREADS=1
for r in $(seq "$rounds"); do
  taskset -c 0 "$exe" bench/bench_dist_scaling.lua >> "$out"
  "${mpirun[@]}" -x OPENBLAS_NUM_THREADS "$exe" bench/bench_dist_scaling.lua >> "$out"
done
# lines: "<case> per process, <n> process(es): <rate> samples/s ..."
awk -F'per process, ' '
  { split($2, a, " "); n = a[1]; match($2, /: +[0-9]+ samples/); rate = substr($2, RSTART + 2, RLENGTH - 10) + 0
    key = $1 SUBSEP n; if (rate > best[key]) best[key] = rate; cases[$1] = 1; seen[$1, n] = 1 }
  END { for (c in cases) printf "%-31s 1 process %8.0f, 2 processes %8.0f samples/s (best of each): %.2fx\n",
          c, best[c, 1], best[c, 2], best[c, 2] / best[c, 1] }' "$out" | sort
