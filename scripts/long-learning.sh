#!/usr/bin/env bash
# Phase 1 of the default (faithful) model run for longer than the paper's 1800 s, for
# docs/validation.md §5 ("Four distinct memories") and the long_learning preset:
#
#   scripts/long-learning.sh [SEED...]        (default: seeds 1 2 3, one after the other)
#
# For each seed: phase 1 of the long_learning preset (5400 s) run to 3600 s and saved, then
# continued to its end (the same as one run: a run continues the phase and its stimulus
# schedule exactly), each read out by `run` over its last 400 s (selectivity in summary.json).
# From both snapshots, 300 s of complete shapes as cues (recall-shapes/). Finished steps are
# not run again. Then `engram report` over runs/long-learning: report.md and report.csv.
#
# ENGRAM (environment) is the binary to use (default: target/release/engram, built if missing).
# About 21 minutes of one core per seed on a 2.8 GHz Xeon; run two instances with different
# seeds to use two cores.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
engram=${ENGRAM:-$root/target/release/engram}
[ -x "$engram" ] || cargo build --release
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3)
out=runs/long-learning

for s in "${seeds[@]}"; do
  a=$out/s$s-3600 b=$out/s$s-5400
  [ -f "$a/trained.engram" ] || "$engram" run --preset presets/long_learning.toml --seed "$s" --phase init \
    --seconds 3600 --threads 1 --out "$a" --save "$a/trained.engram" > /dev/null
  [ -f "$b/trained.engram" ] || "$engram" run --load "$a/trained.engram" --seconds 1800 --threads 1 \
    --out "$b" --save "$b/trained.engram" > /dev/null
  for d in "$a" "$b"; do
    [ -f "$d/recall-shapes/summary.json" ] || "$engram" run --load "$d/trained.engram" --phase recall \
      --seconds 300 --threads 1 --set protocol.recall.patterns=shapes --out "$d/recall-shapes" > /dev/null
  done
done

"$engram" report "$out"/s*-[0-9]* "$out"/*/recall-shapes --out "$out/report"
