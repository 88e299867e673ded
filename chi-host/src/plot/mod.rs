//! Figures from the runs' metrics: learning curves (mean and 95% confidence band over
//! seeds) and Figure 1's statistics over learning (how far the planner moves the amortised
//! plan, and how confident the amortised proposal is), each as PNG and SVG.

mod chart;
mod curves;
mod figure1;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub use chart::{Band, band};
use chart::{EPISODES, Series, both, register_font};
use chi_embedded::envs::point_mass::PointMassTask;
use chi_embedded::task::Task;
pub use curves::{Curve, load};
use curves::{performance_profile, seeds_label, step_curves};

/// The task the runs trained on, as the first `run.toml` among their directories records it
/// ([`crate::world::recorded`]); no run.toml at all: the point mass.
fn task(curves: &BTreeMap<String, Vec<Curve>>) -> Result<String> {
    let mut tomls: Vec<PathBuf> = curves
        .values()
        .flatten()
        .map(|c| c.dir.join("run.toml"))
        .filter(|p| p.is_file())
        .collect();
    tomls.sort();
    let Some(first) = tomls.first() else {
        return Ok(PointMassTask::NAME.into());
    };
    let identity: toml::Table = toml::from_str(&std::fs::read_to_string(first)?)
        .with_context(|| format!("{}", first.display()))?;
    Ok(crate::world::recorded(&identity).to_string())
}

/// Draws every figure for the runs in `runs` into `out`; returns the files written.
pub fn figures(runs: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let curves = load(runs)?;
    register_font()?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let per_agent = |f: fn(&Curve) -> &[f32]| -> Vec<Series> {
        curves
            .iter()
            .map(|(agent, runs)| {
                let series: Vec<&[f32]> = runs.iter().map(f).collect();
                (seeds_label(agent, runs.len()), band(&series))
            })
            .collect()
    };
    let task = task(&curves)?;
    let (what, axis, lines) = match step_curves(&curves) {
        None => ("return per episode", EPISODES, per_agent(|c| &c.ret)),
        Some((lines, axis)) => ("return of the last ended episode", axis, lines),
    };
    let mut files = both(
        out,
        "learning_curves",
        &format!("{task}: {what} (mean, 95% band)"),
        (axis, "return"),
        &lines,
    )?;
    files.extend(performance_profile(out, &task, &curves)?);
    if let Some(chi) = curves.get("chi") {
        let b = |f: fn(&Curve) -> &[f32]| band(&chi.iter().map(f).collect::<Vec<_>>());
        files.extend(both(
            out,
            "figure1_planner_share",
            "CHI over learning: the planner's share of the decision",
            (EPISODES, "RMS shift of the plan / first-action std"),
            &[
                (
                    "plan shift (final vs amortised mean)".into(),
                    b(|c| &c.plan_shift),
                ),
                (
                    "amortised std of the first action".into(),
                    b(|c| &c.amortised_std),
                ),
            ],
        )?);
        files.extend(figure1::figure1_panels(chi, out)?);
        files.extend(both(
            out,
            "figure1_kl",
            "CHI over learning: KL(amortised || final posterior)",
            (EPISODES, "nats"),
            &[("KL".into(), b(|c| &c.plan_kl))],
        )?);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_titled_with_the_runs_task() {
        let dir = std::env::temp_dir().join(format!("chi-plot-task-{}", std::process::id()));
        let run = dir.join("chi-seed0");
        std::fs::create_dir_all(&run).unwrap();
        let curves = BTreeMap::from([(
            "chi".to_string(),
            vec![Curve {
                agent: "chi".into(),
                dir: run.clone(),
                ..Curve::default()
            }],
        )]);
        assert_eq!(
            task(&curves).unwrap(),
            "point-mass",
            "no run.toml: the point mass"
        );
        std::fs::write(
            run.join("run.toml"),
            "agent = \"chi\"\nenv = \"half-cheetah\"\nseed = 0\n",
        )
        .unwrap();
        assert_eq!(task(&curves).unwrap(), "half-cheetah");
        std::fs::write(run.join("run.toml"), "agent = ").unwrap();
        assert!(task(&curves).is_err(), "a broken run.toml is an error");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
