#!/usr/bin/env bash
# The Half-Cheetah comparison: CHI, SAC and CEM-MPC, the paper's settings
# (TrainConfig::half_cheetah: ensemble 5 x (3 x 350), SAC 256, K = 500, H = 7), 100 episodes
# of 100 steps. Needs `cargo xtask setup` (MuJoCo). Hours: resume by re-running.
# SEEDS="0 1 2" by default; the published table adds CHI and SAC at seeds 3-4:
#   SEEDS="3 4" AGENTS="chi sac" experiments/half-cheetah.sh 100 2
#
#   experiments/half-cheetah.sh [episodes] [parallel] [out] [extra train flags...]
set -euo pipefail
episodes=${1:-100}
parallel=${2:-2}
out=${3:-runs/half-cheetah}
shift $(( $# < 3 ? $# : 3 ))
exec "$(dirname "$0")/compare.sh" half-cheetah "${SEEDS:-0 1 2}" "$episodes" "$parallel" "$out" "$@"
