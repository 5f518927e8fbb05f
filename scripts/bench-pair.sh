#!/usr/bin/env bash
# Paired speed comparison of two builds of Engram on this machine.
#
#   scripts/bench-pair.sh REV [SECONDS] [PAIRS] [THREADS]
#
# Builds REV (any git revision) in a temporary worktree and the current tree, both release,
# then runs `engram bench --seconds SECONDS` for the two alternately (old, new, old, new, ...)
# PAIRS times on each thread count in THREADS (default "1 2"), and prints every run, the median
# real-time factor of each build and the median of the per-pair ratios new/old, with the CPU
# model, its vector extensions and whether the logical CPUs are SMT siblings. Machines differ a
# lot (and a shared VM varies from minute to minute): compare builds only within one run of
# this script. The old build's target directory (target/bench-pair) is kept between runs.
set -euo pipefail

rev=${1:?usage: scripts/bench-pair.sh REV [SECONDS] [PAIRS] [THREADS]}
secs=${2:-30}
pairs=${3:-5}
threads=${4:-"1 2"}
root=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
cleanup() {
  git -C "$root" worktree remove --force "$work/old" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

old_commit=$(git -C "$root" rev-parse --short "$rev")

echo "building $rev ($old_commit) ..." >&2
git -C "$root" worktree add --detach "$work/old" "$rev" >/dev/null 2>&1
CARGO_TARGET_DIR="$root/target/bench-pair" cargo build --release --quiet --manifest-path "$work/old/Cargo.toml"
cp "$root/target/bench-pair/release/engram" "$work/engram-old"
new_commit=$(git -C "$root" rev-parse --short HEAD)
dirty=$(git -C "$root" status --porcelain --untracked-files=no | grep -q . && echo " + uncommitted changes" || true)
echo "building the current tree ($new_commit$dirty) ..." >&2
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
cp "$root/target/release/engram" "$work/engram-new"

model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
flags=$(grep -m1 '^flags' /proc/cpuinfo)
ext=""
for f in avx2 avx512f; do
  case " $flags " in *" $f "*) ext="$ext $f" ;; esac
done
siblings=$(cat /sys/devices/system/cpu/cpu0/topology/thread_siblings_list 2>/dev/null || echo "?")
echo "machine: $model; $(nproc) logical CPUs; vector extensions:${ext:- none}; SMT siblings of cpu0: $siblings"
echo "old: $old_commit ($rev)   new: $new_commit$dirty   bench: --seconds $secs, $pairs pairs"

rtf() { # binary threads -> real-time factor
  "$1" bench --seconds "$secs" --threads "$2" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["realtime_factor"])'
}
median() { python3 -c 'import statistics,sys; print(f"{statistics.median(map(float, sys.argv[1:])):.3f}")' "$@"; }

for t in $threads; do
  olds=(); news=(); ratios=()
  for ((p = 1; p <= pairs; p++)); do
    o=$(rtf "$work/engram-old" "$t")
    n=$(rtf "$work/engram-new" "$t")
    r=$(python3 -c "print(f'{$n / $o:.3f}')")
    printf "threads %s pair %d: old %.3f  new %.3f  ratio %s\n" "$t" "$p" "$o" "$n" "$r"
    olds+=("$o"); news+=("$n"); ratios+=("$r")
  done
  echo "threads $t: median old $(median "${olds[@]}")x, new $(median "${news[@]}")x real time; median ratio new/old $(median "${ratios[@]}")"
done
