//! The runs' metrics as learning curves: each run's returns and the planner's statistics,
//! per agent; drawn on the episode axis, or on the step axis when episodes end early; and the
//! performance profile over the runs' final returns.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::chart::{Series, XAxis, band, both};
use crate::train::MetricsTable;

/// One run's per-episode metrics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Curve {
    /// Agent name.
    pub agent: String,
    /// The run's directory (its run.toml says the task; CHI's figure1.csv, Figure 1's panels).
    pub dir: PathBuf,
    /// Return per episode.
    pub ret: Vec<f32>,
    /// Environment steps taken when each episode ended.
    pub ends: Vec<u64>,
    /// Plan shift per episode.
    pub plan_shift: Vec<f32>,
    /// KL(amortised || posterior) per episode.
    pub plan_kl: Vec<f32>,
    /// Amortised first-action std per episode.
    pub amortised_std: Vec<f32>,
}

/// Reads every `*/metrics.csv` below `dir`, grouped by agent.
pub fn load(dir: &Path) -> Result<BTreeMap<String, Vec<Curve>>> {
    let mut out: BTreeMap<String, Vec<Curve>> = BTreeMap::new();
    for table in MetricsTable::read_all(dir)? {
        let Some(agent) = table.label()? else {
            continue;
        };
        // The planner's statistics are CHI's; a baseline's file (another program's episodes
        // turned into metrics.csv, say) may leave them out.
        let optional = |name: &str| -> Result<Vec<f32>> {
            if table.has(name) {
                table.column(name)
            } else {
                Ok(Vec::new())
            }
        };
        let curve = Curve {
            agent,
            dir: table
                .path()
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            ret: table.column("return")?,
            ends: table.column("env_steps")?,
            plan_shift: optional("plan_shift")?,
            plan_kl: optional("plan_kl")?,
            amortised_std: optional("amortised_std")?,
        };
        out.entry(curve.agent.clone()).or_default().push(curve);
    }
    if out.is_empty() {
        bail!("no runs with metrics in '{}'", dir.display());
    }
    Ok(out)
}

/// The learning curves of runs whose episodes end early, on the step axis: each agent's band
/// over its runs' returns at `POINTS` evenly spaced steps up to the steps the shortest run
/// has taken (the last ended episode's, [`crate::report::steps`]), and that axis. `None` if
/// every episode of every run has one length, where the episode axis says the same.
pub(super) fn step_curves(
    curves: &BTreeMap<String, Vec<Curve>>,
) -> Option<(Vec<Series>, XAxis<'static>)> {
    const POINTS: usize = 100;
    let lengths = |c: &Curve| -> Vec<u64> {
        c.ends
            .iter()
            .scan(0, |before, &end| {
                let len = end.saturating_sub(*before);
                *before = end;
                Some(len)
            })
            .collect()
    };
    let all: Vec<&Curve> = curves.values().flatten().collect();
    let first = lengths(all.first()?).first().copied();
    if all
        .iter()
        .all(|c| lengths(c).iter().all(|&l| Some(l) == first))
    {
        return None;
    }
    let shortest = all.iter().filter_map(|c| c.ends.last()).min().copied()?;
    let grid = crate::report::steps::grid(shortest, POINTS);
    let mut out = Vec::new();
    for (agent, runs) in curves {
        let mut series: Vec<Vec<f32>> = Vec::new();
        for c in runs {
            let returns: Vec<f64> = c.ret.iter().map(|&r| f64::from(r)).collect();
            let curve = crate::report::steps::StepCurve::new(&c.ends, &returns)?;
            series.push(grid.iter().map(|&t| curve.at(t) as f32).collect());
        }
        let refs: Vec<&[f32]> = series.iter().map(Vec::as_slice).collect();
        out.push((seeds_label(agent, runs.len()), band(&refs)));
    }
    let step = shortest as f32 / POINTS as f32;
    Some((
        out,
        XAxis {
            label: "environment steps",
            start: step,
            step,
        },
    ))
}

/// A learning curve's legend: the agent and its number of seeds.
pub(super) fn seeds_label(agent: &str, seeds: usize) -> String {
    let s = if seeds == 1 { "" } else { "s" };
    format!("{} ({seeds} seed{s})", agent.to_uppercase())
}

/// The run-score distribution of each agent's final return (the mean of its last 10
/// episodes, or of all if fewer): the fraction of runs above each threshold, with a 95%
/// bootstrap band (rliable's performance profile; `chi report` gives the numbers).
pub(super) fn performance_profile(
    out: &Path,
    task: &str,
    curves: &BTreeMap<String, Vec<Curve>>,
) -> Result<Vec<PathBuf>> {
    let finals: BTreeMap<&str, Vec<f64>> = curves
        .iter()
        .map(|(agent, runs)| {
            let last = |c: &Curve| {
                let tail = &c.ret[c.ret.len().saturating_sub(10)..];
                tail.iter().map(|r| f64::from(*r)).sum::<f64>() / tail.len().max(1) as f64
            };
            (agent.as_str(), runs.iter().map(last).collect())
        })
        .collect();
    let all = finals.values().flatten().copied().filter(|x| x.is_finite());
    let (lo, hi) = all.fold((f64::MAX, f64::MIN), |(l, h), x| (l.min(x), h.max(x)));
    if lo >= hi {
        return Ok(Vec::new());
    }
    const POINTS: usize = 60;
    let step = (hi - lo) / (POINTS - 1) as f64;
    let taus: Vec<f64> = (0..POINTS).map(|i| lo + i as f64 * step).collect();
    let mut rng = chi_embedded::rng::ChiRng::new(0);
    let mut lines = Vec::new();
    for (agent, runs) in &finals {
        let Some(scores) = crate::report::stats::Scores::new(vec![runs.clone()]) else {
            continue;
        };
        let band = crate::report::stats::bootstrap_distribution(&scores, &taus, 2000, &mut rng)
            .iter()
            .map(|i| (i.point as f32, i.low as f32, i.high as f32))
            .collect();
        lines.push((
            format!("{} ({} runs)", agent.to_uppercase(), runs.len()),
            band,
        ));
    }
    let axis = XAxis {
        label: "final return (mean of the last 10 episodes)",
        start: lo as f32,
        step: step as f32,
    };
    both(
        out,
        "performance_profile",
        &format!("{task}: fraction of runs above a final return (95% bootstrap band)"),
        (axis, "fraction of runs"),
        &lines,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(ret: &[f32], ends: &[u64]) -> Curve {
        Curve {
            agent: "chi".into(),
            ret: ret.to_vec(),
            ends: ends.to_vec(),
            ..Curve::default()
        }
    }

    #[test]
    fn runs_whose_episodes_end_early_are_drawn_on_the_step_axis() {
        let fixed: BTreeMap<String, Vec<Curve>> = [(
            "chi".to_string(),
            vec![
                curve(&[1.0, 2.0], &[50, 100]),
                curve(&[3.0, 4.0], &[50, 100]),
            ],
        )]
        .into();
        assert!(
            step_curves(&fixed).is_none(),
            "one episode length: episodes"
        );
        let ending: BTreeMap<String, Vec<Curve>> = [(
            "chi".to_string(),
            vec![
                curve(&[1.0, 2.0], &[30, 100]),
                curve(&[3.0, 4.0, 5.0], &[50, 100, 200]),
            ],
        )]
        .into();
        let (lines, axis) = step_curves(&ending).unwrap();
        assert_eq!(axis.label, "environment steps");
        assert_eq!(
            (axis.start, axis.step),
            (1.0, 1.0),
            "up to the shortest run's 100"
        );
        let (label, b) = &lines[0];
        assert_eq!(label, "CHI (2 seeds)");
        assert_eq!(b.len(), 100);
        // Run 0 reads 1 to step 99, then 2; run 1 reads 3 to step 99, then 4.
        let means: Vec<f32> = b.iter().map(|(m, _, _)| *m).collect();
        assert_eq!((means[0], means[98], means[99]), (2.0, 2.0, 3.0));
    }
}
