//! gymnasium's InvertedPendulum-v5: the physics is MuJoCo's, on the host
//! ([`crate::envs::mujoco::inverted_pendulum`]); the reward and the fall are chi-embedded's
//! ([`InvertedPendulumTask`]).

use anyhow::Result;
use chi_embedded::envs::inverted_pendulum::{ACT, InvertedPendulumTask, OBS};
use chi_embedded::planner::Weighting;

use crate::config::{Preset, TrainConfig};
use crate::envs::mujoco::inverted_pendulum::InvertedPendulum as Env;
use crate::world::World;

/// InvertedPendulum-v5.
pub struct InvertedPendulum;

impl World<OBS, ACT> for InvertedPendulum {
    type Task = InvertedPendulumTask;
    type Env = Env;

    /// 1000-step episodes, 20 of them. Rewards are 0 or 1 a step; temperature 0.1. Each
    /// sample through one ensemble member, as Half-Cheetah.
    ///
    /// The board preset: the small-task board preset (ensemble 2 x (3 x 32), policy 2 x 32,
    /// the value past the horizon); the 40 ms period is 6.7 M cycles at 168 MHz.
    fn preset(preset: Preset) -> TrainConfig {
        let mut c = TrainConfig::paper(1000).one_member_a_sample();
        c.episodes = 20;
        c.chi.planner.weighting = Weighting::Eq4 { temperature: 0.1 };
        match preset {
            Preset::Paper => c,
            Preset::Board => c.small_board(),
        }
    }

    fn env(_task: &InvertedPendulumTask, config: &TrainConfig) -> Result<Env> {
        Ok(Env::open()?.with_episode_steps(config.episode_steps))
    }
}
