#!/usr/bin/env bash
# The MuJoCo suite's summaries from the runs that have finished (10 000 environment steps;
# run it while others go on): each finished run's metrics.csv and run.toml copied to
# experiments/mujoco-10k/<task>/<run>/, chi's runs evaluated without noise (10 episodes
# each) into eval.csv there, `chi report --steps 10000` over them (training returns, and the
# noise-free ones from eval.csv) into report.{md,csv}, and `chi plot` into
# figures/mujoco-<task>.
#
#   experiments/mujoco-report.sh [runs] [tasks]   # runs/reacher, runs/hopper; tasks "reacher hopper"
# CHI_BIN=path uses that binary (by default target/release/chi, built with MuJoCo).
set -euo pipefail
cd "$(dirname "$0")/.."
. experiments/keep-run.sh
runs=${1:-runs}
. experiments/chi-bin.sh
chi=$(chi_bin mujoco)
steps=10000
for task in ${2:-reacher hopper}; do
  keep=experiments/mujoco-10k/$task
  mkdir -p "$keep"
  for run in "$runs/$task"/*/; do
    run=${run%/}
    m=$run/metrics.csv
    [ -f "$m" ] && [ "$(tail -n 1 "$m" | cut -d, -f4)" -ge "$steps" ] || continue
    keep_run "$run" "$keep/$(basename "$run")"
  done
  {
    echo "run,agent,episodes_trained,eval_episodes,eval_return_mean,eval_goal_reached,eval_goal_step_mean"
    for run in "$keep"/*/; do
      name=$(basename "$run")
      run=$runs/$task/$name
      [ -f "$run/config.toml" ] || continue
      # A run evaluated before at as many episodes keeps its row (the evaluation is seeded).
      trained=$(($(wc -l < "$run/metrics.csv") - 1))
      before=$([ ! -f "$keep/eval.csv" ] || awk -F, -v n="$name" -v e="$trained" '$1 == n && $3 == e' "$keep/eval.csv")
      if [ -n "$before" ]; then
        echo "$before"
      else
        "$chi" eval --run "$run" --episodes 10 --csv 2>/dev/null || echo "$name,eval failed"
      fi
    done
  } > "$keep/eval.csv.part"
  mv "$keep/eval.csv.part" "$keep/eval.csv"
  # The report reads eval.csv as its third score.
  "$chi" report --runs "$keep" --steps "$steps" --markdown "$keep/report.md" --csv "$keep/report.csv"
  "$chi" plot --runs "$keep" --out "figures/mujoco-$task" > /dev/null
done
