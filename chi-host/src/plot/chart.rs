//! Drawing primitives the figures share: a chart of lines with 95% bands, written as PNG
//! and SVG, and the band itself (mean and Student's t interval over seeds).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::atomic_file;

/// Where a sans-serif font is looked for (Debian's fonts-dejavu-core), unless `CHI_FONT`
/// names one.
const FONT_PATHS: [&str; 2] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
];

/// Mean, lower and upper edge of the band, per episode.
pub type Band = Vec<(f32, f32, f32)>;

/// A named line with its band.
pub(super) type Series = (String, Band);

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

pub(super) fn register_font() -> Result<()> {
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

/// One a series, in order (matplotlib's first six, red first for CHI's figures): a report of
/// CHI, its two ablations and three baselines draws six.
pub(super) const COLOURS: [RGBColor; 6] = [
    RGBColor(214, 39, 40),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
];

/// What a chart's x axis counts: point `i` of a series is at `start + i * step`.
#[derive(Clone, Copy)]
pub(super) struct XAxis<'a> {
    pub(super) label: &'a str,
    pub(super) start: f32,
    pub(super) step: f32,
}

/// Learning curves: one point an episode.
pub(super) const EPISODES: XAxis = XAxis {
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
pub(super) fn both(
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
}
