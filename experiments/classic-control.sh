#!/usr/bin/env bash
# The classic-control tasks: CHI, SAC and CEM-MPC on gymnasium's Pendulum-v1 (50 episodes of
# 200 steps: the 10 000 steps of CleanRL's and RLtools' SAC benchmarks) and the cart-pole
# swing-up (60 episodes of 150 steps), seeds 0-2, board preset (ensemble 2 x (3 x 32), actor
# 2 x 32, so every CHI run exports straight to the firmware). Resumable: re-running
# continues every run from its checkpoint.
#
#   experiments/classic-control.sh [parallel] [out]   (default 2 at a time, runs/)
#   SEEDS="3 4" AGENTS="chi sac" TASKS=pendulum experiments/classic-control.sh
set -euo pipefail
parallel=${1:-2}
out=${2:-runs}
for task in ${TASKS:-pendulum cartpole-swingup}; do
  case $task in
    pendulum) episodes=50 ;;
    cartpole-swingup) episodes=60 ;;
    *) echo "unknown task $task" >&2; exit 1 ;;
  esac
  "$(dirname "$0")/compare.sh" "$task" "${SEEDS:-0 1 2}" "$episodes" "$parallel" "$out/$task" --preset board
done
