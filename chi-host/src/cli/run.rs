//! `chi run`: one episode of a bundle's controller on the host, exactly as the board acts
//! (its twin), in the bundle's task.

use std::path::PathBuf;

use anyhow::Result;
use chi_embedded::task::Task;
use chi_host::firmware::twin::Twin;
use chi_host::tasks::{self, Visitor};
use chi_host::world::{self, World};

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

impl Args {
    pub fn run(self) -> Result<()> {
        let (_, header) = super::read_bundle(&self.bundle)?;
        tasks::dispatch(header.task.name(), self)?
    }
}

impl Visitor for Args {
    type Out = Result<()>;

    fn visit<const S: usize, const A: usize, W: World<S, A>>(self) -> Result<()> {
        let (bytes, header, trained, mut config) =
            super::bundle_for::<S, A, W>(&self.bundle, self.steps)?;
        config.task = world::named_params(&trained);
        super::parse_params(&self.params, &mut config.task)?;
        let task: W::Task = world::task(&config)?;
        let mut env = W::env(&task, &config)?;
        let mut twin = Twin::start(&self.bundle, &super::work_dir())?;
        let seed = self.seed.unwrap_or(header.seed);
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
        let states: Vec<[f32; S]> = r
            .states
            .iter()
            .filter_map(|s| <[f32; S]>::try_from(s.as_slice()).ok())
            .collect();
        if let Some(last) = states.last()
            && let Some(closest) = states.iter().filter_map(W::goal_distance).reduce(f32::min)
        {
            let reached = states
                .iter()
                .position(|s| W::goal_distance(s).is_some_and(|d| d < W::GOAL_RADIUS));
            println!(
                "  reached goal: {}, closest {closest:.3}, final state {last:.3?}",
                reached.map_or("no".to_string(), |n| format!("at step {n}"))
            );
        }
        Ok(())
    }
}
