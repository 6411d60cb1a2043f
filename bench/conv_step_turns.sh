#!/bin/bash
# conv_step_turns.sh: the CNN training step of two builds, taking turns (the machine's
# moods weigh on both alike): `bench_conv_step.lua --count 40 5 THREADS` of each, ROUNDS
# times, then each build's steps in ms, sorted, with their minimum and median.
# Usage: bench/conv_step_turns.sh OLD_DLTLUA NEW_DLTLUA [THREADS=1] [ROUNDS=8]
set -eu
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: bench/conv_step_turns.sh OLD_DLTLUA NEW_DLTLUA [THREADS] [ROUNDS]" >&2; exit 2; }
old=$1 new=$2 threads=${3:-1} rounds=${4:-8}
for _ in $(seq "$rounds"); do
  for build in old new; do
    exe=${!build}
    ms=$("$exe" bench/bench_conv_step.lua --count 40 5 "$threads" | sed -n 's/.*wall \([0-9.]*\) ms.*/\1/p')
    [ -n "$ms" ] || { echo "conv_step_turns.sh: $exe printed no time" >&2; exit 1; }
    echo "$build $ms"
  done
done | sort -k1,1r -k2,2n | awk -v t="$threads" '
  { v[$1] = v[$1] " " $2; n[$1]++; a[$1, n[$1]] = $2 }
  END { for (k in n) printf "%s, %s thread(s): min %.2f, median %.2f ms (%s )\n", k, t, a[k, 1], a[k, int((n[k] + 1) / 2)], v[k] }' | sort -r
