#!/usr/bin/env bash
# The point-mass comparison of issue 4: CHI, SAC and CEM-MPC, seeds 0-4, one process per agent and
# seed (a cluster scheduler can run the lines of `jobs` anywhere), each resumable: re-running
# this script continues every run from its last checkpoint.
#
#   experiments/point-mass.sh [episodes] [parallel] [out] [extra train flags...]
#       (default 100 episodes, 2 at a time, runs/point-mass, the default wall)
#   e.g. experiments/point-mass.sh 40 2 runs/point-mass-high --opening-centre 0.85
#
# Writes <out>/<agent>-seed<N>/metrics.csv; experiments/summary.sh tabulates them.
set -euo pipefail
cd "$(dirname "$0")/.."
episodes=${1:-100}
parallel=${2:-2}
out=${3:-runs/point-mass}
shift $(( $# < 3 ? $# : 3 ))
extra="$*"
cargo build --quiet --release -p chi-host
# One compute thread per run: candle's pool would otherwise make parallel runs fight for
# the cores (measured: two runs at once, each with the full pool, took 4x longer per episode).
export RAYON_NUM_THREADS=1
jobs() {
  for seed in 0 1 2 3 4; do
    for agent in chi sac cem; do
      echo "./target/release/chi train --env point-mass --agent $agent --preset board --seeds $seed --episodes $episodes --out $out $extra"
    done
  done
}
jobs | xargs -P "$parallel" -I{} sh -c '{} > /dev/null 2>&1 || echo "failed: {}"'
