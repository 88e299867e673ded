//! Figure 1 (a-c) of the paper: the amortised proposal and the final posterior of one CHI
//! run early, midway and late in learning, on the point mass.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use plotters::prelude::*;

use super::Curve;
use super::chart::COLOURS;
use crate::atomic_file;
use chi_embedded::envs::point_mass::PointMassTask;

/// Figure 1 a-c from the first of the CHI runs `chi` that recorded snapshots: its first
/// planned episode, the middle one and the last, side by side. Red: the amortised proposal
/// (expected states as dots, each step's action spread as a disc of radius std x 0.05, the
/// displacement one unit of action makes); blue: the final posterior's expected path.
pub(super) fn figure1_panels(chi: &[Curve], out: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs: Vec<&Path> = chi
        .iter()
        .map(|c| c.dir.as_path())
        .filter(|d| d.join("figure1.csv").is_file())
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
