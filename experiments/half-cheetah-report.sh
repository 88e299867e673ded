#!/usr/bin/env bash
# Half-Cheetah at 10 seeds and its ablations in one report: every finished run (100
# episodes) of the 10-seed CHI and SAC runs (experiments/half-cheetah.sh into runs/hc10) and
# of the ablation sweep (experiments/half-cheetah-ablations.toml into runs/hc-ablations) has
# its metrics.csv and run.toml copied into experiments/half-cheetah-10/, each under the label
# it is compared by: chi, sac, cem, chi-nocf (no counterfactual rollouts), chi-value (the
# value past the horizon). Then `chi report` (P(CHI > each), so CHI against its ablations too)
# into report.{md,csv} there and `chi plot` into figures/half-cheetah-10.
#
#   experiments/half-cheetah-report.sh [runs]     # default: runs
# CHI_BIN=path uses that binary (by default target/release/chi, built with MuJoCo).
set -euo pipefail
cd "$(dirname "$0")/.."
. experiments/keep-run.sh
runs=${1:-runs}
. experiments/chi-bin.sh
chi=$(chi_bin mujoco)
keep=experiments/half-cheetah-10
episodes=100
# keep <run directory> <label>: copies a finished run's record.
keep() {
  local run=$1 label=$2 m=$1/metrics.csv
  [ -f "$m" ] && [ "$(($(wc -l < "$m") - 1))" -ge "$episodes" ] || return 0
  keep_run "$run" "$keep/$label-seed${run##*-seed}"
}
for run in "$runs"/hc10/chi-seed* "$runs"/hc10/sac-seed*; do
  [ -d "$run" ] && keep "$run" "$(basename "${run%-seed*}")"
done
ablations=$runs/hc-ablations/half-cheetah
for run in "$ablations"/default/cem-seed*; do [ -d "$run" ] && keep "$run" cem; done
for run in "$ablations"/no-counterfactual/chi-seed*; do [ -d "$run" ] && keep "$run" chi-nocf; done
for run in "$ablations"/value/chi-seed*; do [ -d "$run" ] && keep "$run" chi-value; done
"$chi" report --runs "$keep" --markdown "$keep/report.md" --csv "$keep/report.csv"
"$chi" plot --runs "$keep" --out figures/half-cheetah-10 > /dev/null
