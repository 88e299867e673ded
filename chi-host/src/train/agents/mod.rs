//! The agents a run trains, one file each: how each acts in a training episode with the
//! run's learners as they stand. Which learners an agent trains is [`AgentKind`]'s.

use anyhow::Result;
use chi_embedded::rng::ChiRng;

use super::{EpisodeMetrics, Run};
use crate::config::AgentKind;
use crate::figure1::Snapshot;
use crate::world::World;

mod cem;
mod chi;
mod random;
mod sac;

pub use cem::HostCem;
pub use chi::HostChi;

/// How an agent acts through one training episode.
pub(super) trait Agent<const S: usize, const A: usize, W: World<S, A>> {
    /// The action at step `step` (1-based) in `state`, exploration noise included, drawn
    /// from `rng`; `run`'s learners are as the previous step's updates left them.
    fn act(
        &mut self,
        run: &mut Run<S, A, W>,
        step: u32,
        state: &[f32; S],
        rng: &mut ChiRng,
    ) -> Result<[f32; A]>;

    /// Writes the agent's own statistics of the episode's `steps` into `metrics`, and gives
    /// Figure 1's record of its first decision if it kept one.
    fn finish(&mut self, _metrics: &mut EpisodeMetrics, _steps: u32) -> Option<Snapshot> {
        None
    }
}

/// The agent that acts in `run`'s episode `episode`: uniformly random for the first
/// `random_episodes` (whatever the run's agent), then the run's own. Its planner draws its
/// noise from `planner_seed`.
pub(super) fn for_episode<const S: usize, const A: usize, W: World<S, A>>(
    run: &Run<S, A, W>,
    episode: u32,
    planner_seed: u64,
) -> Result<Box<dyn Agent<S, A, W>>> {
    if episode < run.config.random_episodes {
        return Ok(Box::new(random::Random));
    }
    Ok(match run.agent {
        AgentKind::Chi => Box::new(chi::Chi::new(run, planner_seed)?),
        AgentKind::Sac => Box::new(sac::Sac),
        AgentKind::Cem => Box::new(cem::Cem::new(run, planner_seed)?),
    })
}
