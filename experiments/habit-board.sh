#!/usr/bin/env bash
# The habitual exit where it pays: on the board, after training. The point-mass runs of
# experiments/early-exit.sh trained with the paper's fixed alpha and no habit
# (runs/early-exit/fixed) are exported with the habit off and at three thresholds (3 agreeing
# planned steps, then one step in 4 checks; the board's K = 14 samples move the plan further
# than training's K = 500, so the thresholds are wider than in training), and each bundle
# runs 5 episodes in QEMU against
# its twin: normalised return (random 0, host CHI at the paper's settings 1), the share of
# steps that skip planning and the modelled cycles a step.
#
# HABITS and RUNS (run directories, default the fixed-alpha point-mass seeds 0-2) and OUT
# (the CSV) choose other runs, e.g. Half-Cheetah's board preset:
#   RUNS="$(echo runs/hc-board/chi-seed{0,1,2,3,4})" HABITS="off 1.0,3,4 2.0,3,4" OUT=experiments/habit-board-half-cheetah.csv \
#     experiments/habit-board.sh 3
#
#   experiments/habit-board.sh [episodes]     # writes experiments/habit-board-point-mass.csv
set -euo pipefail
cd "$(dirname "$0")/.."
episodes=${1:-5}
runs=${RUNS:-runs/early-exit/fixed/chi-seed0 runs/early-exit/fixed/chi-seed1 runs/early-exit/fixed/chi-seed2}
habits=${HABITS:-off 0.5,3,4 1.0,3,4 2.0,3,4}
csv=${OUT:-experiments/habit-board-point-mass.csv}
. experiments/chi-bin.sh
chi=$(chi_bin)
out=runs/habit-board
table=$(mktemp)
echo "run,habit,normalised_return,board_return,skipped_share,cycles_mean,cycles_worst" > "$table"
for run in $runs; do
  for habit in $habits; do
    dir="$out/$(echo "$run" | tr / -)/${habit//,/-}"
    mkdir -p "$dir"
    "$chi" export --run "$run" --out "$dir" --habit "$habit" --no-check > "$dir/export.log"
    "$chi" hil "$dir/bundle-int8.chib" --qemu --episodes "$episodes" --run "$run" > "$dir/hil.log" 2> "$dir/hil.err"
    awk -v h="${habit//,/-}" -v r="$run" '
      /modelled cycles per control step/ { c += $1; n++; v = $8 + 0; if (v > w) w = v }
      /planning skipped on/ { split($0, a, "skipped on "); split(a[2], b, " "); sk += b[1]; st += b[3] }
      /^normalised return/ { norm = $3; br = $8; sub(",", "", br) }
      END { printf "%s,%s,%s,%s,%.4f,%.0f,%.0f\n", r, h, norm, br, sk / st, c / n, w }' "$dir/hil.log" >> "$table"
  done
done
mv "$table" "$csv"
cat "$csv"
