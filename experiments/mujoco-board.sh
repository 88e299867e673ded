#!/usr/bin/env bash
# Hopper-v5 and Reacher-v5 on the board: a CHI run at the board preset for each (resumable:
# re-run to continue), then its int8 bundle on the firmware in QEMU (experiments/board.sh:
# `chi export` fits K into the task's period on the STM32F405, `chi hil --qemu` plays
# EPISODES episodes, every action checked bit for bit against the host).
#
#   experiments/mujoco-board.sh [EPISODES] [SEED]
#     -> experiments/hopper-board.csv, experiments/reacher-board.csv
#
# Needs `cargo xtask setup` (MuJoCo) and chi built with it:
#   cargo build --release -p chi-host --features mujoco
set -euo pipefail
cd "$(dirname "$0")/.."
episodes=${1:-3}
seed=${2:-0}
chi=./target/release/chi
[ -x "$chi" ] || { echo "build chi first: cargo build --release -p chi-host --features mujoco" >&2; exit 1; }
export RAYON_NUM_THREADS=1
for spec in "reacher 200" "hopper 100"; do
  set -- $spec
  task=$1 train_episodes=$2
  out=runs/$task-board
  "$chi" train --env "$task" --agent chi --preset board --seeds "$seed" --episodes "$train_episodes" \
    --out "$out" > "$out-train-seed$seed.log" 2>&1 || { mkdir -p "$out"; echo "training $task failed: see $out-train-seed$seed.log" >&2; exit 1; }
  experiments/board.sh "$out" "$episodes" > "experiments/$task-board.csv"
done
