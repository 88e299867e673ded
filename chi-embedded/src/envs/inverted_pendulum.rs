//! What the controller knows of gymnasium's InvertedPendulum-v5 (the simulation is MuJoCo's,
//! on the host): 4 observations (cart position, pole angle, their velocities), one force
//! (the host scales chi's `[-1, 1]` to the actuator's +-3), reward 1 a step while the pole
//! stands, and the fall that ends an episode: the angle beyond 0.2 rad or a state that is
//! not finite.

use crate::dynamics::Reward;
use crate::task::{Task, TaskParams};

/// Observation size.
pub const OBS: usize = 4;
/// Action size.
pub const ACT: usize = 1;
/// The largest angle the pole may lean, rad.
pub const MAX_ANGLE: f32 = 0.2;

/// InvertedPendulum-v5.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct InvertedPendulumTask;

fn standing(next: &[f32; OBS]) -> bool {
    next.iter().all(|x| x.is_finite()) && -MAX_ANGLE <= next[1] && next[1] <= MAX_ANGLE
}

impl Reward<OBS, ACT> for InvertedPendulumTask {
    fn reward(&self, _state: &[f32; OBS], _action: &[f32; ACT], next: &[f32; OBS]) -> f32 {
        if standing(next) { 1.0 } else { 0.0 }
    }

    fn terminated(&self, next: &[f32; OBS]) -> bool {
        !standing(next)
    }
}

impl Task<OBS, ACT> for InvertedPendulumTask {
    const NAME: &'static str = "inverted-pendulum";
    const VERSION: u16 = 1;
    /// Timestep 0.02 s x frame skip 2.
    const CONTROL_PERIOD: f32 = 0.04;
    const EPISODE_STEPS: u32 = 1000;
    const SUMMARY: &'static str =
        "1 while the pole stands, ends beyond 0.2 rad (MuJoCo; gymnasium InvertedPendulum-v5)";

    fn from_params(params: &[f32]) -> Result<Self, &'static str> {
        if params.is_empty() {
            Ok(Self)
        } else {
            Err("InvertedPendulum takes no parameters")
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
    fn rewards_standing_and_ends_beyond_the_angle() {
        let task = InvertedPendulumTask;
        let up = [0.1, 0.2, -1.0, 3.0];
        assert_eq!(task.reward(&up, &[0.0], &up), 1.0);
        assert!(!task.terminated(&up));
        for fallen in [
            [0.0, 0.21, 0.0, 0.0],
            [0.0, -0.3, 0.0, 0.0],
            [f32::NAN, 0.0, 0.0, 0.0],
        ] {
            assert!(task.terminated(&fallen), "{fallen:?}");
            assert_eq!(task.reward(&up, &[0.0], &fallen), 0.0);
        }
    }
}
