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
# Then experiments/mujoco-report.sh: `chi report --steps 10000` on the training returns,
# each run as trained over 10 noise-free episodes (training returns carry the exploration
# noise, whose control cost alone is about -9 over a Reacher episode), and `chi plot`, into
# experiments/mujoco-10k/<task>/ and figures/mujoco-<task>. Reacher's episodes all last 50
# steps; a hopper's end when it falls, so `chi plot` draws its runs on the step axis.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-0 1 2}
parallel=${2:-2}
out=${3:-runs}
. experiments/chi-bin.sh
chi=$(chi_bin mujoco)
export CHI_BIN=$chi
experiments/compare.sh reacher "$seeds" 200 "$parallel" "$out/reacher"
experiments/compare.sh hopper "$seeds" 1000 "$parallel" "$out/hopper" --steps 10000
experiments/mujoco-report.sh "$out"
