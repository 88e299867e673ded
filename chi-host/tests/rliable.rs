//! `chi report`'s statistics against rliable's on a recorded input
//! (`data/rliable_record.py` made both files): the point estimates to rounding, the bootstrap
//! intervals to Monte Carlo error.

use std::collections::BTreeMap;

use chi_embedded::rng::ChiRng;
use chi_host::report::stats::{self, Interval, Scores};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
const REPS: usize = 50_000;
const TAUS: [f64; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

fn read(name: &str) -> Vec<Vec<String>> {
    std::fs::read_to_string(format!("{DATA}/{name}"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// An aggregate of a score matrix.
type Statistic = fn(&Scores) -> f64;

/// Each agent's scores, `[task][run]`.
fn scores() -> BTreeMap<String, Scores> {
    let mut by: BTreeMap<String, Vec<Vec<f64>>> = BTreeMap::new();
    for row in read("rliable_scores.csv") {
        let (task, run): (usize, usize) = (row[1].parse().unwrap(), row[2].parse().unwrap());
        let tasks = by.entry(row[0].clone()).or_default();
        tasks.resize(tasks.len().max(task + 1), Vec::new());
        assert_eq!(tasks[task].len(), run, "runs in order");
        tasks[task].push(row[3].parse().unwrap());
    }
    by.into_iter()
        .map(|(a, t)| (a, Scores::new(t).unwrap()))
        .collect()
}

/// Checks one estimate: the point to rounding, each end of the interval within Monte Carlo
/// error (3% of the interval's width) or one step of a statistic that moves in steps.
fn check(what: &str, got: Interval, want: Interval, step: f64) {
    println!(
        "{what}: chi {got:?}\n{:w$}rliable {want:?}",
        "",
        w = what.len() + 2
    );
    assert!((got.point - want.point).abs() < 1e-6, "{what}: point");
    let slack = (0.03 * (want.high - want.low)).max(step) + 1e-9;
    assert!((got.low - want.low).abs() <= slack, "{what}: low end");
    assert!((got.high - want.high).abs() <= slack, "{what}: high end");
}

#[test]
fn the_estimates_are_rliables() {
    let scores = scores();
    let mut want = BTreeMap::new();
    for row in read("rliable_results.csv") {
        let v: Vec<f64> = row[2..].iter().map(|x| x.parse().unwrap()).collect();
        let i = Interval {
            point: v[0],
            low: v[1],
            high: v[2],
        };
        want.insert((row[0].clone(), row[1].clone()), i);
    }
    assert_eq!(want.len(), 3 * 3 + 2 + 3 * TAUS.len());
    let mut rng = ChiRng::new(11);
    let aggregates: [(&str, Statistic); 3] = [
        ("iqm", stats::iqm),
        ("mean", stats::mean),
        ("median", stats::median),
    ];
    for (agent, s) in &scores {
        for (name, f) in aggregates {
            let got = stats::bootstrap(s, f, REPS, &mut rng);
            check(
                &format!("{agent} {name}"),
                got,
                want[&(agent.clone(), name.into())],
                0.0,
            );
        }
        let got = stats::bootstrap_distribution(s, &TAUS, REPS, &mut rng);
        for (tau, got) in TAUS.iter().zip(got) {
            let key = (agent.clone(), format!("score_distribution@{tau:?}"));
            // One run of ten on one task of three moves the fraction by 1/30.
            check(&format!("{agent} above {tau}"), got, want[&key], 1.0 / 30.0);
        }
    }
    for other in ["sac", "cem"] {
        let got = stats::bootstrap_improvement(&scores["chi"], &scores[other], REPS, &mut rng);
        let key = (format!("chi>{other}"), "probability_of_improvement".into());
        check(&format!("P(chi > {other})"), got, want[&key], 0.005);
    }
}
