#!/usr/bin/env bash
# The planner's work and the return of CHI training runs, one CSV row a run, for the early
# exit's experiments: the return (last 10 episodes; all), the share of steps whose planning
# the exit skipped (all; last 10), the amortised first action's std (last 10) and the planner
# iterations a step (all). Reads each run's metrics.csv (100 episodes or any other count).
#
#   experiments/exit-compute.sh --header
#   experiments/exit-compute.sh LABEL METRICS_CSV...
set -euo pipefail
if [ "${1:-}" = --header ]; then
  echo "variant,seed,return_last10,return_mean_all,exit_share_all,exit_share_last10,amortised_std_last10,iterations_mean"
  exit
fi
label=$1; shift
for m in "$@"; do
  awk -F, -v v="$label" 'NR > 1 { rows[++n] = $0 }
    END {
      for (i = 1; i <= n; i++) {
        split(rows[i], f, ","); ee += f[11]; it += f[12]; r += f[5]; seed = f[2]
        if (i > n - 10) { l += f[5]; le += f[11]; s += f[10]; k++ }
      }
      printf "%s,%s,%.3f,%.3f,%.4f,%.4f,%.4f,%.3f\n", v, seed, l / k, r / n, ee / n, le / k, s / k, it / n
    }' "$m"
done
