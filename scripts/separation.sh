#!/usr/bin/env bash
# The experiments behind docs/validation.md §5 ("Four distinct memories"), in one command:
#
#   scripts/separation.sh [ENGRAM]
#
# 1. Phase 1 (1800 s; 3600 s for the `long` variant) of every variant and seed of
#    experiments/separation.toml and experiments/separation-seeds.toml, two runs at a time, each
#    saved as trained.engram in its run directory (a finished run is not run again).
#    Then phase 1 of the default continued to 3600 s on every seed (the same as a 3600 s phase 1
#    from the start: the run continues the phase and its stimulus schedule exactly).
# 2. From each trained network, two recall runs, two at a time: 600 s of the paper's partial
#    cues (recall-cues/) and 300 s of the complete shapes as cues (recall-shapes/).
# 3. `engram report` over all of it: runs/separation/report.md and .csv.
#
# ENGRAM is the binary to use (default: target/release/engram, built if missing). Results do not
# depend on the machine or the number of runs at a time; the wall time does (about 7 minutes of
# one core per 1800 model seconds on a 2.8 GHz Xeon).
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
engram=${1:-$root/target/release/engram}
if [ ! -x "$engram" ]; then
  cargo build --release
fi

"$engram" sweep experiments/separation.toml --jobs 2 --engram "$engram"
"$engram" sweep experiments/separation-seeds.toml --jobs 2 --engram "$engram"

# Phase 1 continued from 1800 s to 3600 s on the default preset, every seed.
jobs=()
for dir in runs/separation/default-default-s1 runs/separation-seeds/default-default-s*; do
  long=${dir}-long3600
  [ -f "$long/trained.engram" ] || jobs+=("$engram run --load $dir/trained.engram --seconds 1800 --threads 1 \
    --set protocol.init.duration_s=3600 --out $long --save $long/trained.engram")
done
if [ ${#jobs[@]} -gt 0 ]; then
  printf '%s\n' "${jobs[@]}" | xargs -P 2 -I CMD sh -c 'CMD > /dev/null 2>&1 || echo "failed: CMD" >&2'
fi

jobs=()
for dir in runs/separation/*/ runs/separation-seeds/*/; do
  dir=${dir%/}
  [ -f "$dir/trained.engram" ] || continue
  base="$engram run --load $dir/trained.engram --phase recall --threads 1"
  [ -f "$dir/recall-cues/summary.json" ] || jobs+=("$base --seconds 600 --out $dir/recall-cues")
  [ -f "$dir/recall-shapes/summary.json" ] ||
    jobs+=("$base --seconds 300 --set protocol.recall.patterns=shapes --out $dir/recall-shapes")
done
if [ ${#jobs[@]} -gt 0 ]; then
  printf '%s\n' "${jobs[@]}" | xargs -P 2 -I CMD sh -c 'CMD > /dev/null 2>&1 || echo "failed: CMD" >&2'
fi

"$engram" report runs/separation runs/separation-seeds runs/separation*/*-long3600 \
  runs/separation*/*/recall-cues runs/separation*/*/recall-shapes --out runs/separation/report
