#!/usr/bin/env bash
# The early exit: CHI on the point mass (board preset) with SAC's temperature fixed (the
# paper's alpha = 0.2) and tuned towards -2 nats (minus the two actions), the latter with the
# exit at its default threshold and with it off (planning every step). Resumable.
#
#   experiments/early-exit.sh [episodes] [parallel] [seeds]
#       (default 100 episodes, 1 at a time, seeds "0 1 2"); runs in runs/early-exit/
#   experiments/summary.sh runs/early-exit/fixed   # and tuned, tuned-no-exit
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
