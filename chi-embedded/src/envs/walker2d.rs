//! What the controller knows of gymnasium's Walker2d-v5 (the simulation is MuJoCo's, on the
//! host): 17 observations (`qpos[1..]`: height, torso angle, six joint angles; `qvel`
//! clipped to +-10), six torques, the walkers' reward ([`super::locomotion`]), and the fall
//! that ends an episode: height outside (0.8, 2.0) or torso angle outside +-1.

use crate::dynamics::Reward;
use crate::task::{Task, TaskParams};

use super::locomotion;

/// Observation size.
pub const OBS: usize = 17;
/// Action size.
pub const ACT: usize = 6;
/// Where the forward velocity (`qvel[0]`) sits in the observation.
pub const VELOCITY: usize = 8;

/// Walker2d-v5.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Walker2dTask;

fn healthy(next: &[f32; OBS]) -> bool {
    locomotion::upright(next, (0.8, 2.0), (-1.0, 1.0))
}

impl Reward<OBS, ACT> for Walker2dTask {
    fn reward(&self, _state: &[f32; OBS], action: &[f32; ACT], next: &[f32; OBS]) -> f32 {
        locomotion::reward(next[VELOCITY], healthy(next), action)
    }

    fn terminated(&self, next: &[f32; OBS]) -> bool {
        !healthy(next)
    }
}

impl Task<OBS, ACT> for Walker2dTask {
    const NAME: &'static str = "walker2d";
    const VERSION: u16 = 1;
    /// Timestep 0.002 s x frame skip 4.
    const CONTROL_PERIOD: f32 = 0.008;
    const EPISODE_STEPS: u32 = 1000;
    const SUMMARY: &'static str =
        "x velocity + 1 while healthy - 1e-3 |a|^2, ends on a fall (MuJoCo; gymnasium Walker2d-v5)";

    fn from_params(params: &[f32]) -> Result<Self, &'static str> {
        if params.is_empty() {
            Ok(Self)
        } else {
            Err("Walker2d takes no parameters")
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
    fn ends_when_too_low_too_high_or_leaning() {
        let mut next = [0.0; OBS];
        next[0] = 1.25;
        next[VELOCITY] = -1.0;
        assert!(!Walker2dTask.terminated(&next));
        let r = Walker2dTask.reward(&[0.0; OBS], &[0.0; ACT], &next);
        assert_eq!(r, 0.0, "-1 forward + 1 healthy");
        for (i, fall) in [(0, 0.8), (0, 2.0), (1, 1.0), (1, -1.5)] {
            let mut fallen = next;
            fallen[i] = fall;
            assert!(Walker2dTask.terminated(&fallen), "obs[{i}] = {fall}");
        }
    }
}
