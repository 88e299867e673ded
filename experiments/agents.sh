#!/usr/bin/env bash
# One row per agent of runs/<experiment>: seeds, the episodes every seed has reached, and the
# mean and standard deviation over seeds of the mean return of episodes [n-10, n) where n is
# that common episode count (so every agent is compared at the same number of steps). With
# EPISODES given, only the runs that reached it count, compared at that episode.
#
#   experiments/agents.sh [runs/half-cheetah] [EPISODES] > experiments/half-cheetah-agents.csv
set -euo pipefail
dir=${1:-runs/half-cheetah}
echo "agent,seeds,episodes,return_last10_mean,return_last10_sd,return_last10_per_seed"
done_() { echo $(( $(wc -l < "$1") - 1 )); }
if [ -n "${2:-}" ]; then
  common=$2
else
  common=$(for f in "$dir"/*/metrics.csv; do done_ "$f"; done | sort -n | head -1)
fi
for agent in chi sac cem; do
  files=$(ls "$dir"/"$agent"-seed*/metrics.csv 2>/dev/null || true)
  [ -z "$files" ] && continue
  for f in $files; do
    [ "$(done_ "$f")" -ge "$common" ] || continue
    awk -F, -v n="$common" 'NR > 1 && $3 >= n - 10 && $3 < n { r += $5; k++ } END { printf "%.3f\n", r / k }' "$f"
  done | awk -v agent="$agent" -v n="$common" '{ x[NR] = $1; s += $1 }
    END { if (NR == 0) exit; m = s / NR; for (i = 1; i <= NR; i++) v += (x[i] - m) ^ 2;
          sd = NR > 1 ? sqrt(v / (NR - 1)) : 0; list = x[1]; for (i = 2; i <= NR; i++) list = list ";" x[i];
          printf "%s,%d,%d,%.3f,%.3f,%s\n", agent, NR, n, m, sd, list }'
done
