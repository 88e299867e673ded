"""Records rliable's estimates on a fixed score matrix, for chi-host/tests/rliable.rs.

    python3 -m venv /tmp/rl && /tmp/rl/bin/pip install rliable==1.2.0 "pandas<3"
    /tmp/rl/bin/python chi-host/tests/data/rliable_record.py

writes rliable_scores.csv (agent,task,run,score) and rliable_results.csv
(agent,statistic,point,low,high) beside this file (recorded with rliable 1.2.0, arch 7.2.0,
numpy 2.4.6, scipy 1.17.1, pandas 2.3.3; arch fails to import under pandas 3). Three agents, three tasks (so the median of task means is not their mean), ten runs each:
skewed, with an outlier and ties, so the IQM differs from the mean and ties count.
"""
import csv
import os

import numpy as np
from rliable import library as rly
from rliable import metrics

HERE = os.path.dirname(os.path.abspath(__file__))
REPS = 50_000
TAUS = [0.0, 0.25, 0.5, 0.75, 1.0]

rng = np.random.default_rng(7)
scores = {
    "chi": np.stack([rng.gamma(4.0, 0.2, 10), rng.normal(0.9, 0.3, 10), rng.uniform(0.0, 2.0, 10)], axis=1),
    "sac": np.stack([rng.gamma(3.0, 0.2, 10), rng.normal(0.7, 0.3, 10), rng.uniform(0.5, 1.0, 10)], axis=1),
    "cem": np.stack([rng.uniform(0.0, 0.6, 10), rng.normal(0.2, 0.1, 10), rng.uniform(0.0, 0.3, 10)], axis=1),
}
scores["chi"][3, 0] = 4.0  # an outlier the IQM cuts
scores["sac"][:3, 1] = 0.5  # ties
scores["cem"][:3, 1] = 0.5
scores = {k: np.round(v, 4) for k, v in scores.items()}

with open(os.path.join(HERE, "rliable_scores.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["agent", "task", "run", "score"])
    for agent, m in scores.items():
        for run in range(m.shape[0]):
            for task in range(m.shape[1]):
                w.writerow([agent, task, run, f"{m[run, task]:.4f}"])

rows = []
aggregate = lambda x: np.array(
    [metrics.aggregate_iqm(x), metrics.aggregate_mean(x), metrics.aggregate_median(x)]
)
points, cis = rly.get_interval_estimates(scores, aggregate, reps=REPS)
for agent in scores:
    for i, name in enumerate(["iqm", "mean", "median"]):
        rows.append([agent, name, points[agent][i], cis[agent][0][i], cis[agent][1][i]])
pairs = {"chi,sac": (scores["chi"], scores["sac"]), "chi,cem": (scores["chi"], scores["cem"])}
points, cis = rly.get_interval_estimates(pairs, metrics.probability_of_improvement, reps=REPS)
for pair in pairs:
    rows.append([pair.replace(",", ">"), "probability_of_improvement", points[pair], cis[pair][0], cis[pair][1]])
profiles, profile_cis = rly.create_performance_profile(scores, np.array(TAUS), reps=REPS)
for agent in scores:
    for j, tau in enumerate(TAUS):
        rows.append([agent, f"score_distribution@{tau}", profiles[agent][j], profile_cis[agent][0][j], profile_cis[agent][1][j]])

with open(os.path.join(HERE, "rliable_results.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["agent", "statistic", "point", "low", "high"])
    for r in rows:
        w.writerow([r[0], r[1]] + [f"{float(np.asarray(x).ravel()[0]):.8f}" for x in r[2:]])
