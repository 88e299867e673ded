#!/usr/bin/env bash
# The board's planner fitted into the point mass's 10 ms by the cost model (`chi export`'s
# default) against the board preset's K = 24: each run of runs/early-exit exported both
# ways and played for EPISODES episodes on the firmware in QEMU (`chi hil --qemu`, every
# action checked bit for bit against the host twin).
#
#   experiments/board-fit.sh [EPISODES] > experiments/point-mass-board-fit.csv
set -euo pipefail
cd "$(dirname "$0")/.."
episodes=${1:-3}
chi=./target/release/chi
echo "variant,seed,samples,instructions_mean,instructions_worst,estimated_cycles,normalised_return,board_return,host_return"
for v in fixed tuned; do
  for run in runs/early-exit/$v/chi-seed*/; do
    run=${run%/}
    seed=${run##*seed}
    for k in fit 24; do
      out=$run/export-$k
      if [ "$k" = fit ]; then flags=""; else flags="--samples 24"; fi
      # shellcheck disable=SC2086
      "$chi" export --run "$run" --no-check $flags --out "$out" > "$out.log" 2>&1
      "$chi" hil "$out/bundle-int8.chib" --qemu --episodes "$episodes" --run "$run" > "$out-hil.log" 2>&1
      samples=$(grep -o 'K = [0-9]*' "$out.log" | tail -1 | cut -d' ' -f3)
      cycles=$(sed -n 's/.*int8: about \([0-9.]*\) M cycles.*/\1/p' "$out.log")
      awk -v v="$v" -v seed="$seed" -v k="$samples" -v c="$cycles" '
        /instructions \(QEMU -icount\) per control step/ { n++; m += $1; w = $9 + 0 > w ? $9 + 0 : w }
        /^normalised return/ { nr = $3; b = $8; h = $20 }
        END { gsub(/,/, "", b); gsub(/,/, "", h); printf "%s,%s,%s,%.0f,%d,%s,%s,%s,%s\n", v, seed, k, m / n, w, c * 1e6, nr, b, h }' "$out-hil.log"
    done
  done
done
