#!/usr/bin/env bash
# One row per CHI run of runs/<experiment>: its int8 bundle on the firmware in QEMU. Each run
# is exported with the board's planner (one Eq. 4 iteration, each sample through one member,
# K fitted into the task's period on the STM32F405 by the cost model and compiled into the
# firmware) and `chi hil --qemu` plays EPISODES point-mass episodes with
# every action from the board, checked bit for bit against the host; the row gives the
# board's goal rate, mean goal step, return, the host's CHI at K = 500 on the same episodes,
# the normalised return (random policy 0, host 1) and instructions per control step.
# Writes export.log and hil.log into each run.
#
#   experiments/board.sh [runs/point-mass] [EPISODES] > experiments/point-mass-board.csv
set -euo pipefail
dir=${1:-runs/point-mass}
episodes=${2:-5}
chi=$(dirname "$0")/../target/release/chi
[ -x "$chi" ] || { echo "build chi first: cargo build --release -p chi-host" >&2; exit 1; }
echo "run,board_episodes,board_goal_reached,board_goal_step_mean,board_return_mean,host_k500_return_mean,normalised_return,instructions_per_step,bit_exact_episodes"
for run in "$dir"/chi-seed*/; do
  run=${run%/}
  [ -f "$run/checkpoint/state.toml" ] || continue
  "$chi" export --run "$run" > "$run/export.log" 2>&1
  "$chi" hil "$run/bundle-int8.chib" --qemu --episodes "$episodes" --run "$run" > "$run/hil.log" 2>&1 \
    || { echo "$(basename "$run"),hil failed"; continue; }
  awk -v run="$(basename "$run")" '
    /reached goal: at step/ { goals++; for (i = 1; i <= NF; i++) if ($i == "step") { s = $(i + 1); sub(",", "", s); steps += s } }
    /instructions \(QEMU -icount\) per control step/ { ins += $1; n++ }
    /bit for bit/ { exact++ }
    /^normalised return/ { norm = $3; eps = $5; board = $8; sub(",", "", board);
      for (i = 1; i <= NF; i++) if ($i == "ensemble)") { host = $(i + 1); sub(",", "", host) } }
    END { printf "%s,%d,%d,%s,%s,%s,%s,%d,%d\n", run, eps, goals, goals ? sprintf("%.1f", steps / goals) : "", board, host, norm, n ? ins / n : 0, exact }
  ' "$run/hil.log"
done
