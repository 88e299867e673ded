#!/usr/bin/env bash
# The point-mass comparison: CHI, SAC and CEM-MPC, seeds 0-4, board preset.
#
#   experiments/point-mass.sh [episodes] [parallel] [out] [extra train flags...]
#       (default 100 episodes, 2 at a time, runs/point-mass, the default wall)
#   e.g. experiments/point-mass.sh 40 2 runs/point-mass-high --param opening_centre=0.85
set -euo pipefail
episodes=${1:-100}
parallel=${2:-2}
out=${3:-runs/point-mass}
shift $(( $# < 3 ? $# : 3 ))
exec "$(dirname "$0")/compare.sh" point-mass "0 1 2 3 4" "$episodes" "$parallel" "$out" --preset board "$@"
