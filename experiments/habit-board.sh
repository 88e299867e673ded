#!/usr/bin/env bash
# The habitual exit where it pays: on the board, after training. The point-mass runs of
# experiments/early-exit.sh trained with the paper's fixed alpha and no habit
# (runs/early-exit/fixed) are exported with the habit off and at three thresholds (3 agreeing
# planned steps, then one step in 4 checks; the board's K = 14 samples move the plan further
# than training's K = 500, so the thresholds are wider than in training), and each bundle runs 5 episodes in QEMU against
# its twin: normalised return (random 0, host CHI at the paper's settings 1), the share of
# steps that skip planning and the modelled cycles a step.
#
#   experiments/habit-board.sh [episodes]     # writes experiments/habit-board-point-mass.csv
set -euo pipefail
cd "$(dirname "$0")/.."
episodes=${1:-5}
chi=${CHI_BIN:-./target/release/chi}
[ -n "${CHI_BIN:-}" ] || cargo build --quiet --release -p chi-host
out=runs/habit-board
mkdir -p "$out"
echo "habit,seed,normalised_return,board_return,skipped_share,cycles_mean,cycles_worst" > "$out/table.csv"
for seed in 0 1 2; do
  run=runs/early-exit/fixed/chi-seed$seed
  for habit in off 0.5,3,4 1.0,3,4 2.0,3,4; do
    dir="$out/${habit//,/-}/seed$seed"
    mkdir -p "$dir"
    "$chi" export --run "$run" --out "$dir" --habit "$habit" --no-check > "$dir/export.log"
    "$chi" hil "$dir/bundle-int8.chib" --qemu --episodes "$episodes" --run "$run" > "$dir/hil.log" 2> "$dir/hil.err"
    awk -v h="${habit//,/-}" -v s="$seed" '
      /modelled cycles per control step/ { c += $1; n++; v = $8 + 0; if (v > w) w = v }
      /planning skipped on/ { split($0, a, "skipped on "); split(a[2], b, " "); sk += b[1]; st += b[3] }
      /^normalised return/ { norm = $3; br = $8; sub(",", "", br) }
      END { printf "%s,%s,%s,%s,%.4f,%.0f,%.0f\n", h, s, norm, br, sk / st, c / n, w }' "$dir/hil.log" >> "$out/table.csv"
  done
done
cp "$out/table.csv" experiments/habit-board-point-mass.csv
cat experiments/habit-board-point-mass.csv
