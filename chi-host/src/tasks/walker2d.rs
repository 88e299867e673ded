//! gymnasium's Walker2d-v5: the physics is MuJoCo's, on the host
//! ([`crate::envs::mujoco::walker2d`]); the reward and the fall are chi-embedded's
//! ([`Walker2dTask`]).

use crate::config::{Preset, TrainConfig};
use crate::envs::mujoco::walker2d::Walker2d as Env;
use crate::world::World;
use anyhow::Result;
use chi_embedded::envs::walker2d::{ACT, OBS, Walker2dTask};

/// Walker2d-v5.
pub struct Walker2d;

impl World<OBS, ACT> for Walker2d {
    type Task = Walker2dTask;
    type Env = Env;

    /// Hopper's: the same episodes, rewards of the same scale and the same 8 ms period.
    fn preset(preset: Preset) -> TrainConfig {
        super::hopper::Hopper::preset(preset)
    }

    fn env(_task: &Walker2dTask, config: &TrainConfig) -> Result<Env> {
        Ok(Env::open()?.with_episode_steps(config.episode_steps))
    }
}
