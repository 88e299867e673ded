//! gymnasium's Hopper-v5: the physics is MuJoCo's, on the host
//! ([`crate::envs::mujoco::hopper`]); the reward and the fall are chi-embedded's
//! ([`HopperTask`]).

use anyhow::Result;
use chi_embedded::envs::hopper::{ACT, HopperTask, OBS};
use chi_embedded::planner::Weighting;

use crate::config::{BoardPlanner, Preset, TrainConfig};
use crate::envs::mujoco::hopper::Hopper as Env;
use crate::world::World;

/// Hopper-v5.
pub struct Hopper;

impl World<OBS, ACT> for Hopper {
    type Task = HopperTask;
    type Env = Env;

    /// 1000-step episodes, 100 of them (100 000 steps, where MBPO and TD-MPC report
    /// Hopper). Rewards are about 1-3 a step (survival plus velocity), so Half-Cheetah's
    /// temperature 1.0. Each sample through one ensemble member, as Half-Cheetah.
    ///
    /// The board preset: ensemble 2 x (3 x 32), policy 2 x 32: the 8 ms period is 1.34 M
    /// cycles at 168 MHz, so `chi export` fits a handful of samples of one iteration.
    fn preset(preset: Preset) -> TrainConfig {
        let mut c = TrainConfig::paper(1000).one_member_a_sample();
        c.episodes = 100;
        c.chi.planner.weighting = Weighting::Eq4 { temperature: 1.0 };
        c.board = BoardPlanner {
            samples: 16,
            iterations: 1,
            one_per_sample: true,
        };
        match preset {
            Preset::Paper => c,
            Preset::Board => c.with_board_networks(2, 32, 32),
        }
    }

    fn env(_task: &HopperTask, config: &TrainConfig) -> Result<Env> {
        Ok(Env::open()?.with_episode_steps(config.episode_steps))
    }
}
