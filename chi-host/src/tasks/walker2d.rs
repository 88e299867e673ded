//! gymnasium's Walker2d-v5: the physics is MuJoCo's, on the host
//! ([`crate::envs::mujoco::walker2d`]); the reward and the fall are chi-embedded's
//! ([`Walker2dTask`]).

use anyhow::Result;
use chi_embedded::envs::walker2d::{ACT, OBS, Walker2dTask};
use chi_embedded::planner::{Propagation, Weighting};

use crate::config::{BoardPlanner, Preset, TrainConfig};
use crate::envs::mujoco::walker2d::Walker2d as Env;
use crate::world::World;

/// Walker2d-v5.
pub struct Walker2d;

impl World<OBS, ACT> for Walker2d {
    type Task = Walker2dTask;
    type Env = Env;

    /// 1000-step episodes, 100 of them (100 000 steps). Rewards as Hopper's; one ensemble member
    /// a sample.
    ///
    /// The board preset: ensemble 2 x (3 x 32), policy 2 x 32, as Hopper's (the same 8 ms period).
    fn preset(preset: Preset) -> TrainConfig {
        let mut c = TrainConfig::paper(1000);
        c.episodes = 100;
        c.chi.planner.weighting = Weighting::Eq4 { temperature: 1.0 };
        c.chi.planner.propagation = Propagation::OnePerSample;
        c.cem.planner.propagation = Propagation::OnePerSample;
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

    fn env(_task: &Walker2dTask, config: &TrainConfig) -> Result<Env> {
        Ok(Env::open()?.with_episode_steps(config.episode_steps))
    }
}
