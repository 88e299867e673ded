//! The cart-pole swing-up, simulated by chi-embedded ([`CartPoleTask`]).

use anyhow::Result;
use chi_embedded::envs::cartpole::CartPoleTask;
use chi_embedded::planner::Weighting;

use crate::config::{Preset, TrainConfig};
use crate::envs::simulated::Simulated;
use crate::world::World;

/// The cart-pole swing-up.
pub struct CartPole;

impl World<5, 1> for CartPole {
    type Task = CartPoleTask;
    type Env = Simulated<CartPoleTask>;

    /// 60 episodes of 150 steps (9 000 steps). Rewards lie in [0, 1] a step, as the point
    /// mass's differences do, so its temperature 0.05 stays.
    fn preset(preset: Preset) -> TrainConfig {
        let mut c = TrainConfig::paper(150);
        c.episodes = 60;
        c.chi.planner.weighting = Weighting::Eq4 { temperature: 0.05 };
        match preset {
            Preset::Paper => c,
            Preset::Board => c.small_board(),
        }
    }

    fn env(task: &CartPoleTask, config: &TrainConfig) -> Result<Self::Env> {
        Ok(Simulated::new(*task, config.episode_steps))
    }
}
