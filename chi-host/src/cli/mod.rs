//! The `chi` command line: one module per subcommand, each a `clap::Args` struct with its
//! `run`. Every subcommand finds its task in one place: a run's `run.toml` or a bundle's
//! header, dispatched through [`chi_host::tasks::dispatch`].

mod bench;
mod eval;
mod export;
mod hil;
mod inspect;
mod plot;
mod report;
mod run;
mod sweep;
mod tasks;
mod train;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chi_embedded::bundle::{self, Header};
use chi_embedded::habit::HabitConfig;
use chi_embedded::task::Task;
use chi_host::bundle_file;
use chi_host::config::{Preset, TrainConfig};
use chi_host::tasks::Visitor;
use chi_host::world::World;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "chi",
    version,
    about = "Control as Hybrid Inference: tools for the workstation"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train agents on a task, one run per seed; each run writes metrics.csv and a checkpoint
    /// after every episode into OUT/<agent>-seed<N>, and resumes from it.
    Train(train::Args),
    /// Evaluate a trained run: noise-free episodes of its agent as trained.
    Eval(eval::Args),
    /// Export a trained run as weight bundles for the board (f32 and int8), with the
    /// quantisation error of each layer and the int8 controller checked against the f32 one.
    Export(export::Args),
    /// Draw learning curves (mean and 95% band over seeds) and Figure 1's statistics from
    /// the runs below a directory, as PNG and SVG.
    Plot(plot::Args),
    /// Interval estimates over runs, as RL results are reported (rliable's): per agent the
    /// IQM, mean and median of the final return and of the area under the curve with 95%
    /// bootstrap intervals, and the probability that CHI improves on each other agent.
    Report(report::Args),
    /// A grid of runs (tasks x agents x seeds x variants) from a TOML file: run here N at a
    /// time, or written as a SLURM array job with one task a run; every run resumes.
    Sweep(sweep::Args),
    /// Check a weight bundle and print what it holds.
    Inspect(inspect::Args),
    /// Hardware in the loop: the bundle's task on the host, actions from the firmware (in
    /// QEMU, or a board on a serial port), each checked bit for bit against the host's twin.
    Hil(hil::Args),
    /// Measure the firmware in QEMU with `-icount shift=0`: instructions per MAC of the dense
    /// kernels and per control step, the rate they allow at 168 MHz, and the stack used.
    Bench(bench::Args),
    /// One episode of a bundle's controller on the host, exactly as the board would act.
    Run(run::Args),
    /// The tasks this chi knows: sizes, reward, control period, parameters.
    Tasks(tasks::Args),
}

impl Cli {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        match self.command {
            Command::Train(a) => a.run(),
            Command::Eval(a) => a.run(),
            Command::Export(a) => a.run(),
            Command::Plot(a) => a.run(),
            Command::Report(a) => a.run(),
            Command::Sweep(a) => a.run(),
            Command::Inspect(a) => a.run(),
            Command::Hil(a) => a.run(),
            Command::Bench(a) => a.run(),
            Command::Run(a) => a.run(),
            Command::Tasks(a) => a.run(),
        }
    }
}

/// Runs `visitor` for the task of the run in `dir`.
fn on_run<V: Visitor<Out = Result<()>>>(dir: &Path, visitor: V) -> Result<()> {
    chi_host::tasks::dispatch(&recorded_task(dir)?, visitor)?
}

/// The task a run directory's `run.toml` records.
fn recorded_task(dir: &Path) -> Result<String> {
    let identity = std::fs::read_to_string(dir.join("run.toml"))
        .with_context(|| format!("{} is not a training run (no run.toml)", dir.display()))?;
    let identity: toml::Table =
        toml::from_str(&identity).with_context(|| format!("{}/run.toml", dir.display()))?;
    Ok(chi_host::world::recorded(&identity).to_string())
}

/// A bundle file, read and checked once.
struct BundleFile {
    path: PathBuf,
    bytes: bundle::owned::AlignedBytes,
    header: Header,
}

impl BundleFile {
    /// Reads `path` and checks its header.
    fn read(path: &Path) -> Result<Self> {
        let bytes = bundle_file::read(path)?;
        let header = bundle::inspect(bytes.as_bytes())
            .with_context(|| format!("bundle '{}' refused", path.display()))?;
        Ok(Self {
            path: path.to_path_buf(),
            bytes,
            header,
        })
    }

    /// The task the bundle records, as `W`'s task type (refused if it records another), and
    /// `W`'s paper settings with `steps` decisions an episode (default: the task's).
    fn task<const S: usize, const A: usize, W: World<S, A>>(
        &self,
        steps: Option<u32>,
    ) -> Result<(W::Task, TrainConfig)> {
        let task = W::Task::from_record(&self.header.task)
            .with_context(|| format!("bundle '{}'", self.path.display()))?;
        let mut config = W::preset(Preset::Paper);
        config.episode_steps = steps.unwrap_or(W::Task::EPISODE_STEPS);
        Ok((task, config))
    }
}

/// This process's directory for the firmware images it builds and the cycle model's files:
/// one a process, so `chi hil` or `chi bench` runs side by side never start each other's
/// image or read each other's cycles; removed when dropped.
struct WorkDir(PathBuf);

impl WorkDir {
    fn new() -> Result<Self> {
        let dir = chi_host::firmware::build::firmware_dir()
            .join("target/chi")
            .join(format!("run-{}", std::process::id()));
        // One left by a killed process of the same id: the cycle model appends to its files,
        // and an old one would be read as this run's.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Self(dir))
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `name=value` task parameters from the command line, into `into`.
fn parse_params(
    params: &[String],
    into: &mut std::collections::BTreeMap<String, f64>,
) -> Result<()> {
    for p in params {
        let Some((name, value)) = p.split_once('=') else {
            bail!("--param takes name=value, not '{p}'");
        };
        let value: f64 = value
            .trim()
            .parse()
            .with_context(|| format!("--param {p}: '{value}' is not a number"))?;
        into.insert(name.trim().to_string(), value);
    }
    Ok(())
}

/// `off` or `AGREE,TRUST,CHECK`, checked as a bundle's header checks it.
fn parse_habit(text: &str) -> Result<HabitConfig, String> {
    if text == "off" {
        return Ok(HabitConfig::OFF);
    }
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let [agree, trust, check] = parts.as_slice() else {
        return Err("expected AGREE,TRUST,CHECK (e.g. 0.5,3,4) or off".to_string());
    };
    let habit = HabitConfig {
        agree_sigmas: agree.parse().map_err(|e| format!("AGREE '{agree}': {e}"))?,
        trust_after: trust.parse().map_err(|e| format!("TRUST '{trust}': {e}"))?,
        check_every: check.parse().map_err(|e| format!("CHECK '{check}': {e}"))?,
    };
    habit.validate()?;
    Ok(habit)
}

/// The states a board episode went through, as `S`-arrays.
fn states<const S: usize>(r: &chi_host::firmware::hil::HilReport) -> Vec<[f32; S]> {
    r.states
        .iter()
        .filter_map(|s| <[f32; S]>::try_from(s.as_slice()).ok())
        .collect()
}

/// "at step N" or "no".
fn goal_step(first_success: Option<u32>) -> String {
    first_success.map_or("no".to_string(), |n| format!("at step {n}"))
}

/// The mean of `v` (0 for none).
fn mean(v: &[f32]) -> f32 {
    v.iter().sum::<f32>() / v.len().max(1) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn habit_flag_is_read_or_refused() {
        assert_eq!(parse_habit("off"), Ok(HabitConfig::OFF));
        assert_eq!(
            parse_habit("0.5, 3, 4"),
            Ok(HabitConfig {
                agree_sigmas: 0.5,
                trust_after: 3,
                check_every: 4
            })
        );
        assert!(parse_habit("0.5,3").is_err());
        assert!(parse_habit("x,3,4").is_err());
        assert!(parse_habit("0.5,3,0").is_err(), "check_every 0");
        assert!(parse_habit("-1,3,4").is_err());
    }
}
