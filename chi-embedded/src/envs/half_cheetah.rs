//! What the controller knows of MuJoCo Half-Cheetah (paper Appendix D.2): the sizes and the
//! reward. The simulation itself is MuJoCo's, on the host (`chi-host`, feature `mujoco`).

use crate::dynamics::Reward;
use crate::task::{Task, TaskParams};

/// Observation: `qpos` without the x position (8), then `qvel` (9).
pub const OBS: usize = 17;
/// Actions: six joint torques in [-1, 1].
pub const ACT: usize = 6;
/// Where the forward velocity (`qvel[0]`) sits in the observation.
pub const VELOCITY: usize = 8;
/// Weight of the control cost.
pub const CTRL_COST: f32 = 0.1;
/// Environment steps an agent step covers (rewards are summed over them).
pub const ACTION_REPEAT: f32 = 4.0;

/// MuJoCo Half-Cheetah as the paper runs it. The planner's model of the reward: forward
/// velocity of the predicted next state less the control cost, times the action repeat (the
/// environment sums four such rewards; the model only sees the velocity at the end of them).
/// The physics is MuJoCo's, on the host, so the board does not simulate it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HalfCheetahTask;

impl Reward<OBS, ACT> for HalfCheetahTask {
    fn reward(&self, _state: &[f32; OBS], action: &[f32; ACT], next: &[f32; OBS]) -> f32 {
        let cost: f32 = action.iter().map(|a| a * a).sum::<f32>() * CTRL_COST;
        ACTION_REPEAT * (next[VELOCITY] - cost)
    }
}

impl Task<OBS, ACT> for HalfCheetahTask {
    const NAME: &'static str = "half-cheetah";
    const VERSION: u16 = 1;
    /// Timestep 0.01 s x frame skip 5 x action repeat 4 (paper Appendix D.2).
    const CONTROL_PERIOD: f32 = 0.2;
    const EPISODE_STEPS: u32 = 100;
    const SUMMARY: &'static str =
        "forward velocity - 0.1 |a|^2, summed over 4 repeats (MuJoCo; paper D.2)";

    fn from_params(params: &[f32]) -> Result<Self, &'static str> {
        if params.is_empty() {
            Ok(Self)
        } else {
            Err("Half-Cheetah takes no parameters")
        }
    }

    fn params(&self) -> TaskParams {
        TaskParams::NONE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewards_forward_velocity_less_control_cost() {
        let mut next = [0.0; OBS];
        next[VELOCITY] = 2.0;
        let r = HalfCheetahTask.reward(&[0.0; OBS], &[1.0, 0.0, 0.0, 0.0, 0.0, -1.0], &next);
        assert_eq!(r, 4.0 * (2.0 - 0.2));
    }
}
