#!/usr/bin/env bash
# The whole test suite, N times, while a load generator keeps every core busy: finds tests that
# depend on the machine being idle (CI machines have 2 cores that may be busy).
#
#   scripts/stress-tests.sh [N] [LOAD]
#
# N (default 10) full `cargo test` runs, one after the other, while LOAD (default: a full-size
# `engram run --threads 2` of the default preset, restarted whenever it ends) runs beside them;
# when the machine is already busy with other work (a sweep, say), LOAD can be `sleep 86400`.
# The test binaries are built once before the load starts. Prints one line per run (passed,
# failed, wall time, names of failed tests) and a summary; every failed run's output is kept in
# target/stress-tests/run-K.log. Exits non-zero if any run failed.
set -uo pipefail

n=${1:-10}
root=$(git rev-parse --show-toplevel)
cd "$root"
out=target/stress-tests
mkdir -p "$out"

default_load="$root/target/release/engram run --preset default --threads 2 --out $out/load-run"
load=${2:-$default_load}
echo "building the tests (and the release binary for the default load) ..." >&2
if [ -z "${2:-}" ]; then
  cargo build --release --quiet || exit 1
fi
cargo test --no-run --quiet 2>/dev/null || cargo test --no-run || exit 1
(
  while true; do
    $load >/dev/null 2>&1
  done
) &
load_pid=$!
cleanup() {
  kill -- -"$load_pid" 2>/dev/null || pkill -P "$load_pid" 2>/dev/null
  kill "$load_pid" 2>/dev/null
  wait "$load_pid" 2>/dev/null
}
trap cleanup EXIT
# Let the load reach full size before the first run.
sleep 5

model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "machine: $model; $(nproc) logical CPUs; load: $load"
failed_runs=0
for ((k = 1; k <= n; k++)); do
  log="$out/run-$k.log"
  start=$(date +%s)
  cargo test --quiet >"$log" 2>&1
  rc=$?
  secs=$(($(date +%s) - start))
  passed=$(grep -oE '[0-9]+ passed' "$log" | awk '{s += $1} END {print s + 0}')
  failed=$(grep -oE '[0-9]+ failed' "$log" | awk '{s += $1} END {print s + 0}')
  names=$(grep -E '^    [A-Za-z0-9_:]+$' "$log" | sed 's/^ *//' | sort -u | tr '\n' ' ')
  if [ "$rc" -ne 0 ]; then
    failed_runs=$((failed_runs + 1))
    echo "run $k: FAILED (exit $rc) passed $passed failed $failed in ${secs} s: ${names:-see $log}"
  else
    rm -f "$log"
    echo "run $k: ok, passed $passed in ${secs} s"
  fi
done
echo "summary: $n runs under load, $failed_runs failed"
[ "$failed_runs" -eq 0 ]
