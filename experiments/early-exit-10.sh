#!/usr/bin/env bash
# The early exit at 10 seeds on the point mass, in training and on the board.
#
# Training: experiments/point-mass-habit.toml (CHI, board preset, 100 episodes, seeds 0-9;
# planning every step, and the habitual exit at 0.25, 0.5 and 1 sigma), reported by
# experiments/early-exit-training.sh into experiments/early-exit-10/ (report.md, compute.csv).
#
# Board: the no-exit runs exported with the habit off and at 0.5, 1 and 2 sigma, 5 episodes
# each in QEMU against the twin (experiments/habit-board.sh): habit-board-point-mass-10.csv.
#
#   experiments/early-exit-10.sh [jobs]      # resumable; CHI_BIN=path uses that binary
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-2}
. experiments/chi-bin.sh
chi=$(chi_bin)
CHI_BIN="$chi" experiments/early-exit-training.sh experiments/point-mass-habit.toml experiments/early-exit-10 "$jobs"
runs=runs/pm-habit/point-mass
# The board: the ten no-exit runs in JOBS groups side by side (each bundle's firmware build
# is one at a time, the QEMU episodes are not), one CSV.
board=$(mktemp -d)
for g in $(seq 0 $((jobs - 1))); do
  group=$(for s in 0 1 2 3 4 5 6 7 8 9; do [ $((s % jobs)) -ne "$g" ] || printf '%s ' "$runs/off/chi-seed$s"; done)
  RUNS="$group" HABITS="off 0.5,3,4 1.0,3,4 2.0,3,4" OUT="$board/$g.csv" CHI_BIN="$chi" \
    experiments/habit-board.sh 5 > /dev/null &
done
wait
{ head -n 1 "$board/0.csv"; for f in "$board"/*.csv; do tail -n +2 "$f"; done | sort -t, -k1,1V -s; } \
  > experiments/habit-board-point-mass-10.csv
rm -r "$board"
experiments/habit-summary.sh experiments/habit-board-point-mass-10.csv
