#!/usr/bin/env bash
# The early exit: CHI on the point mass (board preset) with SAC's temperature fixed (the
# paper's alpha = 0.2) and tuned towards -2 nats (minus the two actions), the latter with the
# exit at its default threshold and with it off (planning every step), and towards -6 nats;
# then the habitual exit (fixed alpha): skip planning after 3 planned steps in a row that
# moved the executed action by less than 0.25, 0.5 or 1 of the policy's sigma, checking
# every 4th step.
# Resumable: re-running continues every run from its checkpoint (finished runs are kept).
#
#   experiments/early-exit.sh [episodes] [parallel] [seeds]
#       (default 100 episodes, 1 at a time, seeds "0 1 2"); runs in runs/early-exit/
#   writes experiments/early-exit-point-mass.csv (one row a run)
set -euo pipefail
cd "$(dirname "$0")/.."
episodes=${1:-100}
parallel=${2:-1}
seeds=${3:-0 1 2}
out=runs/early-exit
mkdir -p "$out"
printf '[chi]\nearly_exit_sigma = 0.0\n' > "$out/no-exit.toml"
AGENTS=chi experiments/compare.sh point-mass "$seeds" "$episodes" "$parallel" "$out/fixed" --preset board
AGENTS=chi experiments/compare.sh point-mass "$seeds" "$episodes" "$parallel" "$out/tuned" --preset board --target-entropy -2
AGENTS=chi experiments/compare.sh point-mass "$seeds" "$episodes" "$parallel" "$out/tuned-no-exit" --preset board --target-entropy -2 --config "$out/no-exit.toml"
AGENTS=chi experiments/compare.sh point-mass "$seeds" "$episodes" "$parallel" "$out/tuned-6" --preset board --target-entropy -6
habits="0.25 0.5 1.0"
for a in $habits; do
  printf '[chi.habit]\nagree_sigmas = %s\ntrust_after = 3\ncheck_every = 4\n' "$a" > "$out/habit-$a.toml"
  AGENTS=chi experiments/compare.sh point-mass "$seeds" "$episodes" "$parallel" "$out/habit-$a" --preset board --config "$out/habit-$a.toml"
done
# One row a run: the exit's share of training steps (all, last 10 episodes), the amortised
# first action's std and the planner iterations a step, and the returns.
{
  experiments/exit-compute.sh --header
  for v in fixed tuned tuned-no-exit tuned-6 $(printf 'habit-%s ' $habits); do
    experiments/exit-compute.sh "$v" "$out/$v"/chi-seed*/metrics.csv
  done
} > experiments/early-exit-point-mass.csv
