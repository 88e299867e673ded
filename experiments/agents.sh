#!/usr/bin/env bash
# One row per agent of runs/<experiment>: seeds, the episodes every seed has reached (n), and
# over seeds the mean, standard deviation and per-seed values of two returns: the mean of
# episodes [n-10, n) (where the agent ends) and of all episodes [0, n) (how fast it got there,
# the area under the learning curve). Every agent is compared at the same number of steps.
# With EPISODES given, only the runs that reached it count, compared at that episode.
#
#   experiments/agents.sh [runs/half-cheetah] [EPISODES] > experiments/half-cheetah-agents.csv
set -euo pipefail
dir=${1:-runs/half-cheetah}
if ! ls "$dir"/*/metrics.csv >/dev/null 2>&1; then
  echo "agents.sh: no runs with metrics.csv in '$dir' (train some first: experiments/half-cheetah.sh)" >&2
  exit 1
fi
echo "agent,seeds,episodes,return_last10_mean,return_last10_sd,return_last10_per_seed,return_all_mean,return_all_sd,return_all_per_seed"
done_() { echo $(( $(wc -l < "$1") - 1 )); }
if [ -n "${2:-}" ]; then
  common=$2
else
  common=$(for f in "$dir"/*/metrics.csv; do done_ "$f"; done | sort -n | head -1)
fi
# Mean return of episodes [lo, n) of each metrics.csv given, one line each.
window() {
  local lo=$1; shift
  for f in "$@"; do
    awk -F, -v lo="$lo" -v n="$common" 'NR > 1 && $3 >= lo && $3 < n { r += $5; k++ } END { printf "%.3f\n", r / k }' "$f"
  done
}
# "mean,sd,v1;v2;..." of the lines on stdin (sd over seeds, n - 1).
stats() {
  awk '{ x[NR] = $1; s += $1 }
    END { m = s / NR; for (i = 1; i <= NR; i++) v += (x[i] - m) ^ 2;
          sd = NR > 1 ? sqrt(v / (NR - 1)) : 0; list = x[1]; for (i = 2; i <= NR; i++) list = list ";" x[i];
          printf "%.3f,%.3f,%s", m, sd, list }'
}
for agent in chi sac cem; do
  runs=()
  for f in "$dir"/"$agent"-seed*/metrics.csv; do
    [ -f "$f" ] && [ "$(done_ "$f")" -ge "$common" ] && runs+=("$f")
  done
  [ ${#runs[@]} -eq 0 ] && continue
  echo "$agent,${#runs[@]},$common,$(window $(( common - 10 )) "${runs[@]}" | stats),$(window 0 "${runs[@]}" | stats)"
done
