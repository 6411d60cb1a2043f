#!/bin/bash
# bench_notebook.sh: times the six section scripts (scripts/<section>.lua, one
# dltlua process each, run one after another) against their twin, the Python
# notebook run by bench/notebook_twin.py, on this machine: wall time (sum over the
# six, each process timed to the microsecond) and, from a second run of each under
# /usr/bin/time -v, CPU time and peak resident memory (the largest of the six).
# The goal: at least 20x faster and at most 1/10 of the notebook's peak memory.
# Usage: bench/bench_notebook.sh [BUILD_DIR]     (default build/; BENCH_RUNS=3 keeps
# the fastest of 3 runs; DLT_NOTEBOOK=path/to/notebook.txt if it is not found)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
dltlua=$build/dltlua
runs=${BENCH_RUNS:-1}
sections="optimizers learning_rate regularization normalization initialization pipeline"

[ -x "$dltlua" ] || { echo "bench_notebook: no $dltlua (build it first)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench_notebook: needs GNU time (/usr/bin/time, Debian package 'time')" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# GNU time reports wall time to 10 ms only, too coarse for a 20 ms script: each run
# is timed by the clock around it instead, into the file $1.wall
now_us() { echo "${EPOCHREALTIME/./}"; }  # bash 5: no process of its own
timed() {
  out=$1; shift
  t0=$(now_us)
  "$@"
  rc=$?
  t1=$(now_us)
  echo "$t0 $t1" | awk '{ printf "%.6f\n", ($2 - $1) / 1e6 }' > "$out.wall"
  return $rc
}
# wall seconds (from timed) and max RSS (kB) (from /usr/bin/time -v) of one run
wall_of() { cat "$1.wall"; }
rss_of() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$1"; }
# user + system CPU seconds: steadier than wall time on a busy machine
cpu_of() { awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$1"; }

# one run of the six Lua scripts: prints "wall_seconds peak_kb cpu_seconds"
lua_run() {
  total=0; peak=0; cpu=0
  for s in $sections; do
    # timed on its own, then once more under /usr/bin/time for CPU and memory
    if ! DLT_FIGDIR="$tmp/lua" timed "$tmp/$s.time" "$dltlua" "$root/scripts/$s.lua" \
        > "$tmp/$s.out" 2> "$tmp/$s.err" ||
       ! DLT_FIGDIR="$tmp/lua" /usr/bin/time -v -o "$tmp/$s.time" \
        "$dltlua" "$root/scripts/$s.lua" > "$tmp/$s.out" 2> "$tmp/$s.err"; then
      echo "bench_notebook: scripts/$s.lua failed:" >&2
      cat "$tmp/$s.err" >&2
      exit 1
    fi
    w=$(wall_of "$tmp/$s.time"); r=$(rss_of "$tmp/$s.time")
    total=$(echo "$total $w" | awk '{ print $1 + $2 }')
    cpu=$(echo "$cpu $(cpu_of "$tmp/$s.time")" | awk '{ print $1 + $2 }')
    peak=$(echo "$peak $r" | awk '{ print ($2 > $1) ? $2 : $1 }')
  done
  echo "$total $peak $cpu"
}

best_lua=""; best_lua_rss=0; best_lua_cpu=""
i=0
while [ $i -lt "$runs" ]; do
  set -- $(lua_run)
  if [ -z "$best_lua" ] || awk "BEGIN { exit !($1 < $best_lua) }"; then best_lua=$1; fi
  if [ -z "$best_lua_cpu" ] || awk "BEGIN { exit !($3 < $best_lua_cpu) }"; then best_lua_cpu=$3; fi
  best_lua_rss=$(echo "$best_lua_rss $2" | awk '{ print ($2 > $1) ? $2 : $1 }')
  i=$((i + 1))
done
printf "lua   : 6 section scripts  %7.3f s wall  %6.2f s cpu  peak %7.1f MB\n" "$best_lua" \
  "$best_lua_cpu" "$(echo "$best_lua_rss" | awk '{ print $1 / 1024 }')"
for s in $sections; do
  printf "        %-17s %6.3f s wall  %6.2f s cpu  %6.1f MB\n" "$s" "$(wall_of "$tmp/$s.time")" \
    "$(cpu_of "$tmp/$s.time")" "$(rss_of "$tmp/$s.time" | awk '{ print $1 / 1024 }')"
done

# the Python twin, when torch and matplotlib are there
py=/usr/bin/python3
notebook=${DLT_NOTEBOOK:-}
if [ -z "$notebook" ]; then
  for cand in "$root"/../shared/seed/*.txt /work/shared/seed/*.txt; do
    [ -f "$cand" ] && { notebook=$cand; break; }
  done
fi
if ! [ -x "$py" ] || ! "$py" -c "import torch, matplotlib" 2>/dev/null; then
  echo "python: skipped (needs python3-torch and python3-matplotlib)"
  exit 0
fi
if [ -z "$notebook" ] || ! [ -f "$notebook" ]; then
  echo "python: skipped (notebook not found; set DLT_NOTEBOOK)"
  exit 0
fi

best_py=""; py_rss=0; best_py_cpu=""
i=0
while [ $i -lt "$runs" ]; do
  timed "$tmp/py.time" /usr/bin/time -v -o "$tmp/py.time" "$py" "$root/bench/notebook_twin.py" "$notebook" \
    "$tmp/py" > "$tmp/py.out" 2> "$tmp/py.err" || { cat "$tmp/py.err" >&2; exit 1; }
  w=$(wall_of "$tmp/py.time"); r=$(rss_of "$tmp/py.time")
  if [ -z "$best_py" ] || awk "BEGIN { exit !($w < $best_py) }"; then best_py=$w; fi
  c=$(cpu_of "$tmp/py.time")
  if [ -z "$best_py_cpu" ] || awk "BEGIN { exit !($c < $best_py_cpu) }"; then best_py_cpu=$c; fi
  py_rss=$(echo "$py_rss $r" | awk '{ print ($2 > $1) ? $2 : $1 }')
  i=$((i + 1))
done
printf "python: notebook twin      %7.3f s wall  %6.2f s cpu  peak %7.1f MB\n" "$best_py" \
  "$best_py_cpu" "$(echo "$py_rss" | awk '{ print $1 / 1024 }')"

speed=$(echo "$best_py $best_lua" | awk '{ printf "%.1f", $1 / ($2 > 0 ? $2 : 0.001) }')
cpu_speed=$(echo "$best_py_cpu $best_lua_cpu" | awk '{ printf "%.1f", $1 / ($2 > 0 ? $2 : 0.001) }')
mem=$(echo "$best_lua_rss $py_rss" | awk '{ printf "%.3f", $1 / $2 }')
verdict=PASS
awk "BEGIN { exit !($speed >= 20) }" || verdict=FAIL
awk "BEGIN { exit !($mem <= 0.1) }" || verdict=FAIL
echo "speedup ${speed}x wall, ${cpu_speed}x cpu (goal >= 20x wall), memory ratio ${mem} (goal <= 0.1): $verdict"
[ "$verdict" = PASS ]
