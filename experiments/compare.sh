#!/usr/bin/env bash
# CHI, SAC and CEM-MPC on one environment, one process per agent and seed (a cluster
# scheduler can run the lines of `jobs` anywhere), each resumable: re-running this script
# continues every run from its last checkpoint. point-mass.sh and half-cheetah.sh call it.
#
#   experiments/compare.sh ENV "SEEDS" EPISODES PARALLEL OUT [extra train flags...]
#
# AGENTS="chi" (say) runs a subset of the three agents. CHI_BIN=path runs that binary
# instead of building target/release/chi (a copy keeps hours of runs on one build while
# the tree changes).
#
# Writes <out>/<agent>-seed<N>/metrics.csv (and a log beside it); experiments/summary.sh
# tabulates them.
set -euo pipefail
cd "$(dirname "$0")/.."
env=$1 seeds=$2 episodes=$3 parallel=$4 out=$5
shift 5
extra="$*"
. experiments/chi-bin.sh
if [ "$env" = half-cheetah ]; then chi=$(chi_bin mujoco); else chi=$(chi_bin); fi
# One compute thread per run: candle's pool would otherwise make
# parallel runs fight for the cores (measured on the point mass: two runs at once, each with
# the full pool, took 4x longer per episode).
export RAYON_NUM_THREADS=1
mkdir -p "$out"
jobs() {
  for seed in $seeds; do
    for agent in ${AGENTS:-chi sac cem}; do
      echo "$chi train --env $env --agent $agent --seeds $seed --episodes $episodes --out $out $extra > $out/$agent-seed$seed.log 2>&1"
    done
  done
}
jobs | xargs -P "$parallel" -I{} sh -c '{} || echo "failed: {}"'
