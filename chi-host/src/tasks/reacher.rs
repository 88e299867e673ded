//! gymnasium's Reacher-v5: the physics is MuJoCo's, on the host
//! ([`crate::envs::mujoco::reacher`]); the reward is chi-embedded's ([`ReacherTask`]).

use anyhow::Result;
use chi_embedded::envs::reacher::{ACT, OBS, ReacherTask};
use chi_embedded::planner::Weighting;

use crate::config::{Preset, TrainConfig};
use crate::envs::mujoco::reacher::Reacher as Env;
use crate::world::World;

/// Reacher-v5.
pub struct Reacher;

impl World<OBS, ACT> for Reacher {
    type Task = ReacherTask;
    type Env = Env;

    /// 50-step episodes, 200 of them (10 000 steps, PETS' Reacher budget is of that order).
    /// Rewards are tenths of a unit a step, differences hundredths, so the point mass's
    /// temperature 0.05. Each sample through one ensemble member, as Half-Cheetah.
    ///
    /// The board preset: ensemble 2 x (3 x 32), policy 2 x 32 and the value past the horizon
    /// (the small-task board preset); the 20 ms period is 3.36 M cycles at 168 MHz.
    fn preset(preset: Preset) -> TrainConfig {
        let mut c = TrainConfig::paper(50).one_member_a_sample();
        c.episodes = 200;
        c.chi.planner.weighting = Weighting::Eq4 { temperature: 0.05 };
        match preset {
            Preset::Paper => c,
            Preset::Board => c.small_board(),
        }
    }

    fn env(_task: &ReacherTask, config: &TrainConfig) -> Result<Env> {
        Ok(Env::open()?.with_episode_steps(config.episode_steps))
    }
}
