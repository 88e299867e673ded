//! The motor on the workstation: its chi-host [`World`], so chi trains CHI, SAC and CEM-MPC
//! on it with chi's own trainer, checkpoints and export.

use anyhow::Result;
use chi_embedded::planner::Weighting;
use chi_host::config::{Preset, TrainConfig};
use chi_host::envs::simulated::Simulated;
use chi_host::world::World;

use crate::DcMotor;

/// The motor as a training task.
pub struct Motor;

impl World<2, 1> for Motor {
    type Task = DcMotor;
    type Env = Simulated<DcMotor>;

    /// Board-sized networks either way (the point of the example is the board); rewards of
    /// a few units a step, so the Eq. 4 temperature is 1.
    fn preset(_preset: Preset) -> TrainConfig {
        let mut c = TrainConfig::paper(100).with_board_networks(2, 32, 32);
        c.episodes = 30;
        c.chi.terminal_value = true;
        c.chi.planner.weighting = Weighting::Eq4 { temperature: 1.0 };
        c
    }

    fn env(task: &DcMotor, config: &TrainConfig) -> Result<Self::Env> {
        Ok(Simulated::new(*task, config.episode_steps))
    }
}
