#!/usr/bin/env bash
# The early exit at 10 seeds on the point mass, in training and on the board.
#
# Training: experiments/point-mass-habit.toml (CHI, board preset, 100 episodes, seeds 0-9;
# planning every step, and the habitual exit at 0.25, 0.5 and 1 sigma). Finished runs are
# copied into experiments/early-exit-10/<label>-seed<N> (chi: no exit; chi-habit-<sigmas>),
# `chi report` gives their returns with intervals and P(no exit > each habit), and
# compute.csv the planner's work a run (experiments/exit-compute.sh: the share of steps that
# skip planning, all episodes and the last 10, and the planner iterations a step).
#
# Board: the no-exit runs exported with the habit off and at 0.5, 1 and 2 sigma, 5 episodes
# each in QEMU against the twin (experiments/habit-board.sh): habit-board-point-mass-10.csv.
#
#   experiments/early-exit-10.sh [jobs]      # resumable; CHI_BIN=path uses that binary
set -euo pipefail
cd "$(dirname "$0")/.."
. experiments/keep-run.sh
jobs=${1:-2}
chi=${CHI_BIN:-./target/release/chi}
[ -n "${CHI_BIN:-}" ] || cargo build --quiet --release -p chi-host
RAYON_NUM_THREADS=1 "$chi" sweep experiments/point-mass-habit.toml --jobs "$jobs"
runs=runs/pm-habit/point-mass
keep=experiments/early-exit-10
rm -rf "$keep" && mkdir -p "$keep"
for variant in off habit-0.25 habit-0.5 habit-1.0; do
  label=chi; [ "$variant" = off ] || label=chi-$variant
  for run in "$runs/$variant"/chi-seed*; do
    keep_run "$run" "$keep/$label-seed${run##*-seed}"
  done
done
"$chi" report --runs "$keep" --markdown "$keep/report.md" --csv "$keep/report.csv"
{
  experiments/exit-compute.sh --header
  for m in "$keep"/*/metrics.csv; do
    label=$(basename "$(dirname "$m")")
    experiments/exit-compute.sh "${label%-seed*}" "$m"
  done
} > "$keep/compute.csv"
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
experiments/exit-training-summary.sh "$keep/compute.csv"
experiments/habit-summary.sh experiments/habit-board-point-mass-10.csv
