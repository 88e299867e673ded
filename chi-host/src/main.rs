//! `chi`: the command line of chi-host.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chi_embedded::bundle::{self, Task};
use chi_embedded::envs::point_mass::{Geometry, GoalReward};
use chi_embedded::reference::point_mass::{Bundle, Controller};
use chi_host::config::{AgentKind, TrainConfig};
use chi_host::train::{PointMassRun, Run};
use chi_host::world::{self, World};
use chi_host::{bundle_file, episode, firmware};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

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

/// Which settings a run starts from (a TOML file and flags override them).
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Preset {
    /// The paper's (Appendix B, C): ensemble 5 x (3 x 350), SAC 256.
    Paper,
    /// What the board runs: point mass ensemble 2 x (3 x 32), actor 2 x 32; Half-Cheetah
    /// ensemble 3 x (3 x 64), actor 2 x 64.
    Board,
}

/// The point mass's wall; each flag overrides one number of the geometry it starts from.
#[derive(clap::Args, Clone, Copy, Debug)]
struct WallArgs {
    /// Wall position.
    #[arg(long)]
    wall_x: Option<f32>,
    /// Centre of the opening.
    #[arg(long)]
    opening_centre: Option<f32>,
    /// Width of the opening.
    #[arg(long)]
    opening_width: Option<f32>,
}

impl WallArgs {
    /// True if any wall flag was given.
    fn given(self) -> bool {
        self.wall_x.is_some() || self.opening_centre.is_some() || self.opening_width.is_some()
    }

    /// `base` with the flags applied, validated.
    fn apply(self, base: Geometry) -> Result<Geometry> {
        let g = Geometry {
            wall_x: self.wall_x.unwrap_or(base.wall_x),
            opening_centre: self.opening_centre.unwrap_or(base.opening_centre),
            opening_width: self.opening_width.unwrap_or(base.opening_width),
        };
        g.validate()
            .map_err(|e| anyhow::anyhow!("invalid wall geometry: {e}"))?;
        Ok(g)
    }
}

/// Environments.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum EnvName {
    /// The paper's 2-D point mass with a wall (Appendix D.1).
    PointMass,
    /// MuJoCo Half-Cheetah (Appendix D.2; needs the `mujoco` feature and `cargo xtask setup`).
    HalfCheetah,
}

#[derive(Subcommand)]
enum Command {
    /// Train agents on an environment, one run per seed; each run writes metrics.csv and a
    /// checkpoint after every episode into OUT/<agent>-seed<N>, and resumes from it.
    Train {
        /// The environment.
        #[arg(long, value_enum, default_value = "point-mass")]
        env: EnvName,
        /// The agent.
        #[arg(long, value_enum, default_value = "chi")]
        agent: AgentKind,
        /// Seeds: one (`3`), a range (`0..5`) or a list (`0,2,4`).
        #[arg(long, default_value = "0", value_parser = parse_seeds)]
        seeds: Seeds,
        /// Starting settings.
        #[arg(long, value_enum, default_value = "paper")]
        preset: Preset,
        /// TOML file overriding any setting (see a run's config.toml for the keys).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Episodes (overrides the config).
        #[arg(long)]
        episodes: Option<u32>,
        /// Turn off SAC's training on the planner's counterfactual rollouts (Appendix G).
        #[arg(long)]
        no_counterfactual: bool,
        /// CHI's planner adds a value at the horizon to each sequence's return (the value
        /// past the horizon of the paper's Section 5): a network fitted to SAC's critics,
        /// exported in the bundle so the board plans with it too. On in the point mass's
        /// board preset, off elsewhere and in the paper; `--terminal-value false` runs the
        /// paper's Eq. 4 alone.
        #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
        terminal_value: Option<bool>,
        #[command(flatten)]
        wall: WallArgs,
        /// Where runs go.
        #[arg(long, default_value = "runs")]
        out: PathBuf,
    },
    /// Export a trained run as weight bundles for the board (f32 and int8), with the
    /// quantisation error of each layer and the int8 controller checked against the f32 one.
    Export {
        /// The run directory (OUT/<agent>-seed<N> of `chi train`).
        #[arg(long)]
        run: PathBuf,
        /// Planner samples K the bundles declare (default: the firmware's compiled K for the
        /// run's task).
        #[arg(long)]
        samples: Option<u32>,
        /// Directory for bundle-f32.chib and bundle-int8.chib (default: the run's).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Planner iterations I the board runs (default: the run's).
        #[arg(long)]
        iterations: Option<u32>,
        /// Propagate each planner sample through one ensemble member (cycling through them)
        /// instead of all: 1/E of the cost (default: the run's choice).
        #[arg(long)]
        one_per_sample: bool,
    },
    /// Evaluate a trained run: noise-free episodes of its agent as trained.
    Eval {
        /// The run directory.
        #[arg(long)]
        run: PathBuf,
        /// Episodes (planner seeds 0..N).
        #[arg(long, default_value_t = 5)]
        episodes: u32,
        /// Instead, compare planners on the run's model: CHI and CEM-MPC at each of these
        /// iteration counts (a list: `1,3,5`), mean return over the episodes.
        #[arg(long, value_delimiter = ',')]
        iterations: Vec<u32>,
        /// Print one CSV row (run, agent, episodes trained, eval episodes, mean return, goal
        /// reached, mean goal step) instead of the report, for experiment tables.
        #[arg(long, conflicts_with = "iterations")]
        csv: bool,
    },
    /// Draw learning curves (mean and 95% band over seeds) and Figure 1's statistics from
    /// the runs below a directory, as PNG and SVG.
    Plot {
        /// Directory holding <agent>-seed<N> runs.
        #[arg(long, default_value = "runs")]
        runs: PathBuf,
        /// Where the figures go.
        #[arg(long, default_value = "figures")]
        out: PathBuf,
    },
    /// Check a weight bundle and print what it holds.
    Inspect {
        /// The bundle file.
        bundle: PathBuf,
    },
    /// Hardware in the loop: the point mass on the host, actions from the firmware (in QEMU,
    /// or a board on a serial port), each checked bit for bit against the host's controller.
    Hil {
        /// The bundle the firmware runs.
        bundle: PathBuf,
        /// The environment; must be the bundle's task (default: the bundle's).
        #[arg(long, value_enum)]
        env: Option<EnvName>,
        /// Build the firmware with the bundle and run it in QEMU (USART1 over TCP).
        #[arg(long, conflicts_with = "serial", required_unless_present = "serial")]
        qemu: bool,
        /// A board's serial port (set to 115200 8N1 raw with `stty`), e.g. /dev/ttyACM0.
        #[arg(long)]
        serial: Option<PathBuf>,
        /// Planner seed of the episode (sent to the board).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Episode length.
        #[arg(long, default_value_t = 60)]
        steps: u32,
        /// Episodes, with planner seeds SEED, SEED+1, ...
        #[arg(long, default_value_t = 1)]
        episodes: u32,
        /// The run the bundle was exported from: also evaluate the host's CHI at the paper's
        /// settings (K = 500, the f32 ensemble) and a random policy on the same episodes, and
        /// print the board's normalised return (random 0, host 1).
        #[arg(long)]
        run: Option<PathBuf>,
    },
    /// Measure the firmware in QEMU with `-icount shift=0`: instructions per MAC of the dense
    /// kernels and per control step, the rate they allow at 168 MHz, and the stack used.
    Bench {
        /// The bundle to build the bench firmware with.
        bundle: PathBuf,
        /// Run in QEMU (the only way here; a board would need a probe and RTT).
        #[arg(long, required = true)]
        qemu: bool,
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
        #[command(flatten)]
        wall: WallArgs,
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

/// Seeds parsed from the command line.
#[derive(Clone, Debug)]
struct Seeds(Vec<u64>);

fn parse_seeds(text: &str) -> Result<Seeds, String> {
    let bad = |_| format!("'{text}' is not a seed, a range a..b or a list a,b,c");
    if let Some((a, b)) = text.split_once("..") {
        let (a, b): (u64, u64) = (a.parse().map_err(bad)?, b.parse().map_err(bad)?);
        if a >= b {
            return Err(format!("empty seed range '{text}'"));
        }
        return Ok(Seeds((a..b).collect()));
    }
    text.split(',')
        .map(|s| s.trim().parse().map_err(bad))
        .collect::<Result<_, _>>()
        .map(Seeds)
}

impl Command {
    fn execute(self) -> Result<()> {
        match self {
            Self::Train {
                env,
                agent,
                seeds,
                preset,
                config,
                episodes,
                no_counterfactual,
                terminal_value,
                wall,
                out,
            } => {
                let mut c = match (env, preset) {
                    (EnvName::PointMass, Preset::Paper) => TrainConfig::default(),
                    (EnvName::PointMass, Preset::Board) => TrainConfig::board(),
                    (EnvName::HalfCheetah, Preset::Paper) => TrainConfig::half_cheetah(),
                    (EnvName::HalfCheetah, Preset::Board) => TrainConfig::half_cheetah_board(),
                };
                if let Some(path) = config {
                    c = c.with_file(&path)?;
                }
                c.episodes = episodes.unwrap_or(c.episodes);
                c.chi.counterfactual &= !no_counterfactual;
                c.chi.terminal_value = terminal_value.unwrap_or(c.chi.terminal_value);
                match env {
                    EnvName::PointMass => {
                        c.geometry = wall.apply(c.geometry)?;
                        for seed in seeds.0 {
                            train_one::<2, 2, world::PointMass>(agent, seed, c.clone(), &out)?;
                        }
                    }
                    EnvName::HalfCheetah => {
                        if wall.given() {
                            bail!("the wall flags are the point mass's; Half-Cheetah has no wall");
                        }
                        train_half_cheetah(agent, &seeds.0, &c, &out)?;
                    }
                }
                Ok(())
            }
            Self::Inspect { bundle } => inspect(&bundle),
            Self::Plot { runs, out } => {
                for file in chi_host::plot::figures(&runs, &out)? {
                    println!("{}", file.display());
                }
                Ok(())
            }
            Self::Eval {
                run,
                episodes,
                iterations,
                ..
            } if !iterations.is_empty() => planner_sweep(&run, episodes, &iterations),
            Self::Eval {
                run, episodes, csv, ..
            } => {
                let r = PointMassRun::reopen(&run)?;
                let results = r.evaluate(episodes)?;
                let n = results.len().max(1) as f32;
                let mean = results.iter().map(|e| e.ret).sum::<f32>() / n;
                let steps: Vec<f32> = results
                    .iter()
                    .filter_map(|e| e.first_success.map(|s| s as f32))
                    .collect();
                let reached = steps.len();
                if csv {
                    let name = run.file_name().map_or_else(
                        || run.display().to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    );
                    let goal_step = if steps.is_empty() {
                        String::new()
                    } else {
                        format!("{:.1}", steps.iter().sum::<f32>() / reached as f32)
                    };
                    println!(
                        "{name},{},{},{},{mean:.3},{reached},{goal_step}",
                        r.agent().name(),
                        r.episodes_done(),
                        results.len()
                    );
                    return Ok(());
                }
                println!(
                    "{} ({} after {} episodes): mean return {mean:.3} over {} noise-free episodes, goal reached in {reached}",
                    run.display(),
                    r.agent().name(),
                    r.episodes_done(),
                    results.len()
                );
                for (i, e) in results.iter().enumerate() {
                    println!(
                        "  episode {i}: return {:.3}, goal {}, closest {:.3}",
                        e.ret,
                        e.first_success
                            .map_or("no".into(), |s| format!("at step {s}")),
                        e.closest
                    );
                }
                Ok(())
            }
            Self::Export {
                run,
                samples,
                out,
                iterations,
                one_per_sample,
            } => export(&run, samples, out.as_deref(), iterations, one_per_sample),
            Self::Hil {
                bundle,
                env,
                qemu,
                serial,
                seed,
                steps,
                episodes,
                run,
            } => hil(
                &bundle,
                env,
                qemu,
                serial.as_deref(),
                (seed, episodes, steps),
                run.as_deref(),
            ),
            Self::Bench { bundle, qemu: _ } => bench(&bundle),
            Self::Run {
                bundle,
                seed,
                steps,
                open,
                wall,
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
                    wall.apply(trained)?
                };
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

#[cfg(feature = "mujoco")]
fn train_half_cheetah(
    agent: AgentKind,
    seeds: &[u64],
    config: &TrainConfig,
    out: &Path,
) -> Result<()> {
    use chi_host::envs::half_cheetah::{ACT, OBS};
    for &seed in seeds {
        train_one::<OBS, ACT, world::HalfCheetah>(agent, seed, config.clone(), out)?;
    }
    Ok(())
}

#[cfg(not(feature = "mujoco"))]
fn train_half_cheetah(_: AgentKind, _: &[u64], _: &TrainConfig, _: &Path) -> Result<()> {
    bail!(
        "this chi was built without MuJoCo: run `cargo xtask setup`, then build chi-host with `--features mujoco`"
    )
}

fn train_one<const S: usize, const A: usize, W: World<S, A>>(
    agent: AgentKind,
    seed: u64,
    config: TrainConfig,
    out: &std::path::Path,
) -> Result<()> {
    let dir = out.join(format!("{}-seed{seed}", agent.name()));
    let mut run = Run::<S, A, W>::open(agent, seed, config, &dir)?;
    let total = run.config().episodes;
    let bar = ProgressBar::new(u64::from(total)).with_position(u64::from(run.episodes_done()));
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} episodes {elapsed_precise} (eta {eta}) {msg}",
        )?
        .progress_chars("=> "),
    );
    bar.set_prefix(format!("{} seed {seed}", agent.name()));
    if run.episodes_done() > 0 {
        bar.println(format!(
            "resuming {} at episode {}",
            dir.display(),
            run.episodes_done()
        ));
    }
    while run.episodes_done() < total {
        let m = run.episode()?;
        bar.set_message(format!(
            "return {:.2}, goal {}, plan shift {:.3}",
            m.ret,
            if m.first_success > 0 {
                format!("at {}", m.first_success)
            } else {
                "no".into()
            },
            m.plan_shift
        ));
        bar.inc(1);
    }
    bar.finish();
    println!(
        "{}: metrics in {}",
        dir.display(),
        dir.join("metrics.csv").display()
    );
    Ok(())
}

fn export(
    dir: &Path,
    samples: Option<u32>,
    out: Option<&Path>,
    iterations: Option<u32>,
    one_per_sample: bool,
) -> Result<()> {
    let options = (out, iterations, one_per_sample);
    match recorded_task(dir)?.as_str() {
        world::PointMass::NAME => {
            let samples = samples.unwrap_or(chi_embedded::reference::point_mass::K as u32);
            export_run(&PointMassRun::reopen(dir)?, dir, samples, options)
        }
        #[cfg(feature = "mujoco")]
        world::HalfCheetah::NAME => {
            use chi_host::envs::half_cheetah::{ACT, OBS};
            let samples = samples.unwrap_or(chi_embedded::reference::half_cheetah::K as u32);
            let run = Run::<OBS, ACT, world::HalfCheetah>::reopen(dir)?;
            export_run(&run, dir, samples, options)
        }
        other => bail!(
            "{} is a {other} run, which this chi cannot open (Half-Cheetah needs the mujoco feature)",
            dir.display()
        ),
    }
}

/// The task a run directory's `run.toml` records.
fn recorded_task(dir: &Path) -> Result<String> {
    let identity = std::fs::read_to_string(dir.join("run.toml"))
        .with_context(|| format!("{} is not a training run (no run.toml)", dir.display()))?;
    let identity: toml::Table =
        toml::from_str(&identity).with_context(|| format!("{}/run.toml", dir.display()))?;
    Ok(world::recorded(&identity).to_string())
}

/// CHI and CEM-MPC at each iteration count on a run's learned model: mean return, and the
/// model rows a step each evaluates (iterations x K x members, or x K with one member per
/// sample).
fn planner_sweep(dir: &Path, episodes: u32, iterations: &[u32]) -> Result<()> {
    match recorded_task(dir)?.as_str() {
        world::PointMass::NAME => sweep(&PointMassRun::reopen(dir)?, episodes, iterations),
        #[cfg(feature = "mujoco")]
        world::HalfCheetah::NAME => {
            use chi_host::envs::half_cheetah::{ACT, OBS};
            sweep(
                &Run::<OBS, ACT, world::HalfCheetah>::reopen(dir)?,
                episodes,
                iterations,
            )
        }
        other => bail!(
            "{} is a {other} run, which this chi cannot open (Half-Cheetah needs the mujoco feature)",
            dir.display()
        ),
    }
}

fn sweep<const S: usize, const A: usize, W: World<S, A>>(
    run: &Run<S, A, W>,
    episodes: u32,
    iterations: &[u32],
) -> Result<()> {
    let seeds: Vec<u64> = (0..u64::from(episodes.max(1))).collect();
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len().max(1) as f32;
    let random = mean(&run.random_returns(&seeds)?);
    println!(
        "planners on the learned model of {} episodes, {} noise-free episodes (planner seeds 0..{}); random policy {random:.3}",
        run.episodes_done(),
        seeds.len(),
        seeds.len()
    );
    println!("agent  iterations  model rows a step  mean return");
    for &i in iterations {
        for (agent, config) in [
            (AgentKind::Chi, run.config().chi.planner),
            (AgentKind::Cem, run.config().cem.planner),
        ] {
            let members = match config.propagation {
                chi_embedded::planner::Propagation::AllMembers => run.config().ensemble.members,
                chi_embedded::planner::Propagation::OnePerSample => 1,
            };
            let rows = u64::from(i) * chi_host::train::PLANNER_SAMPLES as u64 * members as u64;
            let ret = mean(&run.planner_returns(agent, i, &seeds)?);
            println!("{:<6} {i:>10}  {rows:>17}  {ret:>11.3}", agent.name());
        }
    }
    Ok(())
}

fn export_run<const S: usize, const A: usize, W: World<S, A>>(
    run: &Run<S, A, W>,
    dir: &Path,
    samples: u32,
    (out, iterations, one_per_sample): (Option<&Path>, Option<u32>, bool),
) -> Result<()> {
    let out = out.unwrap_or(dir);
    std::fs::create_dir_all(out)?;
    let mut spec = run.spec(samples)?;
    let planner = &mut spec.header.controller.planner;
    if let Some(i) = iterations {
        if i == 0 {
            bail!("--iterations must be at least 1 (early exit already skips planning)");
        }
        planner.iterations = i;
    }
    if one_per_sample {
        planner.propagation = chi_embedded::planner::Propagation::OnePerSample;
    }
    let int8 = spec.quantised();
    let (bf, bq) = (spec.encode()?, int8.encode()?);
    let (pf, pq) = (out.join("bundle-f32.chib"), out.join("bundle-int8.chib"));
    std::fs::write(&pf, bf.as_bytes()).with_context(|| format!("writing {}", pf.display()))?;
    std::fs::write(&pq, bq.as_bytes()).with_context(|| format!("writing {}", pq.display()))?;
    println!("{} after {} episodes:", dir.display(), run.episodes_done());
    println!(
        "  {} ({} bytes)\n  {} ({} bytes)\n",
        pf.display(),
        bf.len(),
        pq.display(),
        bq.len()
    );
    print!("{}", chi_host::export::quantisation_table(&spec, &int8));
    match chi_host::export::int8_check(&bf, &bq, run.config().episode_steps)? {
        Some(c) => println!(
            "\nint8 against f32 on the board's kernels: mean |a_int8 - a_f32| {:.4} (max {:.4}) over a 21x21 state grid;\n  \
             episode return f32 {:.3} (goal at step {}), int8 {:.3} (goal at step {})",
            c.mean_action_diff,
            c.max_action_diff,
            c.return_f32,
            c.success.0,
            c.return_int8,
            c.success.1
        ),
        None if spec.header.task == Task::HalfCheetah => println!(
            "\nclosed-loop int8 check: Half-Cheetah's physics is MuJoCo's, so compare the bundles \
             on the board: `chi hil BUNDLE --qemu --env half-cheetah --run {}` for each",
            dir.display()
        ),
        None => println!(
            "\nno int8 check: the board's controller is compiled for {}, this run's sizes differ",
            chi_host::export::reference_sizes()
        ),
    }
    Ok(())
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
    match header.terminal_value {
        Some(w) => println!(
            "  value       {hp} -> {hp} -> 1 past the horizon, weight {w}",
            hp = header.dims.policy_hidden
        ),
        None => println!("  value       none (the planner scores the H rewards alone)"),
    }
    println!("  seed        {}", header.seed);
    match Bundle::parse(bytes.as_bytes()) {
        Ok(_) => println!("  runs on the reference point-mass controller: yes"),
        Err(e) => println!("  runs on the reference point-mass controller: no ({e})"),
    }
    Ok(())
}

/// Where `chi hil` and `chi bench` put the firmware images they build.
fn firmware_out(job: &str) -> PathBuf {
    firmware::build::firmware_dir().join(format!("target/chi-{job}.elf"))
}

fn hil(
    bundle: &Path,
    env: Option<EnvName>,
    qemu: bool,
    serial: Option<&Path>,
    (seed, episodes, steps): (u64, u32, u32),
    run: Option<&Path>,
) -> Result<()> {
    let bytes = bundle_file::read(bundle)?;
    let header = bundle::inspect(bytes.as_bytes())
        .with_context(|| format!("bundle '{}' refused", bundle.display()))?;
    match (env, header.task) {
        (None, _)
        | (Some(EnvName::PointMass), Task::PointMass(_))
        | (Some(EnvName::HalfCheetah), Task::HalfCheetah) => {}
        (Some(env), task) => bail!(
            "bundle '{}' is for {task:?}, not --env {env:?}",
            bundle.display()
        ),
    }
    if header.task == Task::HalfCheetah {
        return hil_half_cheetah(bundle, &bytes, qemu, serial, (seed, episodes), run);
    }
    let (mut client, _qemu) = connect(bundle, qemu, serial)?;
    let mut returns = Vec::new();
    for e in 0..u64::from(episodes.max(1)) {
        let r = firmware::hil::point_mass_episode(&mut client, bytes.as_bytes(), steps, seed + e)?;
        let Some(s) = &r.point_mass else {
            bail!("a point-mass episode without its summary");
        };
        println!(
            "hil episode (seed {}, {}): return {:.4}, reached goal: {}, final state ({:.3}, {:.3}), actions crc {:#010x}",
            seed + e,
            if qemu { "QEMU" } else { "board" },
            s.ret,
            s.first_success
                .map_or("no".to_string(), |n| format!("at step {n}")),
            s.final_state[0],
            s.final_state[1],
            s.actions_crc
        );
        print_cost(&r, qemu)?;
        returns.push(s.ret);
    }
    if let Some(dir) = run {
        let run = PointMassRun::reopen(dir)?;
        let n = returns.len() as u32;
        let geometry = run.config().geometry;
        let host: Vec<f32> = run.evaluate(n)?.iter().map(|e| e.ret).collect();
        let random: Vec<f32> = (0..u64::from(n))
            .map(|e| episode::random_return(geometry, steps, seed + e))
            .collect();
        print_normalised(&returns, &host, &random);
    }
    Ok(())
}

/// The link to the firmware: built with `bundle` and started in QEMU (kept alive by the
/// returned handle), or a board on a serial port.
fn connect(
    bundle: &Path,
    qemu: bool,
    serial: Option<&Path>,
) -> Result<(firmware::client::Client, Option<firmware::qemu::Serving>)> {
    let mut serving = None;
    let client = if qemu {
        let elf = firmware_out("hil");
        eprintln!("chi: building the hil firmware with {}", bundle.display());
        firmware::build::build(bundle, firmware::build::Job::Hil, &elf)?;
        let qemu = firmware::qemu::Serving::start(&elf, true, Duration::from_secs(30))?;
        let reader = qemu.stream.try_clone()?;
        let writer = qemu.stream.try_clone()?;
        serving = Some(qemu);
        firmware::client::Client::new(reader, writer)
    } else {
        let Some(port) = serial else {
            bail!("give --qemu or --serial PORT");
        };
        let status = std::process::Command::new("stty")
            .arg("-F")
            .arg(port)
            .args(["115200", "raw", "-echo"])
            .status()
            .with_context(|| format!("running stty on {}", port.display()))?;
        if !status.success() {
            bail!("stty could not set {} to 115200 raw", port.display());
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(port)
            .with_context(|| format!("opening {}", port.display()))?;
        firmware::client::Client::new(file.try_clone()?, file)
    };
    Ok((client, serving))
}

/// Half-Cheetah in MuJoCo on the host, actions from the firmware, each checked against the
/// host's controller; with `run`, the normalised return against that run's host CHI (`K` =
/// 500, f32 ensemble) and a random policy on the same start states.
#[cfg(feature = "mujoco")]
fn hil_half_cheetah(
    bundle: &Path,
    bytes: &chi_embedded::bundle::owned::AlignedBytes,
    qemu: bool,
    serial: Option<&Path>,
    (seed, episodes): (u64, u32),
    run: Option<&Path>,
) -> Result<()> {
    use chi_host::envs::half_cheetah::{ACT, HalfCheetah, OBS, default_model};
    let (mut client, _qemu) = connect(bundle, qemu, serial)?;
    let mut env = HalfCheetah::new(&default_model())?;
    let seeds: Vec<u64> = (0..u64::from(episodes.max(1))).map(|e| seed + e).collect();
    let mut returns = Vec::new();
    for &seed in &seeds {
        let r = firmware::hil::half_cheetah_episode(&mut client, bytes.as_bytes(), &mut env, seed)?;
        println!(
            "hil episode (Half-Cheetah, seed {seed}, {}): return {:.3} over {} steps, actions crc {:#010x}",
            if qemu { "QEMU" } else { "board" },
            r.ret,
            r.steps,
            r.actions_crc
        );
        print_cost(&r, qemu)?;
        returns.push(r.ret);
    }
    if let Some(dir) = run {
        let run = Run::<OBS, ACT, world::HalfCheetah>::reopen(dir)?;
        print_normalised(
            &returns,
            &run.chi_returns(&seeds)?,
            &run.random_returns(&seeds)?,
        );
    }
    Ok(())
}

#[cfg(not(feature = "mujoco"))]
fn hil_half_cheetah(
    _: &Path,
    _: &chi_embedded::bundle::owned::AlignedBytes,
    _: bool,
    _: Option<&Path>,
    _: (u64, u32),
    _: Option<&Path>,
) -> Result<()> {
    bail!(
        "this chi was built without MuJoCo: run `cargo xtask setup`, then build chi-host with `--features mujoco`"
    )
}

/// Cost of the board's decisions, and whether each equals the host's (an error if not).
fn print_cost(r: &firmware::hil::HilReport, qemu: bool) -> Result<()> {
    let to_unit = |ticks: f64| {
        if qemu {
            firmware::instructions(ticks.round() as u64)
        } else {
            ticks
        }
    };
    let unit = if qemu {
        "instructions (QEMU -icount)"
    } else {
        "cycles"
    };
    let per_step = to_unit(r.mean_ticks());
    let worst = to_unit(f64::from(r.ticks.iter().copied().max().unwrap_or(0)));
    println!(
        "  {per_step:.0} {unit} per control step (worst {worst:.0}): {:.1} steps/s at 168 MHz",
        firmware::CORE_HZ / worst.max(1.0)
    );
    match &r.first_mismatch {
        None => {
            println!("  every action equals the host controller's, bit for bit");
            Ok(())
        }
        Some((step, board, host)) => bail!(
            "{} of {} actions differ from the host's; first at step {step}: board {board:?}, host {host:?}",
            r.mismatches,
            r.steps
        ),
    }
}

/// The board's mean return normalised between a random policy (0) and the host's CHI (1).
fn print_normalised(board: &[f32], host: &[f32], random: &[f32]) {
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len().max(1) as f32;
    let (b, h, r) = (mean(board), mean(host), mean(random));
    println!(
        "normalised return {:.3} over {} episodes: board {b:.3}, host CHI at the paper's settings (K = 500, f32 ensemble) {h:.3}, random policy {r:.3}",
        (b - r) / (h - r),
        board.len()
    );
}

fn bench(bundle: &Path) -> Result<()> {
    let elf = firmware_out("bench");
    eprintln!("chi: building the bench firmware with {}", bundle.display());
    firmware::build::build(bundle, firmware::build::Job::Bench, &elf)?;
    let run = firmware::qemu::run(&elf, true, Duration::from_secs(300))?;
    if run.code != Some(0) {
        bail!("the bench firmware failed: {:?}", run.log);
    }
    let r = firmware::bench::BenchReport::parse(&run.log)?;
    println!(
        "firmware bench (QEMU netduinoplus2, -icount shift=0), bundle {}",
        bundle.display()
    );
    for k in &r.kernels {
        println!(
            "  dense {} ({}): {:.2} instructions per MAC",
            k.name, k.precision, k.instructions_per_mac
        );
    }
    println!(
        "  control step: mean {:.0}, worst {:.0} instructions (amortised phase {:.0}); {} of {} steps planned, K = {}",
        r.step_instructions,
        r.worst_step_instructions,
        r.amortise_instructions,
        r.planned_steps,
        r.steps,
        r.samples
    );
    // The control period of the bundle's task: 100 Hz for the point mass; 0.2 s for
    // Half-Cheetah (timestep 0.01 s x frame skip 5 x action repeat 4, paper Appendix D.2).
    let bytes = bundle_file::read(bundle)?;
    let (rate, budget) = match bundle::inspect(bytes.as_bytes()).map(|h| h.task) {
        Ok(Task::HalfCheetah) => (5.0, firmware::CORE_HZ / 5.0),
        _ => (100.0, firmware::CORE_HZ / 100.0),
    };
    println!(
        "  worst step at 168 MHz: {:.1} steps/s (target {rate}: at most {:.2} M instructions)",
        r.steps_per_second(),
        budget / 1e6
    );
    if let Some(k) = r.samples_within(budget) {
        println!(
            "  planner samples K that fit {:.2} M instructions a step: about {k}",
            budget / 1e6
        );
    }
    println!("  stack: {} of {} bytes used", r.stack.0, r.stack.1);
    Ok(())
}
