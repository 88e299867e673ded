#!/usr/bin/env bash
# The early exit in training, from a sweep of CHI runs whose variants are "off" (planning
# every step) and "habit-<sigmas>" (experiments/point-mass-habit.toml,
# half-cheetah-habit.toml): runs the sweep (resumable), copies the finished runs into
# KEEP/<label>-seed<N> (chi: no exit; chi-habit-<sigmas>), `chi report` gives their returns
# with intervals and P(no exit > each habit), KEEP/compute.csv the planner's work a run
# (experiments/exit-compute.sh), and the summary table is printed.
#
#   experiments/early-exit-training.sh SWEEP KEEP [jobs]    # CHI_BIN=path uses that binary
set -euo pipefail
cd "$(dirname "$0")/.."
. experiments/keep-run.sh
[ $# -ge 2 ] || { echo "usage: $0 SWEEP KEEP [jobs]" >&2; exit 2; }
sweep=$1 keep=$2 jobs=${3:-2}
. experiments/chi-bin.sh
chi=$(chi_bin)
RAYON_NUM_THREADS=1 "$chi" sweep "$sweep" --jobs "$jobs"
rm -rf "$keep" && mkdir -p "$keep"
# Each listed command ends "--seeds N ... --out DIR" with DIR's last part the variant.
"$chi" sweep --list "$sweep" | sed -E 's/.*--seeds ([0-9]+) .*--out ([^ ]+).*/\1 \2/' |
  while read -r seed dir; do
    variant=${dir##*/}
    label=chi; [ "$variant" = off ] || label=chi-$variant
    keep_run "$dir/chi-seed$seed" "$keep/$label-seed$seed"
  done
"$chi" report --runs "$keep" --markdown "$keep/report.md" --csv "$keep/report.csv"
{
  experiments/exit-compute.sh --header
  for m in "$keep"/*/metrics.csv; do
    label=$(basename "$(dirname "$m")")
    experiments/exit-compute.sh "${label%-seed*}" "$m"
  done
} > "$keep/compute.csv"
experiments/exit-training-summary.sh "$keep/compute.csv"
