//! `chi run`: one episode of a bundle's controller on the host, exactly as the board acts
//! (its twin), in the bundle's task.

use std::path::PathBuf;

use anyhow::Result;
use chi_embedded::task::Task;
use chi_host::firmware::twin::Twin;
use chi_host::tasks::{self, Visitor};

use super::BundleFile;
use chi_host::world::{self, GoalProgress, World};

#[derive(clap::Args)]
pub struct Args {
    /// The bundle file.
    bundle: PathBuf,
    /// Planner seed (defaults to the bundle's); the environment starts from `reset(0)`.
    #[arg(long)]
    seed: Option<u64>,
    /// Episode length (default: the task's).
    #[arg(long)]
    steps: Option<u32>,
    /// Change a parameter of the environment (`name=value`, repeatable), e.g.
    /// `--param opening_width=1` opens the point mass's wall; the controller plans with
    /// the bundle's task.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
}

/// `chi run` with its bundle read.
struct RunBundle {
    args: Args,
    bundle: BundleFile,
}

impl Args {
    pub fn run(self) -> Result<()> {
        let bundle = BundleFile::read(&self.bundle)?;
        let task = bundle.header.task.name().to_string();
        tasks::dispatch(&task, RunBundle { args: self, bundle })?
    }
}

impl Visitor for RunBundle {
    type Out = Result<()>;

    fn visit<const S: usize, const A: usize, W: World<S, A>>(self) -> Result<()> {
        let Self { args, bundle } = self;
        let (trained, mut config) = bundle.task::<S, A, W>(args.steps)?;
        let (bytes, header) = (&bundle.bytes, &bundle.header);
        config.task = world::named_params(&trained);
        super::parse_params(&args.params, &mut config.task)?;
        let task: W::Task = world::task(&config)?;
        let mut env = W::env(&task, &config)?;
        let mut twin = Twin::start(&args.bundle)?;
        let seed = args.seed.unwrap_or(header.seed);
        let r = chi_host::firmware::hil::episode(
            &mut twin.client,
            None,
            bytes.as_bytes(),
            &mut env,
            seed,
        )?;
        let planned = r.iterations.iter().filter(|&&i| i > 0).count();
        println!(
            "episode of {} ({:?}): return {:.4} over {} steps{}\n  planner iterations per step {:.2}, steps without planning {}/{}, actions crc {:#010x}",
            W::Task::NAME,
            task.params().as_slice(),
            r.ret,
            r.steps,
            if r.terminated { " (terminated)" } else { "" },
            r.iterations.iter().map(|&i| f64::from(i)).sum::<f64>() / f64::from(r.steps.max(1)),
            r.steps as usize - planned,
            r.steps,
            r.actions_crc
        );
        let states = super::states::<S>(&r);
        let goal = GoalProgress::of::<S, A, W>(&states);
        if let (true, Some(last)) = (goal.has_goal(), states.last()) {
            println!(
                "  reached goal: {}, closest {:.3}, final state {last:.3?}",
                super::goal_step(goal.first_success),
                goal.closest
            );
        }
        Ok(())
    }
}
