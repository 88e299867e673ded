//! Figures from the runs' metrics: learning curves (mean and 95% confidence band over
//! seeds) and Figure 1's statistics over learning (how far the planner moves the amortised
//! plan, and how confident the amortised proposal is), each as PNG and SVG.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::atomic_file;
use crate::train::MetricsTable;
use chi_embedded::envs::point_mass::PointMassTask;
use chi_embedded::task::Task;

/// Where a sans-serif font is looked for (Debian's fonts-dejavu-core), unless `CHI_FONT`
/// names one.
const FONT_PATHS: [&str; 2] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
];

/// One run's per-episode metrics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Curve {
    /// Agent name.
    pub agent: String,
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
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read runs in '{}'", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| Some(e.ok()?.path().join("metrics.csv")))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for file in files {
        let table = MetricsTable::read(&file)?;
        let Some(agent) = table.agent()? else {
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

/// Mean, lower and upper edge of the band, per episode.
pub type Band = Vec<(f32, f32, f32)>;

/// A named line with its band.
type Series = (String, Band);

/// Two-sided 95% quantile of Student's t with `df` degrees of freedom. Agents are compared
/// over 3-5 seeds, where the normal's 1.96 would draw the band 1.4-2.2x too narrow.
fn t975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => 0.0,
        1..=30 => TABLE[df - 1],
        _ => 1.96,
    }
}

/// Mean and 95% confidence band of the mean (Student's t over the seeds) per episode, over
/// the runs that reached it.
pub fn band(series: &[&[f32]]) -> Band {
    let len = series.iter().map(|s| s.len()).max().unwrap_or(0);
    (0..len)
        .map(|i| {
            let xs: Vec<f64> = series
                .iter()
                .filter_map(|s| s.get(i))
                .map(|v| f64::from(*v))
                .collect();
            let n = xs.len() as f64;
            let mean = xs.iter().sum::<f64>() / n;
            let sd = if n > 1.0 {
                (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
            } else {
                0.0
            };
            let half = t975(xs.len().saturating_sub(1)) * sd / n.sqrt();
            (mean as f32, (mean - half) as f32, (mean + half) as f32)
        })
        .collect()
}

fn register_font() -> Result<()> {
    let path = std::env::var_os("CHI_FONT")
        .map(PathBuf::from)
        .or_else(|| FONT_PATHS.iter().map(PathBuf::from).find(|p| p.is_file()))
        .context("no font for the figures: install Debian's fonts-dejavu-core (`cargo xtask setup` does) or set CHI_FONT=file.ttf")?;
    let bytes: &'static [u8] = Box::leak(
        std::fs::read(&path)
            .with_context(|| format!("reading font {}", path.display()))?
            .into_boxed_slice(),
    );
    plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
        .map_err(|_| anyhow::anyhow!("{} is not a usable font", path.display()))
}

const COLOURS: [RGBColor; 4] = [
    RGBColor(214, 39, 40),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

/// What a chart's x axis counts: point `i` of a series is at `start + i * step`.
#[derive(Clone, Copy)]
struct XAxis<'a> {
    label: &'a str,
    start: f32,
    step: f32,
}

/// The learning curves of runs whose episodes end early, on the step axis: each agent's band
/// over its runs' returns at `POINTS` evenly spaced steps up to the steps the shortest run
/// has taken (the last ended episode's, [`crate::report::steps`]), and that axis. `None` if
/// every episode of every run has one length, where the episode axis says the same.
fn step_curves(curves: &BTreeMap<String, Vec<Curve>>) -> Option<(Vec<Series>, XAxis<'static>)> {
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

/// Learning curves: one point an episode.
const EPISODES: XAxis = XAxis {
    label: "episode",
    start: 0.0,
    step: 1.0,
};

/// One chart: a line and band per named series.
fn chart<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    (x_axis, y_label): (XAxis, &str),
    lines: &[Series],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
    let x_max = lines.iter().map(|(_, b)| b.len()).max().unwrap_or(1).max(2) as f32;
    let (mut lo, mut hi) = (f32::MAX, f32::MIN);
    for (_, b) in lines {
        for (_, l, h) in b {
            lo = lo.min(*l);
            hi = hi.max(*h);
        }
    }
    if lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less) {
        (lo, hi) = (lo - 1.0, lo + 1.0);
    }
    let pad = 0.05 * (hi - lo);
    let mut c = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(
            x_axis.start..x_axis.start + (x_max - 1.0) * x_axis.step,
            (lo - pad)..(hi + pad),
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    c.configure_mesh()
        .x_desc(x_axis.label)
        .y_desc(y_label)
        .draw()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let at = |i: usize| x_axis.start + i as f32 * x_axis.step;
    for (i, (name, b)) in lines.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let upper: Vec<(f32, f32)> = b
            .iter()
            .enumerate()
            .map(|(x, (_, _, h))| (at(x), *h))
            .collect();
        let lower: Vec<(f32, f32)> = b
            .iter()
            .enumerate()
            .rev()
            .map(|(x, (_, l, _))| (at(x), *l))
            .collect();
        c.draw_series(std::iter::once(Polygon::new(
            [upper, lower].concat(),
            colour.mix(0.2),
        )))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        c.draw_series(LineSeries::new(
            b.iter().enumerate().map(|(x, (m, _, _))| (at(x), *m)),
            colour.stroke_width(2),
        ))
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .label(name.as_str())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2)));
    }
    c.configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// Writes `name.png` and `name.svg` in `out`.
fn both(
    out: &Path,
    name: &str,
    title: &str,
    axes: (XAxis, &str),
    lines: &[Series],
) -> Result<Vec<PathBuf>> {
    let (png, svg) = (
        out.join(format!("{name}.png")),
        out.join(format!("{name}.svg")),
    );
    atomic_file::write_through(&png, |tmp| {
        chart(
            BitMapBackend::new(tmp, (900, 560)).into_drawing_area(),
            title,
            axes,
            lines,
        )
    })?;
    atomic_file::write_through(&svg, |tmp| {
        chart(
            SVGBackend::new(tmp, (900, 560)).into_drawing_area(),
            title,
            axes,
            lines,
        )
    })?;
    Ok(vec![png, svg])
}

/// The task the runs below `runs` trained on, as the first `run.toml` records it
/// ([`crate::world::recorded`]); no run.toml at all: the point mass.
fn task(runs: &Path) -> Result<String> {
    let mut tomls: Vec<PathBuf> = std::fs::read_dir(runs)
        .with_context(|| format!("cannot read runs in '{}'", runs.display()))?
        .filter_map(|e| Some(e.ok()?.path().join("run.toml")))
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

/// A learning curve's legend: the agent and its number of seeds.
fn seeds_label(agent: &str, seeds: usize) -> String {
    let s = if seeds == 1 { "" } else { "s" };
    format!("{} ({seeds} seed{s})", agent.to_uppercase())
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
    let mut files = match step_curves(&curves) {
        None => both(
            out,
            "learning_curves",
            &format!("{}: return per episode (mean, 95% band)", task(runs)?),
            (EPISODES, "return"),
            &per_agent(|c| &c.ret),
        )?,
        Some((lines, axis)) => both(
            out,
            "learning_curves",
            &format!(
                "{}: return of the last ended episode (mean, 95% band)",
                task(runs)?
            ),
            (axis, "return"),
            &lines,
        )?,
    };
    files.extend(performance_profile(out, &task(runs)?, &curves)?);
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
        files.extend(figure1_panels(runs, out)?);
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

/// The run-score distribution of each agent's final return (the mean of its last 10
/// episodes, or of all if fewer): the fraction of runs above each threshold, with a 95%
/// bootstrap band (rliable's performance profile; `chi report` gives the numbers).
fn performance_profile(
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

/// Figure 1 a-c from the first CHI run below `runs` that recorded snapshots: its first
/// planned episode, the middle one and the last, side by side. Red: the amortised proposal
/// (expected states as dots, each step's action spread as a disc of radius std x 0.05, the
/// displacement one unit of action makes); blue: the final posterior's expected path.
fn figure1_panels(runs: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(runs)?
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("chi-seed"))
                && p.join("figure1.csv").is_file()
        })
        .collect();
    dirs.sort();
    let Some(dir) = dirs.first() else {
        return Ok(Vec::new());
    };
    let snapshots = crate::figure1::load(dir)?;
    if snapshots.is_empty() {
        return Ok(Vec::new());
    }
    let config: crate::config::TrainConfig = toml::from_str(
        &std::fs::read_to_string(dir.join("config.toml"))
            .with_context(|| format!("reading {}/config.toml", dir.display()))?,
    )?;
    let geometry = crate::world::task::<PointMassTask, 2, 2>(&config)?.geometry;
    let picks = [0, snapshots.len() / 2, snapshots.len() - 1].map(|i| &snapshots[i]);
    let (png, svg) = (out.join("figure1_abc.png"), out.join("figure1_abc.svg"));
    let title = format!("Figure 1 (a-c), {}", dir.display());
    atomic_file::write_through(&png, |tmp| {
        panels(
            BitMapBackend::new(tmp, (1500, 540)).into_drawing_area(),
            &title,
            &picks,
            geometry,
        )
    })?;
    atomic_file::write_through(&svg, |tmp| {
        panels(
            SVGBackend::new(tmp, (1500, 540)).into_drawing_area(),
            &title,
            &picks,
            geometry,
        )
    })?;
    Ok(vec![png, svg])
}

fn panels<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    picks: &[&crate::figure1::Snapshot; 3],
    geometry: chi_embedded::envs::point_mass::Geometry,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow::anyhow!("{e}");
    root.fill(&WHITE).map_err(err)?;
    let root = root.titled(title, ("sans-serif", 20)).map_err(err)?;
    let (red, blue) = (COLOURS[0], COLOURS[1]);
    for (area, (snap, label)) in root
        .split_evenly((1, 3))
        .into_iter()
        .zip(picks.iter().zip(["(a)", "(b)", "(c)"]))
    {
        let mut c = ChartBuilder::on(&area)
            .caption(
                format!("{label} episode {}", snap.episode + 1),
                ("sans-serif", 18),
            )
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(36)
            .build_cartesian_2d(0f32..1f32, 0f32..1f32)
            .map_err(err)?;
        c.configure_mesh()
            .x_desc("x")
            .y_desc("y")
            .draw()
            .map_err(err)?;
        let (w, lo, hi) = (
            geometry.wall_x,
            geometry.opening_centre - 0.5 * geometry.opening_width,
            geometry.opening_centre + 0.5 * geometry.opening_width,
        );
        for (a, b) in [(0.0f32, lo.max(0.0)), (hi.min(1.0), 1.0)] {
            if b > a {
                c.draw_series(std::iter::once(PathElement::new(
                    vec![(w, a), (w, b)],
                    BLACK.stroke_width(3),
                )))
                .map_err(err)?;
            }
        }
        c.draw_series(std::iter::once(Circle::new(
            (1.0f32, 1.0f32),
            6,
            BLACK.filled(),
        )))
        .map_err(err)?;
        let step = chi_embedded::envs::point_mass::MAX_STEP;
        for (s, sd) in snap.amortised_states.iter().zip(&snap.amortised_std) {
            let r = 0.5 * (sd[0] + sd[1]) * step;
            c.draw_series(std::iter::once(Polygon::new(
                (0..24)
                    .map(|k| {
                        let t = k as f32 / 24.0 * std::f32::consts::TAU;
                        (s[0] + r * t.cos(), s[1] + r * t.sin())
                    })
                    .collect::<Vec<_>>(),
                red.mix(0.2),
            )))
            .map_err(err)?;
        }
        let path = |states: &[[f32; 2]]| -> Vec<(f32, f32)> {
            std::iter::once((snap.state[0], snap.state[1]))
                .chain(states.iter().map(|s| (s[0], s[1])))
                .collect()
        };
        c.draw_series(
            path(&snap.amortised_states)
                .into_iter()
                .map(|p| Circle::new(p, 4, red.filled())),
        )
        .map_err(err)?
        .label("amortised proposal (expected states, action spread)")
        .legend(move |(x, y)| Circle::new((x + 9, y), 4, red.filled()));
        c.draw_series(LineSeries::new(
            path(&snap.posterior_states),
            blue.stroke_width(2),
        ))
        .map_err(err)?
        .label("final posterior (expected path)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], blue.stroke_width(2)));
        c.configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_is_mean_and_t_interval() {
        let b = band(&[&[1.0, 2.0], &[3.0]]);
        assert_eq!(b[1], (2.0, 2.0, 2.0), "one run: no spread");
        let (m, lo, hi) = b[0];
        assert_eq!(m, 2.0);
        // Two runs: sd = sqrt(2), one degree of freedom, t = 12.706.
        let half = 12.706 * 2f64.sqrt() / 2f64.sqrt();
        assert_eq!(
            (t975(4), t975(30), t975(31)),
            (2.776, 2.042, 1.96),
            "5 seeds; the table's end"
        );
        assert!(
            (f64::from(hi) - 2.0 - half).abs() < 1e-5 && (f64::from(lo) - 2.0 + half).abs() < 1e-5
        );
    }

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

    #[test]
    fn figures_are_titled_with_the_runs_task() {
        let dir = std::env::temp_dir().join(format!("chi-plot-task-{}", std::process::id()));
        let run = dir.join("chi-seed0");
        std::fs::create_dir_all(&run).unwrap();
        assert_eq!(
            task(&dir).unwrap(),
            "point-mass",
            "no run.toml: the point mass"
        );
        std::fs::write(
            run.join("run.toml"),
            "agent = \"chi\"\nenv = \"half-cheetah\"\nseed = 0\n",
        )
        .unwrap();
        assert_eq!(task(&dir).unwrap(), "half-cheetah");
        std::fs::write(run.join("run.toml"), "agent = ").unwrap();
        assert!(task(&dir).is_err(), "a broken run.toml is an error");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
