//! gymnasium's Hopper-v5: a one-legged planar hopper (`hopper.xml`, timestep 0.002 s, frame
//! skip 4: 125 decisions a second), 11 observations (`qpos[1..]`, `qvel` clipped to +-10),
//! three torques, reward forward velocity + 1 while healthy - 1e-3 ||a||^2, and the episode
//! ends when it falls: height at most 0.7, torso angle outside +-0.2, or any of `qpos[2..]`,
//! `qvel` outside +-100. 1000 steps; reset noise uniform +-0.005.

use anyhow::Result;

use super::locomotion;
use super::{Gymnasium, MujocoEnv, ResetNoise, Sim, StepInfo};

pub use chi_embedded::envs::hopper::{ACT, OBS};

/// Hopper-v5.
pub struct HopperV5;

/// The environment.
pub type Hopper = MujocoEnv<HopperV5, OBS, ACT>;

impl HopperV5 {
    fn healthy(sim: &Sim) -> bool {
        let state = sim.qpos().iter().skip(2).chain(sim.qvel());
        locomotion::upright(sim, (0.7, f64::INFINITY), (-0.2, 0.2))
            && state.into_iter().all(|x| -100.0 < *x && *x < 100.0)
    }
}

impl Gymnasium<OBS, ACT> for HopperV5 {
    const ID: &'static str = "Hopper-v5";
    const MODEL: &'static str = "hopper.xml";
    const NQ_NV: (usize, usize) = (6, 6);
    const FRAME_SKIP: usize = 4;
    const EPISODE_STEPS: u32 = 1000;
    const RESET_NOISE: ResetNoise = ResetNoise::Uniform(5e-3);

    fn new(_sim: &Sim) -> Result<Self> {
        Ok(Self)
    }

    fn observe(&self, sim: &Sim) -> [f64; OBS] {
        locomotion::observe(sim)
    }

    fn reward_terms(&self, step: &StepInfo<'_, ACT>, sim: &Sim) -> Vec<(&'static str, f64)> {
        locomotion::reward_terms(step, sim, Self::healthy(sim))
    }

    fn terminated(&self, sim: &Sim, _obs: &[f64; OBS]) -> bool {
        !Self::healthy(sim)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    #[test]
    fn a_fixed_action_sequence_matches_gymnasium_to_its_fall() {
        let f = fixture::load("gymnasium_hopper.json");
        assert_eq!(
            f.terminated.last(),
            Some(&true),
            "the fixture ends in a fall"
        );
        assert_eq!(
            fixture::replay::<HopperV5, OBS, ACT>(&f, 1e-9),
            f.rewards.len()
        );
    }
}
