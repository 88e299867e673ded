//! gymnasium's InvertedPendulum-v5: a pole on a cart (`inverted_pendulum.xml`, timestep
//! 0.02 s, frame skip 2: 25 decisions a second), 4 observations (`qpos`, `qvel`), one force
//! (control range +-3: chi's action times 3), reward 1 a step while the pole stands, and the
//! episode ends when it leans more than 0.2 rad (or the state is not finite). 1000 steps;
//! reset noise uniform +-0.01.

use anyhow::Result;

use super::{Gymnasium, MujocoEnv, ResetNoise, Sim, StepInfo};

pub use chi_embedded::envs::inverted_pendulum::{ACT, OBS};

/// InvertedPendulum-v5.
pub struct InvertedPendulumV5;

/// The environment.
pub type InvertedPendulum = MujocoEnv<InvertedPendulumV5, OBS, ACT>;

/// Whether the pole stands: every observation finite and the angle within 0.2 rad.
fn standing(obs: &[f64; OBS]) -> bool {
    obs.iter().all(|x| x.is_finite()) && obs[1].abs() <= 0.2
}

impl Gymnasium<OBS, ACT> for InvertedPendulumV5 {
    const ID: &'static str = "InvertedPendulum-v5";
    const MODEL: &'static str = "inverted_pendulum.xml";
    const NQ_NV: (usize, usize) = (2, 2);
    const FRAME_SKIP: usize = 2;
    const EPISODE_STEPS: u32 = 1000;
    const RESET_NOISE: ResetNoise = ResetNoise::Uniform(0.01);

    fn new(_sim: &Sim) -> Result<Self> {
        Ok(Self)
    }

    fn observe(&self, sim: &Sim) -> [f64; OBS] {
        let mut obs = [0.0; OBS];
        for (o, x) in obs.iter_mut().zip(sim.qpos().iter().chain(sim.qvel())) {
            *o = *x;
        }
        obs
    }

    fn reward_terms(&self, _step: &StepInfo<'_, ACT>, sim: &Sim) -> Vec<(&'static str, f64)> {
        let survive = if standing(&self.observe(sim)) {
            1.0
        } else {
            0.0
        };
        vec![("reward_survive", survive)]
    }

    fn terminated(&self, _sim: &Sim, obs: &[f64; OBS]) -> bool {
        !standing(obs)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    #[test]
    fn a_fixed_action_sequence_matches_gymnasium_to_its_fall() {
        let f = fixture::load("gymnasium_inverted_pendulum.json");
        assert_eq!(
            f.terminated.last(),
            Some(&true),
            "the fixture ends in a fall"
        );
        assert_eq!(
            fixture::replay::<InvertedPendulumV5, OBS, ACT>(&f, 1e-9),
            f.rewards.len()
        );
    }
}
