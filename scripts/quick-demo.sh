#!/usr/bin/env bash
# The experiments behind docs/validation.md §4 ("Quick demo preset"), in one command:
#
#   scripts/quick-demo.sh [ENGRAM]
#
# 1. The lever search (experiments/quick-demo.toml): phase 1 (120 s) of every variant of the
#    first cut, seed 1; then the round-5 preset on seeds 1-3 (experiments/quick-demo-seeds.toml)
#    and rounds 6-10 (experiments/quick-demo-round*.toml; round 7 and 10 hold today's preset).
#    Each run is read out over the last 40 s of phase 1 and saved as trained.engram.
# 2. From each trained network, 150 s of the complete shapes as cues (recall-shapes/; 300 s in
#    rounds 7-10); from the round-5 preset's, also 300 s of its recall phase (recall-cues/).
# 3. `engram report`: runs/quick-demo/report.{md,csv} and runs/quick-demo-seeds/report.{md,csv}.
#
# ENGRAM is the binary to use (default: target/release/engram, built if missing). About 25 s of
# one core per 120 model seconds on a 2-vCPU AMD EPYC; finished runs are not run again.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
engram=${1:-$root/target/release/engram}
[ -x "$engram" ] || cargo build --release

"$engram" sweep experiments/quick-demo.toml --jobs 2 --engram "$engram"
"$engram" sweep experiments/quick-demo-seeds.toml --jobs 2 --engram "$engram"
for r in 6 7 8 9 10; do
  "$engram" sweep experiments/quick-demo-round$r.toml --jobs 2 --engram "$engram"
done

jobs=()
for dir in runs/quick-demo/*-s*/ runs/quick-demo-seeds/*-s*/; do
  dir=${dir%/}
  base="$engram run --load $dir/trained.engram --phase recall --threads 1"
  [ -f "$dir/recall-shapes/summary.json" ] ||
    jobs+=("$base --seconds 150 --set protocol.recall.patterns=shapes --out $dir/recall-shapes")
  case $dir in runs/quick-demo-seeds/*)
    [ -f "$dir/recall-cues/summary.json" ] || jobs+=("$base --seconds 300 --out $dir/recall-cues") ;;
  esac
done
# Rounds 7-10: 300 s of complete shapes as cues.
for dir in runs/quick-demo-round{7,8,9,10}/*-s*/; do
  dir=${dir%/}
  [ -f "$dir/recall-shapes/summary.json" ] || jobs+=("$engram run --load $dir/trained.engram --phase recall \
    --threads 1 --seconds 300 --set protocol.recall.patterns=shapes --out $dir/recall-shapes")
done
if [ ${#jobs[@]} -gt 0 ]; then
  printf '%s\n' "${jobs[@]}" | xargs -P 2 -I CMD sh -c 'CMD > /dev/null 2>&1 || echo "failed: CMD" >&2'
fi

for d in runs/quick-demo runs/quick-demo-seeds runs/quick-demo-round{6,7,8,9,10}; do
  "$engram" report "$d" "$d"/*/recall-* --out "$d/report"
done
