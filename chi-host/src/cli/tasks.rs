//! `chi tasks`: every task this build knows.

use anyhow::Result;
use chi_embedded::task::Task;
use chi_host::tasks::{self, Visitor};
use chi_host::world::World;

#[derive(clap::Args)]
pub struct Args {}

struct Describe;

impl Visitor for Describe {
    type Out = String;

    fn visit<const S: usize, const A: usize, W: World<S, A>>(self) -> String {
        let params = W::Task::PARAM_NAMES
            .iter()
            .zip(W::Task::default().params().as_slice())
            .map(|(n, v)| format!("{n} = {v}"))
            .collect::<Vec<_>>();
        format!(
            "{:<18} S={S:<3} A={A:<2} period {:>5.3} s ({:>5.1} Hz), {:>3} steps, board simulates it: {:<3}  params: {}\n{:<18} reward: {}",
            W::Task::NAME,
            W::Task::CONTROL_PERIOD,
            1.0 / W::Task::CONTROL_PERIOD,
            W::Task::EPISODE_STEPS,
            if W::Task::SIMULATED { "yes" } else { "no" },
            if params.is_empty() {
                "none".to_string()
            } else {
                params.join(", ")
            },
            "",
            W::Task::SUMMARY
        )
    }
}

impl Args {
    pub fn run(self) -> Result<()> {
        for name in tasks::names() {
            println!("{}", tasks::dispatch(name, Describe)?);
        }
        Ok(())
    }
}
