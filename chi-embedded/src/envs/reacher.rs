//! What the controller knows of gymnasium's Reacher-v5 (the simulation is MuJoCo's, on the
//! host): 10 observations (`cos`, `sin` of the two joint angles, the target's position, the
//! joints' velocities, fingertip - target in x and y), two torques, and the reward
//! `-|fingertip - target| - ||a||^2` of the state the step lands in. gymnasium's distance is
//! 3-d; fingertip and target lie in one plane, so the observed x and y give it. Episodes do
//! not end early.

use crate::dynamics::Reward;
use crate::task::{Task, TaskParams};

/// Observation size.
pub const OBS: usize = 10;
/// Action size.
pub const ACT: usize = 2;
/// Where fingertip - target (x, y) starts in the observation.
pub const REACH: usize = 8;

/// Reacher-v5.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ReacherTask;

impl Reward<OBS, ACT> for ReacherTask {
    fn reward(&self, _state: &[f32; OBS], action: &[f32; ACT], next: &[f32; OBS]) -> f32 {
        let (dx, dy) = (next[REACH], next[REACH + 1]);
        let ctrl: f32 = action.iter().map(|a| a * a).sum();
        -libm::sqrtf(dx * dx + dy * dy) - ctrl
    }
}

impl Task<OBS, ACT> for ReacherTask {
    const NAME: &'static str = "reacher";
    const VERSION: u16 = 1;
    /// Timestep 0.01 s x frame skip 2.
    const CONTROL_PERIOD: f32 = 0.02;
    const EPISODE_STEPS: u32 = 50;
    const SUMMARY: &'static str = "-|fingertip - target| - |a|^2 (MuJoCo; gymnasium Reacher-v5)";

    fn from_params(params: &[f32]) -> Result<Self, &'static str> {
        if params.is_empty() {
            Ok(Self)
        } else {
            Err("Reacher takes no parameters")
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
    fn rewards_closeness_less_control() {
        let mut next = [0.0; OBS];
        next[REACH] = 0.03;
        next[REACH + 1] = -0.04;
        let r = ReacherTask.reward(&[0.0; OBS], &[0.5, -0.5], &next);
        assert!((r - (-0.05 - 0.5)).abs() < 1e-6, "{r}");
        assert!(!ReacherTask.terminated(&next));
    }
}
