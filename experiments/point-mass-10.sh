#!/usr/bin/env bash
# The point mass at the default wall over 10 seeds, for the aggregate report: CHI with the
# value past the horizon (the board preset's default), the paper's CHI (Eq. 4 on the 7
# rewards alone), SAC and CEM-MPC, board preset, 100 episodes each. Resumable.
#
#   experiments/point-mass-10.sh [parallel]          # runs in runs/pm10/{value,paper}
#   then chi report, as experiments/README.md "The point mass over 10 seeds" shows
set -euo pipefail
cd "$(dirname "$0")/.."
parallel=${1:-2}
seeds="0 1 2 3 4 5 6 7 8 9"
AGENTS="chi sac cem" experiments/compare.sh point-mass "$seeds" 100 "$parallel" runs/pm10/value --preset board
AGENTS=chi experiments/compare.sh point-mass "$seeds" 100 "$parallel" runs/pm10/paper --preset board --terminal-value false
