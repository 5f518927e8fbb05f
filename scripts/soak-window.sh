#!/usr/bin/env bash
# Soak of the window: the full network at full speed under Xvfb for SECONDS of wall time, with
# the resident memory sampled every minute.
#
#   scripts/soak-window.sh [SECONDS] [OUT] [-- EXTRA ENGRAM ARGS]
#
# SECONDS defaults to 3600, OUT to target/soak. Needs a release build (`cargo build --release`)
# and Xvfb (see README). Writes OUT/rss.csv (wall second, VmRSS in kB), OUT/engram.log (the
# window's exit line: frames drawn, frame rate, model time, real-time factor, merged frames,
# thinned spikes) and OUT/end.png (a screenshot of the last frame).
set -uo pipefail

secs=${1:-3600}
root=$(git rev-parse --show-toplevel)
out=${2:-$root/target/soak}
shift $(($# < 2 ? $# : 2))
[ "${1:-}" = "--" ] && shift
mkdir -p "$out"
bin="$root/target/release/engram"
[ -x "$bin" ] || { echo "no release build at $bin: run cargo build --release" >&2; exit 1; }

display=:$((90 + RANDOM % 9))
Xvfb "$display" -screen 0 1280x800x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null' EXIT
sleep 2
unset WAYLAND_DISPLAY
DISPLAY=$display "$bin" --quit-after "$secs" --screenshot "$out/end.png" "$@" >"$out/engram.log" 2>&1 &
app=$!
echo "wall_s,rss_kb" >"$out/rss.csv"
start=$(date +%s)
# First sample 5 s in, then once a minute until the window closes.
sleep 5
while kill -0 "$app" 2>/dev/null; do
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$app/status" 2>/dev/null)
  [ -n "$rss" ] && echo "$(($(date +%s) - start)),$rss" >>"$out/rss.csv"
  for _ in $(seq 60); do kill -0 "$app" 2>/dev/null || break; sleep 1; done
done
wait "$app"
echo "exit status $?" >>"$out/engram.log"
model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "machine: $model; $(nproc) logical CPUs; commit $(git -C "$root" rev-parse --short HEAD)"
cat "$out/engram.log"
awk -F, 'NR > 1 {printf "%s s: %.1f MB\n", $1, $2 / 1024}' "$out/rss.csv"
