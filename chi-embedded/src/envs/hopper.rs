//! What the controller knows of gymnasium's Hopper-v5 (the simulation is MuJoCo's, on the
//! host): 11 observations (`qpos[1..]`: height, torso angle, three joint angles; `qvel`
//! clipped to +-10), three torques, the walkers' reward ([`super::locomotion`]), and the fall
//! that ends an episode: height at most 0.7, torso angle outside +-0.2, or a joint angle or
//! velocity outside +-100 (gymnasium checks the unclipped velocities, which the observation
//! clips to +-10, so the board sees a fall from a velocity over 100 only through the others).

use crate::dynamics::Reward;
use crate::task::{Task, TaskParams};

use super::locomotion;

/// Observation size.
pub const OBS: usize = 11;
/// Action size.
pub const ACT: usize = 3;
/// Where the forward velocity (`qvel[0]`) sits in the observation.
pub const VELOCITY: usize = 5;

/// Hopper-v5.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HopperTask;

fn healthy(next: &[f32; OBS]) -> bool {
    locomotion::upright(next, (0.7, f32::INFINITY), (-0.2, 0.2))
        && next[1..].iter().all(|x| -100.0 < *x && *x < 100.0)
}

impl Reward<OBS, ACT> for HopperTask {
    fn reward(&self, _state: &[f32; OBS], action: &[f32; ACT], next: &[f32; OBS]) -> f32 {
        locomotion::reward(next[VELOCITY], healthy(next), action)
    }

    fn terminated(&self, next: &[f32; OBS]) -> bool {
        !healthy(next)
    }
}

impl Task<OBS, ACT> for HopperTask {
    const NAME: &'static str = "hopper";
    const VERSION: u16 = 1;
    /// Timestep 0.002 s x frame skip 4.
    const CONTROL_PERIOD: f32 = 0.008;
    const EPISODE_STEPS: u32 = 1000;
    const SUMMARY: &'static str =
        "x velocity + 1 while healthy - 1e-3 |a|^2, ends on a fall (MuJoCo; gymnasium Hopper-v5)";

    fn from_params(params: &[f32]) -> Result<Self, &'static str> {
        if params.is_empty() {
            Ok(Self)
        } else {
            Err("Hopper takes no parameters")
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
    fn rewards_velocity_and_standing_and_ends_on_a_fall() {
        let mut next = [0.0; OBS];
        next[0] = 1.25;
        next[VELOCITY] = 2.0;
        let r = HopperTask.reward(&[0.0; OBS], &[1.0, 0.0, -1.0], &next);
        assert!((r - (2.0 + 1.0 - 2e-3)).abs() < 1e-6, "{r}");
        assert!(!HopperTask.terminated(&next));
        for (i, fall) in [(0, 0.7), (1, 0.2), (1, -0.25), (2, 100.0), (0, f32::NAN)] {
            let mut fallen = next;
            fallen[i] = fall;
            assert!(HopperTask.terminated(&fallen), "obs[{i}] = {fall}");
            let r = HopperTask.reward(&[0.0; OBS], &[0.0; ACT], &fallen);
            assert_eq!(r, 2.0, "no survival bonus on the fall");
        }
    }
}
