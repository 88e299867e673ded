//! What the controller knows of MuJoCo Half-Cheetah (paper Appendix D.2): the sizes and the
//! reward. The simulation itself is MuJoCo's, on the host (`chi-host`, feature `mujoco`).

use crate::dynamics::Reward;

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

/// The planner's model of the reward: forward velocity of the predicted next state less the
/// control cost, times the action repeat (the environment sums four such rewards; the model
/// only sees the velocity at the end of them).
#[derive(Clone, Copy, Debug, Default)]
pub struct ForwardReward;

impl Reward<OBS, ACT> for ForwardReward {
    fn reward(&self, _state: &[f32; OBS], action: &[f32; ACT], next: &[f32; OBS]) -> f32 {
        let cost: f32 = action.iter().map(|a| a * a).sum::<f32>() * CTRL_COST;
        ACTION_REPEAT * (next[VELOCITY] - cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewards_forward_velocity_less_control_cost() {
        let mut next = [0.0; OBS];
        next[VELOCITY] = 2.0;
        let r = ForwardReward.reward(&[0.0; OBS], &[1.0, 0.0, 0.0, 0.0, 0.0, -1.0], &next);
        assert_eq!(r, 4.0 * (2.0 - 0.2));
    }
}
