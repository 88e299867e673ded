//! The paper's point mass with its wall (Appendix D.1), simulated by chi-embedded.

use anyhow::Result;
use chi_embedded::controller::Decision;
use chi_embedded::envs::point_mass::{self, PointMassTask};

use crate::config::HORIZON;
use crate::config::{Preset, TrainConfig};
use crate::envs::simulated::Simulated;
use crate::figure1::{self, Snapshot};
use crate::world::World;

/// The point mass.
pub struct PointMass;

impl World<2, 2> for PointMass {
    type Task = PointMassTask;
    type Env = Simulated<PointMassTask>;

    /// The board preset: ensemble 2 x (3 x 32), actor 2 x 32, so the run exports straight to
    /// the firmware and trains in a few minutes (the README's main job). It plans with the
    /// value past the horizon: a 7-step planner cannot see that the detour through the
    /// wall's opening pays, and pulls a policy that has learnt it back to the wall; with the
    /// value CHI keeps the route (experiments/README.md). The paper preset keeps Eq. 4.
    fn preset(preset: Preset) -> TrainConfig {
        let paper = TrainConfig::paper(60);
        match preset {
            Preset::Paper => paper,
            Preset::Board => paper.small_board(),
        }
    }

    fn env(task: &PointMassTask, config: &TrainConfig) -> Result<Self::Env> {
        Ok(Simulated::new(*task, config.episode_steps))
    }

    fn goal_distance(obs: &[f32; 2]) -> Option<f32> {
        Some(point_mass::distance_to_goal(obs))
    }

    const GOAL_RADIUS: f32 = point_mass::GOAL_RADIUS;

    const FIGURE1: bool = true;

    fn snapshot(
        episode: u32,
        state: &[f32; 2],
        d: &Decision<2, 2, HORIZON>,
        posterior_states: [[f32; 2]; HORIZON],
    ) -> Option<Snapshot> {
        const { assert!(HORIZON == figure1::H) };
        Some(Snapshot {
            episode,
            state: *state,
            amortised_mean: d.amortised.mean,
            amortised_std: d.amortised.std,
            amortised_states: d.amortised_states,
            posterior_mean: d.posterior.mean,
            posterior_std: d.posterior.std,
            posterior_states,
        })
    }
}
