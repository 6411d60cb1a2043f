#!/bin/bash
# dist_scaling.sh: bench_dist_scaling.lua on 1 single-threaded process and on 2 under
# mpirun, taking turns ROUNDS times (so that the machine's moods weigh on both alike),
# and the best samples/s of each with the ratio 2 processes / 1. Each round also runs
# two independent single processes at once, one per core, with no MPI and nothing
# shared: their summed samples/s over the lone process's is what this machine allows
# two processes at all (the ceiling DDP's ratio is to be read against).
# Usage: bench/dist_scaling.sh [DLTLUA=build/dltlua] [ROUNDS=3]
set -eu
cd "$(dirname "$0")/.."
exe=${1:-build/dltlua} rounds=${2:-3}
mpirun=(mpirun --bind-to core -np 2)
[ "$(id -u)" = 0 ] && mpirun+=(--allow-run-as-root)
out=$(mktemp) a=$(mktemp) b=$(mktemp)
trap 'rm -f "$out" "$a" "$b"' EXIT
export OPENBLAS_NUM_THREADS=1
# lines: "<case> per process, <n> process(es): <rate> samples/s ..."
for r in $(seq "$rounds"); do
  taskset -c 0 "$exe" bench/bench_dist_scaling.lua >> "$out"
  "${mpirun[@]}" -x OPENBLAS_NUM_THREADS "$exe" bench/bench_dist_scaling.lua >> "$out"
  taskset -c 0 "$exe" bench/bench_dist_scaling.lua > "$a" &
  taskset -c 1 "$exe" bench/bench_dist_scaling.lua > "$b"
  wait
  paste -d '\n' "$a" "$b" | awk -F' per process, ' 'NR % 2 { split($2, x, ": +"); r = x[2] + 0; next }
    { split($2, x, ": +"); printf "%s per process, pair: %d samples/s\n", $1, r + x[2] }' >> "$out"
done
awk -F'per process, ' '
  { split($2, a, /[ :]/); n = a[1]; match($2, /: +[0-9]+ samples/); rate = substr($2, RSTART + 2, RLENGTH - 10) + 0
    key = $1 SUBSEP n; if (rate > best[key]) best[key] = rate; cases[$1] = 1 }
  END { for (c in cases) printf "%-31s 1 process %6.0f, 2 processes %6.0f samples/s: %.2fx (two independent processes: %.2fx)\n",
          c, best[c, 1], best[c, 2], best[c, 2] / best[c, 1], best[c, "pair"] / best[c, 1] }' "$out" | sort
