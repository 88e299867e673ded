//! Figures from the runs' metrics: learning curves (mean and 95% confidence band over
//! seeds) and Figure 1's statistics over learning (how far the planner moves the amortised
//! plan, and how confident the amortised proposal is), each as PNG and SVG.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use plotters::prelude::*;
use plotters::style::FontStyle;

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
        let text = std::fs::read_to_string(&file)?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
        let col = |name: &str| {
            header
                .iter()
                .position(|h| *h == name)
                .with_context(|| format!("{}: no column '{name}'", file.display()))
        };
        let (agent, ret, shift, kl, sd) = (
            col("agent")?,
            col("return")?,
            col("plan_shift")?,
            col("plan_kl")?,
            col("amortised_std")?,
        );
        let mut curve = Curve::default();
        for (i, line) in lines.enumerate() {
            let f: Vec<&str> = line.split(',').collect();
            let num = |c: usize| -> Result<f32> {
                f.get(c)
                    .and_then(|v| v.parse().ok())
                    .with_context(|| format!("{} line {}: bad number", file.display(), i + 2))
            };
            curve.agent = f.get(agent).copied().unwrap_or_default().to_string();
            curve.ret.push(num(ret)?);
            curve.plan_shift.push(num(shift)?);
            curve.plan_kl.push(num(kl)?);
            curve.amortised_std.push(num(sd)?);
        }
        if !curve.ret.is_empty() {
            out.entry(curve.agent.clone()).or_default().push(curve);
        }
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

/// Mean and 95% band (1.96 standard errors) per episode over the runs that reached it.
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
            let half = 1.96 * sd / n.sqrt();
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

/// One chart: a line and band per named series.
fn chart<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    y_label: &str,
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
        .build_cartesian_2d(0f32..x_max - 1.0, (lo - pad)..(hi + pad))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    c.configure_mesh()
        .x_desc("episode")
        .y_desc(y_label)
        .draw()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for (i, (name, b)) in lines.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let upper: Vec<(f32, f32)> = b
            .iter()
            .enumerate()
            .map(|(x, (_, _, h))| (x as f32, *h))
            .collect();
        let lower: Vec<(f32, f32)> = b
            .iter()
            .enumerate()
            .rev()
            .map(|(x, (_, l, _))| (x as f32, *l))
            .collect();
        c.draw_series(std::iter::once(Polygon::new(
            [upper, lower].concat(),
            colour.mix(0.2),
        )))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        c.draw_series(LineSeries::new(
            b.iter().enumerate().map(|(x, (m, _, _))| (x as f32, *m)),
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
    y_label: &str,
    lines: &[Series],
) -> Result<Vec<PathBuf>> {
    let (png, svg) = (
        out.join(format!("{name}.png")),
        out.join(format!("{name}.svg")),
    );
    chart(
        BitMapBackend::new(&png, (900, 560)).into_drawing_area(),
        title,
        y_label,
        lines,
    )?;
    chart(
        SVGBackend::new(&svg, (900, 560)).into_drawing_area(),
        title,
        y_label,
        lines,
    )?;
    Ok(vec![png, svg])
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
                (
                    format!("{} ({} seeds)", agent.to_uppercase(), runs.len()),
                    band(&series),
                )
            })
            .collect()
    };
    let mut files = both(
        out,
        "learning_curves",
        "Point mass: return per episode (mean, 95% band)",
        "return",
        &per_agent(|c| &c.ret),
    )?;
    if let Some(chi) = curves.get("chi") {
        let b = |f: fn(&Curve) -> &[f32]| band(&chi.iter().map(f).collect::<Vec<_>>());
        files.extend(both(
            out,
            "figure1_planner_share",
            "CHI over learning: the planner's share of the decision",
            "RMS shift of the plan / first-action std",
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
        files.extend(both(
            out,
            "figure1_kl",
            "CHI over learning: KL(amortised || final posterior)",
            "nats",
            &[("KL".into(), b(|c| &c.plan_kl))],
        )?);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_is_mean_and_standard_error() {
        let b = band(&[&[1.0, 2.0], &[3.0]]);
        assert_eq!(b[1], (2.0, 2.0, 2.0), "one run: no spread");
        let (m, lo, hi) = b[0];
        assert_eq!(m, 2.0);
        let half = 1.96 * 2f64.sqrt() / 2f64.sqrt();
        assert!(
            (f64::from(hi) - 2.0 - half).abs() < 1e-5 && (f64::from(lo) - 2.0 + half).abs() < 1e-5
        );
    }
}
