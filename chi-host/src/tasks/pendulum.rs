//! gymnasium's Pendulum-v1, simulated by chi-embedded ([`PendulumTask`]).

use anyhow::Result;
use chi_embedded::envs::pendulum::PendulumTask;
use chi_embedded::planner::Weighting;

use crate::config::{Preset, TrainConfig};
use crate::envs::simulated::Simulated;
use crate::world::World;

/// The pendulum swing-up.
pub struct Pendulum;

impl World<3, 1> for Pendulum {
    type Task = PendulumTask;
    type Env = Simulated<PendulumTask>;

    /// 50 episodes of 200 steps: the 10 000 steps CleanRL's and RLtools' SAC benchmarks run.
    /// Rewards are up to -16 a step, so seven of them differ by units between sequences: the
    /// Eq. 4 temperature is Half-Cheetah's 1, not the point mass's 0.05. The board preset
    /// plans 24 samples through 2 x (3 x 32) members within the 50 ms period.
    fn preset(preset: Preset) -> TrainConfig {
        let mut c = TrainConfig::paper(200);
        c.episodes = 50;
        c.chi.planner.weighting = Weighting::Eq4 { temperature: 1.0 };
        match preset {
            Preset::Paper => c,
            Preset::Board => c.small_board(),
        }
    }

    fn env(task: &PendulumTask, config: &TrainConfig) -> Result<Self::Env> {
        Ok(Simulated::new(*task, config.episode_steps))
    }
}
