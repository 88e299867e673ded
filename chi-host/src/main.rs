//! `chi`: the command line of chi-host.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chi_embedded::bundle::{self, Task};
use chi_embedded::envs::point_mass::{Geometry, GoalReward};
use chi_embedded::reference::point_mass::{Bundle, Controller};
use chi_host::{bundle_file, episode};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "chi",
    version,
    about = "Control as Hybrid Inference: tools for the workstation"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a weight bundle and print what it holds.
    Inspect {
        /// The bundle file.
        bundle: PathBuf,
    },
    /// Run the controller of a point-mass bundle for one episode on the host, exactly as the
    /// board would (reference sizes).
    Run {
        /// The bundle file.
        bundle: PathBuf,
        /// Planner seed (defaults to the bundle's).
        #[arg(long)]
        seed: Option<u64>,
        /// Episode length.
        #[arg(long, default_value_t = 60)]
        steps: u32,
        /// Remove the wall (an opening as wide as the arena).
        #[arg(long, conflicts_with_all = ["wall_x", "opening_centre", "opening_width"])]
        open: bool,
        /// Wall position (defaults to the bundle's geometry).
        #[arg(long)]
        wall_x: Option<f32>,
        /// Centre of the opening.
        #[arg(long)]
        opening_centre: Option<f32>,
        /// Width of the opening.
        #[arg(long)]
        opening_width: Option<f32>,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command.execute() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chi: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

impl Command {
    fn execute(self) -> Result<()> {
        match self {
            Self::Inspect { bundle } => inspect(&bundle),
            Self::Run {
                bundle,
                seed,
                steps,
                open,
                wall_x,
                opening_centre,
                opening_width,
            } => {
                let bytes = bundle_file::read(&bundle)?;
                let decoded = Bundle::parse(bytes.as_bytes())
                    .with_context(|| format!("bundle '{}' refused", bundle.display()))?;
                let Task::PointMass(trained) = decoded.header.task else {
                    bail!("bundle '{}' is not for the point mass", bundle.display());
                };
                let geometry = if open {
                    Geometry::OPEN
                } else {
                    Geometry {
                        wall_x: wall_x.unwrap_or(trained.wall_x),
                        opening_centre: opening_centre.unwrap_or(trained.opening_centre),
                        opening_width: opening_width.unwrap_or(trained.opening_width),
                    }
                };
                geometry
                    .validate()
                    .map_err(|e| anyhow::anyhow!("invalid wall geometry: {e}"))?;
                let mut chi = Controller::from_bundle(
                    &decoded,
                    GoalReward,
                    seed.unwrap_or(decoded.header.seed),
                );
                let r = episode::run(&mut chi, geometry, steps);
                let s = r.summary;
                println!(
                    "episode: wall {geometry:?}\n  return {:.4}, reached goal: {}, closest {:.3}, final state ({:.3}, {:.3})\n  \
                     planner iterations per step {:.2}, early exits {}/{}, actions crc {:#010x}",
                    s.ret,
                    s.first_success
                        .map_or("no".to_string(), |n| format!("at step {n}")),
                    s.closest,
                    s.final_state[0],
                    s.final_state[1],
                    f64::from(r.iterations) / f64::from(s.steps.max(1)),
                    r.early_exits,
                    s.steps,
                    s.actions_crc
                );
                Ok(())
            }
        }
    }
}

fn inspect(path: &std::path::Path) -> Result<()> {
    let bytes = bundle_file::read(path)?;
    let header = bundle::inspect(bytes.as_bytes())
        .with_context(|| format!("bundle '{}' refused", path.display()))?;
    let d = header.dims;
    println!(
        "bundle '{}': {} bytes, format version {}, valid",
        path.display(),
        bytes.len(),
        bundle::frame::VERSION
    );
    println!("  task        {:?}", header.task);
    println!("  precision   {:?}", header.precision);
    println!(
        "  sizes       S={} A={} E={} HE={} HP={} H={} K={}",
        d.state, d.action, d.members, d.ensemble_hidden, d.policy_hidden, d.horizon, d.samples
    );
    println!(
        "  ensemble    {:?}, log-variance bounds {:?}",
        header.ensemble_activation, header.log_var_bounds
    );
    println!(
        "  policy      {:?}, log-std bounds {:?}",
        header.policy_activation, header.log_std_bounds
    );
    println!("  controller  {:?}", header.controller);
    println!("  seed        {}", header.seed);
    match Bundle::parse(bytes.as_bytes()) {
        Ok(_) => println!("  runs on the reference point-mass controller: yes"),
        Err(e) => println!("  runs on the reference point-mass controller: no ({e})"),
    }
    Ok(())
}
