#!/usr/bin/env bash
# early-exit-10.sh's compute.csv (experiments/exit-compute.sh's rows, one a training run)
# summarised per exit: the share of steps that skipped planning (all 100 episodes; the last
# 10) and the planner iterations a step, as a mean over the runs and against planning every
# step (label chi).
#
#   experiments/exit-training-summary.sh experiments/early-exit-10/compute.csv
set -euo pipefail
awk -F, '
  NR == 1 { next }
  { if (!($1 in n)) order[++h] = $1; n[$1]++; all[$1] += $5; last[$1] += $6; it[$1] += $8 }
  END {
    print "| exit in training | runs | steps that skip planning: all episodes, last 10 | planner iterations a step | against planning every step |"
    print "|---|---|---|---|---|"
    for (i = 1; i <= h; i++) {
      l = order[i]
      printf "| %s | %d | %.1f%%, %.1f%% | %.2f | %.2f |\n", l, n[l], 100 * all[l] / n[l], 100 * last[l] / n[l], it[l] / n[l], (it[l] / n[l]) / (it["chi"] / n["chi"])
    }
  }' "$1"
