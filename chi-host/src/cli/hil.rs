//! `chi hil`: the bundle's task on the host, every action from the firmware (in QEMU or on a
//! board), each checked bit for bit against the board's twin on the host.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chi_embedded::task::Task;
use chi_host::firmware::cycles::{Counts, Plugin, span};
use chi_host::firmware::hil::HilReport;
use chi_host::firmware::machine::Machine;
use chi_host::firmware::twin::Twin;
use chi_host::firmware::{self, client::Client, qemu};
use chi_host::tasks::{self, Visitor};
use chi_host::train::Run;
use chi_host::world::{GoalProgress, World};

use super::{BundleFile, mean};

#[derive(clap::Args)]
pub struct Args {
    /// The bundle the firmware runs.
    bundle: PathBuf,
    /// The task; must be the bundle's (default: the bundle's).
    #[arg(long)]
    env: Option<String>,
    /// Build the firmware with the bundle and run it in QEMU (USART1 over TCP).
    #[arg(long, conflicts_with = "serial", required_unless_present = "serial")]
    qemu: bool,
    /// A board's serial port (set to 115200 8N1 raw with `stty`), e.g. /dev/ttyACM0.
    #[arg(long)]
    serial: Option<PathBuf>,
    /// Planner and environment seed of the first episode (sent to the board).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Episode length (default: the task's).
    #[arg(long)]
    steps: Option<u32>,
    /// Episodes, with seeds SEED, SEED+1, ...
    #[arg(long, default_value_t = 1)]
    episodes: u32,
    /// The run the bundle was exported from: also evaluate the host's CHI at the paper's
    /// settings (K = 500, the f32 ensemble) and a random policy on the same episodes, and
    /// print the board's normalised return (random 0, host 1).
    #[arg(long)]
    run: Option<PathBuf>,
    /// Instead of episodes: send N hostile frames (random bytes, oversized, bad COBS, bad
    /// CRC, random bodies behind a valid CRC, wrong state lengths, NaN and infinite states)
    /// with valid requests among them, and check that the board answers every frame as its
    /// twin on the host does, in order.
    #[arg(long, value_name = "N")]
    flood: Option<u64>,
    /// With --qemu: pace each step to this many SysTick ticks instead of the task's control
    /// period at 168 MHz (QEMU's tick is 1/0.168 instructions, so the task's own period
    /// allows far more work there than on a board). The board stops planning with the
    /// best plan so far when another unit of work would not end in time; the host twin
    /// replays each step with the iterations the board completed.
    #[arg(long, value_name = "TICKS", requires = "qemu")]
    deadline_ticks: Option<u64>,
    /// With --qemu: leave out chi's cycle model of the STM32F405 (a QEMU plugin that costs
    /// every decision in modelled cycles beside QEMU's instruction count, at about a third
    /// of QEMU's speed).
    #[arg(long, requires = "qemu")]
    no_cycle_model: bool,
    /// With --qemu: the QEMU machine (chip) to run on. The cycle model describes the
    /// STM32F405 (netduinoplus2) only.
    #[arg(long, value_enum, default_value_t, requires = "qemu")]
    machine: Machine,
}

/// `chi hil` with its bundle read.
struct Hil {
    args: Args,
    bundle: BundleFile,
}

impl Args {
    pub fn run(self) -> Result<()> {
        let bundle = BundleFile::read(&self.bundle)?;
        let task = bundle.header.task.name().to_string();
        if let Some(env) = &self.env
            && *env != task
        {
            bail!(
                "bundle '{}' is for task {task}, not --env {env}",
                self.bundle.display()
            );
        }
        tasks::dispatch(&task, Hil { args: self, bundle })?
    }
}

impl Visitor for Hil {
    type Out = Result<()>;

    fn visit<const S: usize, const A: usize, W: World<S, A>>(self) -> Result<()> {
        let Self { args, bundle } = self;
        let (task, config) = bundle.task::<S, A, W>(args.steps)?;
        let bytes = &bundle.bytes;
        let mut env = W::env(&task, &config)?;
        let (mut board, _qemu, plugin) = connect(&args)?;
        let mut costed = 0;
        let mut twin = Twin::start(&args.bundle)?;
        if let Some(n) = args.flood {
            return flood(
                &mut board,
                &mut twin.client,
                bytes.as_bytes(),
                S,
                n,
                args.seed,
            );
        }
        let seeds: Vec<u64> = (0..u64::from(args.episodes.max(1)))
            .map(|e| args.seed + e)
            .collect();
        let mut returns = Vec::new();
        for &seed in &seeds {
            let r = firmware::hil::episode(
                &mut board,
                Some((&mut twin.client, bytes.as_bytes())),
                bytes.as_bytes(),
                &mut env,
                seed,
            )?;
            println!(
                "hil episode ({}, seed {seed}, {}): return {:.4} over {} steps{}{}, actions crc {:#010x}",
                W::Task::NAME,
                if args.qemu { "QEMU" } else { "board" },
                r.ret,
                r.steps,
                if r.terminated { " (terminated)" } else { "" },
                goal::<S, A, W>(&r),
                r.actions_crc
            );
            if let Some(plugin) = &plugin {
                print_modelled(plugin, &mut costed, r.steps)?;
            }
            print_cost(
                &r,
                args.qemu.then_some(args.machine),
                W::Task::CONTROL_PERIOD,
            )?;
            returns.push(r.ret);
        }
        let serial = board.hello(Duration::from_secs(20))?.serial;
        if serial.none() {
            println!("serial line: no byte lost or garbled");
        } else {
            println!(
                "serial line: {} overruns, {} framing and {} noise errors, {} bytes dropped for a full ring",
                serial.overrun, serial.framing, serial.noise, serial.dropped
            );
        }
        if let Some(dir) = &args.run {
            let run = Run::<S, A, W>::reopen(dir)?;
            let (host, random) = (run.chi_returns(&seeds)?, run.random_returns(&seeds)?);
            let (b, h, r) = (mean(&returns), mean(&host), mean(&random));
            println!(
                "normalised return {:.3} over {} episodes: board {b:.3}, host CHI at the paper's settings (K = 500, f32 ensemble) {h:.3}, random policy {r:.3}",
                (b - r) / (h - r),
                returns.len()
            );
        }
        Ok(())
    }
}

/// `chi hil --flood N`: the board and its twin, both reset to `seed`, fed the same flood.
fn flood(
    board: &mut Client,
    twin: &mut Client,
    bundle: &[u8],
    state_len: usize,
    n: u64,
    seed: u64,
) -> Result<()> {
    firmware::hil::check_runs(board, bundle, "board")?;
    firmware::hil::check_runs(twin, bundle, "twin")?;
    board.reset(seed)?;
    twin.reset(seed)?;
    let started = std::time::Instant::now();
    let bar = indicatif::ProgressBar::new(n);
    // Without a terminal the bar is hidden: a line every tenth says the flood goes on.
    let quiet = bar.is_hidden();
    let mut told = 0;
    let report = firmware::flood::flood(board, twin, state_len, n, 100, seed, |sent| {
        bar.set_position(sent);
        if quiet && sent * 10 >= (told + 1) * n {
            told = sent * 10 / n.max(1);
            eprintln!(
                "chi: flood {sent} of {n} hostile frames, {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
    });
    bar.finish_and_clear();
    let report = report?;
    println!(
        "flood: {} hostile frames and {} valid requests ({:.1} MB) in {:.0} s; all {} replies equal the twin's, every valid request answered in order",
        report.hostile_total(),
        report.valid,
        report.bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        report.replies
    );
    for (kind, count) in &report.hostile {
        println!("  sent {count:>9}  {kind}");
    }
    for (kind, count) in &report.errors {
        println!("  answered {count:>9}  Error {kind}");
    }
    Ok(())
}

/// ", reached goal: at step N / no, final state (...)" for tasks with a goal.
fn goal<const S: usize, const A: usize, W: World<S, A>>(r: &HilReport) -> String {
    let states = super::states::<S>(r);
    match (GoalProgress::of::<S, A, W>(&states), states.last()) {
        (g, Some(last)) if g.has_goal() => format!(
            ", reached goal: {}, final state {last:.3?}",
            super::goal_step(g.first_success)
        ),
        _ => String::new(),
    }
}

/// The client; QEMU's process with the directory of its image and cycle file (the process
/// goes first); the cycle model.
type Link = (
    Client,
    Option<(qemu::Serving, super::WorkDir)>,
    Option<Plugin>,
);

/// The link to the firmware: built with `bundle` and started in QEMU (kept alive by the
/// returned handle, with the directory its image and cycle file are in), or a board on a
/// serial port (which needs no build, nor the repository).
fn connect(args: &Args) -> Result<Link> {
    let bundle = &args.bundle;
    if args.qemu {
        let work = super::WorkDir::new()?;
        let elf = work.join("chi-hil.elf");
        eprintln!("chi: building the hil firmware with {}", bundle.display());
        firmware::build::build_for(
            args.machine,
            bundle,
            firmware::build::Job::Hil,
            args.deadline_ticks,
            &elf,
        )?;
        let plugin = if args.no_cycle_model || args.machine != Machine::Netduinoplus2 {
            None
        } else {
            Some(Plugin::new(&elf, work.join("chi-hil.cycles"))?)
        };
        let clock = match &plugin {
            Some(p) => qemu::Clock::Modelled(p),
            None => qemu::Clock::Instructions,
        };
        let qemu = qemu::Serving::start(&elf, clock, Duration::from_secs(30))?;
        let reader = qemu.stream.try_clone()?;
        let writer = qemu.stream.try_clone()?;
        return Ok((Client::new(reader, writer), Some((qemu, work)), plugin));
    }
    let Some(port) = args.serial.as_deref() else {
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
    Ok((Client::new(file.try_clone()?, file), None, None))
}

/// The cycle model's cost of the episode's decisions: the `steps` decision spans after the
/// `costed` ones of earlier episodes (the plugin writes each as it ends, so they are read
/// while QEMU still runs).
fn print_modelled(plugin: &Plugin, costed: &mut usize, steps: u32) -> Result<()> {
    let marks = plugin.read()?;
    let all = marks.span(span::ACT);
    let Some(these) = all.get(*costed..) else {
        bail!(
            "the cycle model lost decisions: {} marked, {costed} seen before",
            all.len()
        );
    };
    *costed = all.len();
    if these.len() != steps as usize {
        bail!(
            "the cycle model marked {} decisions in an episode of {steps} steps",
            these.len()
        );
    }
    let cycles: Vec<f64> = these.iter().map(|c| c.cycles as f64).collect();
    let worst = cycles.iter().copied().fold(0.0, f64::max);
    let total = Counts::sum(these);
    println!(
        "  {:.0} modelled cycles per control step (worst {worst:.0}; {:.2} a QEMU instruction): {:.1} steps/s at 168 MHz worst case, on chi's model of the STM32F405",
        total.cycles as f64 / these.len().max(1) as f64,
        total.cycles_per_instruction(),
        firmware::CORE_HZ / worst.max(1.0)
    );
    Ok(())
}

/// Cost of the board's decisions against the task's control period, and whether each equals
/// the twin's (an error if not).
fn print_cost(r: &HilReport, qemu: Option<Machine>, period: f32) -> Result<()> {
    let to_unit = |ticks: f64| match qemu {
        Some(machine) => machine.instructions(ticks.round() as u64),
        None => ticks,
    };
    let unit = if qemu.is_some() {
        "instructions (QEMU -icount)"
    } else {
        "cycles"
    };
    let per_step = to_unit(r.mean_ticks());
    let worst = to_unit(f64::from(r.ticks.iter().copied().max().unwrap_or(0)));
    println!(
        "  {per_step:.0} {unit} per control step (worst {worst:.0}): {:.1} steps/s at 168 MHz, the task's period allows {:.2} M",
        firmware::CORE_HZ / worst.max(1.0),
        firmware::CORE_HZ * f64::from(period) / 1e6
    );
    let iterations = |f: fn(u8, u8) -> u8| r.iterations.iter().copied().reduce(f).unwrap_or(0);
    let skipped = r.iterations.iter().filter(|i| **i == 0).count();
    println!(
        "  planner iterations a step: {} to {} (the twin replays each step with the board's count); planning skipped on {skipped} of {} steps",
        iterations(u8::min),
        iterations(u8::max),
        r.iterations.len()
    );
    match &r.first_mismatch {
        None => {
            println!("  every action equals the host twin's, bit for bit");
            Ok(())
        }
        Some((step, board, host)) => bail!(
            "{} of {} actions differ from the host twin's; first at step {step}: board {board:?}, host {host:?}",
            r.mismatches,
            r.steps
        ),
    }
}
