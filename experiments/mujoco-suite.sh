#!/usr/bin/env bash
# CHI, SAC and CEM-MPC on the MuJoCo suite at the paper's sizes (TrainConfig's presets for
# each task), 10 000 environment steps each, the paper's Half-Cheetah budget: Reacher-v5,
# 200 episodes of 50 steps, and Hopper-v5, each episode to its fall or its 1000th step, as
# many as fit in 10 000 steps (about 120 for an agent that falls after 80 steps; the model's
# refit after every episode over all the data makes its cost grow with the square of the
# steps, so 30 000 steps would cost each model-based run 9 times as much).
# Needs `cargo xtask setup` (MuJoCo). Hours: every run resumes by re-running this script.
#
#   experiments/mujoco-suite.sh [seeds] [parallel] [out]     # default "0 1 2" 2 runs: runs/reacher, runs/hopper
#
# Then, for each task, `chi report` on the training returns into
# experiments/mujoco-<task>-report.{md,csv}, each run as trained over 10 noise-free episodes
# into experiments/mujoco-<task>-eval.csv (training returns carry the exploration noise,
# whose control cost alone is about -9 over a Reacher episode), and `chi plot` into
# figures/mujoco-<task>. Reacher's episodes have one length and are compared
# episode by episode; a hopper's end when it falls, so runs of 100 episodes have taken
# different numbers of steps, and they are compared over the steps the shortest has taken
# (`chi report --steps`; `chi plot` draws such runs on the step axis).
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-0 1 2}
parallel=${2:-2}
out=${3:-runs}
chi=${CHI_BIN:-./target/release/chi}
[ -n "${CHI_BIN:-}" ] || cargo build --quiet --release -p chi-host --features mujoco
export CHI_BIN=$chi
experiments/compare.sh reacher "$seeds" 200 "$parallel" "$out/reacher"
experiments/compare.sh hopper "$seeds" 1000 "$parallel" "$out/hopper" --steps 10000
for task in reacher hopper; do
  steps=()
  if [ "$task" = hopper ]; then
    steps=(--steps 10000)
  fi
  "$chi" report --runs "$out/$task" "${steps[@]}" \
    --markdown "experiments/mujoco-$task-report.md" --csv "experiments/mujoco-$task-report.csv"
  "$chi" plot --runs "$out/$task" --out "figures/mujoco-$task"
  CHI_BIN=$chi experiments/evaluate.sh "$out/$task" 10 > "experiments/mujoco-$task-eval.csv"
done
