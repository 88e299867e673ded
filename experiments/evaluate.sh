#!/usr/bin/env bash
# One row per run of runs/<experiment>: the agent as trained, without training noise, over
# EPISODES episodes (`chi eval`: CHI's controller at K = 500, SAC's policy mode, CEM-MPC's
# planner; planner seeds 0..EPISODES): mean return and how many episodes reached the goal.
# Training returns (summary.sh) carry the exploration noise; these say what each agent learnt.
#
#   experiments/evaluate.sh [runs/point-mass] [EPISODES] > experiments/point-mass-eval.csv
# CHI_BIN=path evaluates with that binary instead of target/release/chi.
set -euo pipefail
dir=${1:-runs/point-mass}
episodes=${2:-5}
chi=${CHI_BIN:-$(dirname "$0")/../target/release/chi}
[ -x "$chi" ] || { echo "build chi first: cargo build --release -p chi-host" >&2; exit 1; }
echo "run,agent,episodes_trained,eval_episodes,eval_return_mean,eval_goal_reached,eval_goal_step_mean"
for run in "$dir"/*/; do
  run=${run%/}
  # chi's runs only (another program's episodes, such as CleanRL's, have no checkpoint).
  [ -f "$run/metrics.csv" ] && [ -f "$run/config.toml" ] || continue
  "$chi" eval --run "$run" --episodes "$episodes" --csv 2>/dev/null || echo "$(basename "$run"),eval failed"
done
