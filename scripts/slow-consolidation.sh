#!/usr/bin/env bash
# The experiments behind docs/validation.md §5, "Slower consolidation", in one command:
#
#   scripts/slow-consolidation.sh [ENGRAM]
#
# 1. Phase 1 (1800 s) of the default model with τ_cons 1200 s (the default), 2400 s and 4800 s
#    (the slow_consolidation preset) on seeds 1-3, and 19 200 s on seed 2
#    (experiments/slow-consolidation.toml), two runs at a time, each saved as trained.engram.
#    Then the 4800 s runs continued to 3600 s, the slow_consolidation preset's phase 1 (the same
#    as a 3600 s phase 1 from the start: a run continues the phase and its schedule exactly).
# 2. From each trained network, 600 s of the complete shapes as cues (recall-shapes/) and 600 s
#    of the paper's partial cues (recall-cues/), two runs at a time.
# 3. `engram report` over all of it: runs/slow-consolidation/report.md and .csv.
#
# ENGRAM is the binary to use (default: target/release/engram, built if missing). About 6
# minutes of one core per 1800 model seconds on a 2-vCPU AMD EPYC (two hours of one core in
# all); finished runs are not run again.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
engram=${1:-$root/target/release/engram}
[ -x "$engram" ] || cargo build --release
out=runs/slow-consolidation

# Runs the commands in the array `jobs`, two at a time.
run_jobs() {
  [ ${#jobs[@]} -eq 0 ] ||
    printf '%s\n' "${jobs[@]}" | xargs -P 2 -I CMD sh -c 'CMD > /dev/null 2>&1 || echo "failed: CMD" >&2'
}

"$engram" sweep experiments/slow-consolidation.toml --jobs 2 --engram "$engram"
extra=$out/default-cons19200-s2
[ -f "$extra/trained.engram" ] || "$engram" run --preset default --seed 2 --phase init --threads 1 \
  --set plasticity.tau_cons_s=19200 --out "$extra" --save "$extra/trained.engram" > /dev/null

jobs=()
for s in 1 2 3; do
  a=$out/default-cons4800-s$s b=$out/default-cons4800-s$s-3600
  [ -f "$b/trained.engram" ] || jobs+=("$engram run --load $a/trained.engram --seconds 1800 --threads 1 \
    --set protocol.init.duration_s=3600 --out $b --save $b/trained.engram")
done
run_jobs

jobs=()
for dir in "$out"/default-*-s*/; do
  dir=${dir%/}
  base="$engram run --load $dir/trained.engram --phase recall --seconds 600 --threads 1"
  [ -f "$dir/recall-shapes/summary.json" ] ||
    jobs+=("$base --set protocol.recall.patterns=shapes --out $dir/recall-shapes")
  [ -f "$dir/recall-cues/summary.json" ] || jobs+=("$base --out $dir/recall-cues")
done
run_jobs

"$engram" report "$out" "$extra" "$out"/*-3600 "$out"/*/recall-* --out "$out/report"
