#!/usr/bin/env bash
# One row per run of runs/<experiment>: episodes done, first episode that reached the goal,
# mean return of the last 10 episodes, closest approach, and the planner's share (mean plan
# shift) over the first and last 10 episodes; then the mean return over all episodes (the area
# under the learning curve: how much return learning cost) and how many episodes reached the goal.
#
#   experiments/summary.sh [runs/point-mass] > experiments/point-mass-summary.csv
set -euo pipefail
dir=${1:-runs/point-mass}
echo "run,episodes,first_success_episode,return_last10,closest_last10,plan_shift_first10,plan_shift_last10,amortised_std_first10,amortised_std_last10,return_mean_all,goal_episodes"
for f in "$dir"/*/metrics.csv; do
  run=$(basename "$(dirname "$f")")
  awk -F, -v run="$run" 'NR > 1 { n++; ret[n] = $5; close_[n] = $7; shift[n] = $8; sd[n] = $10;
      total += $5; if ($6 > 0) { goals++; if (first == "") first = $3 } }
    END {
      if (first == "") first = "none";
      for (i = 1; i <= n; i++) {
        if (i > n - 10) { r += ret[i]; c += close_[i]; sl += shift[i]; dl += sd[i]; kl++ }
        if (i > 1 && i <= 11) { sf += shift[i]; df += sd[i]; kf++ }
      }
      printf "%s,%d,%s,%.3f,%.3f,%.4f,%.4f,%.4f,%.4f,%.3f,%d\n", run, n, first, r / kl, c / kl, sf / kf, sl / kl, df / kf, dl / kl, total / n, goals
    }' "$f"
done
