//! Closed-loop point-mass episodes with the CHI controller on the host, through the same
//! episode loop the firmware's self-test runs ([`point_mass::run_episode`]).

use chi_embedded::budget::Unlimited;
use chi_embedded::controller::Controller;
use chi_embedded::dynamics::{Dynamics, Reward};
use chi_embedded::envs::point_mass::{self, EpisodeSummary, Geometry};
use chi_embedded::policy::AmortisedPolicy;

/// An episode and what the controller did in it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpisodeReport {
    /// Return, success, actions' CRC: comparable bit for bit with the board's.
    pub summary: EpisodeSummary,
    /// Steps on which the amortised proposal was confident enough to skip planning.
    pub early_exits: u32,
    /// Planner iterations over the episode.
    pub iterations: u32,
}

/// Runs `steps` steps of the point mass with `chi` choosing every action.
pub fn run<P, D, R, const H: usize, const K: usize>(
    chi: &mut Controller<P, D, R, 2, 2, H, K>,
    geometry: Geometry,
    steps: u32,
) -> EpisodeReport
where
    P: AmortisedPolicy<2, 2>,
    D: Dynamics<2, 2>,
    R: Reward<2, 2>,
{
    let (mut early_exits, mut iterations) = (0, 0);
    let summary = point_mass::run_episode(geometry, steps, |s| {
        let d = chi.act(s, &mut Unlimited);
        early_exits += u32::from(d.early_exit);
        iterations += d.refinement.iterations;
        d.action
    });
    EpisodeReport {
        summary,
        early_exits,
        iterations,
    }
}

/// Return of a uniformly random policy over one point-mass episode: the 0 of the normalised
/// return (`chi hil --run`).
pub fn random_return(geometry: Geometry, steps: u32, seed: u64) -> f32 {
    let mut rng = chi_embedded::rng::ChiRng::new(seed);
    point_mass::run_episode(geometry, steps, |_| {
        [rng.symmetric_uniform(), rng.symmetric_uniform()]
    })
    .ret
}
