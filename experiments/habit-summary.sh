#!/usr/bin/env bash
# A habit-board CSV (experiments/habit-board.sh: one row a run and habit) summarised per
# habit over the runs, each run paired with itself without the exit: the normalised return
# (mean, and its change against the same run without the exit: mean, lowest, highest), the
# share of steps that skip planning and the mean modelled cycles a step against planning
# every step (mean, and the worst step of any run).
#
#   experiments/habit-summary.sh experiments/habit-board-point-mass-10.csv
set -euo pipefail
awk -F, '
  NR == 1 { next }
  $2 == "off" { off_ret[$1] = $3; off_cyc[$1] = $6 }
  { rows[NR] = $0; if (!($2 in seen)) { seen[$2] = 1; order[++h] = $2 } }
  END {
    print "| exit on the board | runs | normalised return, mean | change against no exit: mean [lowest, highest] | steps that skip planning | cycles a step, mean, against no exit | worst step, cycles |"
    print "|---|---|---|---|---|---|---|"
    for (i = 1; i <= h; i++) {
      hb = order[i]; n = 0; r = 0; d = 0; lo = 1e9; hi = -1e9; sk = 0; rel = 0; w = 0
      for (k in rows) {
        split(rows[k], f, ",")
        if (f[2] != hb || !(f[1] in off_ret)) continue
        n++; r += f[3]; x = f[3] - off_ret[f[1]]; d += x
        if (x < lo) lo = x; if (x > hi) hi = x
        sk += f[5]; rel += f[6] / off_cyc[f[1]]; if (f[7] > w) w = f[7]
      }
      printf "| %s | %d | %.3f | %+.3f [%+.3f, %+.3f] | %.0f%% | %.2f | %.2f M |\n", hb, n, r / n, d / n, lo, hi, 100 * sk / n, rel / n, w / 1e6
    }
  }' "$1"
