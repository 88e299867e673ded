//! gymnasium's Reacher-v5: a two-link planar arm reaching a target (`reacher.xml`, timestep
//! 0.01 s, frame skip 2: 50 decisions a second), 10 observations (`cos` and `sin` of the two
//! joint angles, the target's position, the joints' velocities, fingertip - target in x and
//! y), two torques, reward `-|fingertip - target| - ||a||^2` after the step, never ending
//! early, 50 steps. A start: joints uniform +-0.1 (velocities +-0.005), the target uniform
//! in the disc of radius 0.2 (drawn in the square until it falls inside, as gymnasium does).

use anyhow::Result;
use chi_embedded::rng::ChiRng;

use super::{Gymnasium, MujocoEnv, ResetNoise, Sim, StepInfo};

pub use chi_embedded::envs::reacher::{ACT, OBS};

/// Reacher-v5: the fingertip's and the target's bodies.
pub struct ReacherV5 {
    fingertip: usize,
    target: usize,
}

/// The environment.
pub type Reacher = MujocoEnv<ReacherV5, OBS, ACT>;

impl ReacherV5 {
    /// Fingertip - target, in 3-d.
    fn reach(&self, sim: &Sim) -> [f64; 3] {
        let (f, t) = (
            sim.body_position(self.fingertip),
            sim.body_position(self.target),
        );
        [f[0] - t[0], f[1] - t[1], f[2] - t[2]]
    }
}

impl Gymnasium<OBS, ACT> for ReacherV5 {
    const ID: &'static str = "Reacher-v5";
    const MODEL: &'static str = "reacher.xml";
    const NQ_NV: (usize, usize) = (4, 4);
    const FRAME_SKIP: usize = 2;
    const EPISODE_STEPS: u32 = 50;
    const RESET_NOISE: ResetNoise = ResetNoise::Uniform(0.1);

    fn new(sim: &Sim) -> Result<Self> {
        Ok(Self {
            fingertip: sim.body("fingertip")?,
            target: sim.body("target")?,
        })
    }

    fn reset(&self, qpos: &mut [f64], qvel: &mut [f64], rng: &mut ChiRng) {
        for q in qpos.iter_mut() {
            *q += 0.1 * f64::from(rng.symmetric_uniform());
        }
        let goal = loop {
            let g = [
                0.2 * f64::from(rng.symmetric_uniform()),
                0.2 * f64::from(rng.symmetric_uniform()),
            ];
            if g[0].hypot(g[1]) < 0.2 {
                break g;
            }
        };
        if let [.., gx, gy] = qpos {
            (*gx, *gy) = (goal[0], goal[1]);
        }
        for v in qvel.iter_mut() {
            *v += 0.005 * f64::from(rng.symmetric_uniform());
        }
        if let [.., vx, vy] = qvel {
            (*vx, *vy) = (0.0, 0.0);
        }
    }

    fn observe(&self, sim: &Sim) -> [f64; OBS] {
        let (q, v) = (sim.qpos(), sim.qvel());
        let at = |s: &[f64], i: usize| s.get(i).copied().unwrap_or(f64::NAN);
        let reach = self.reach(sim);
        [
            at(q, 0).cos(),
            at(q, 1).cos(),
            at(q, 0).sin(),
            at(q, 1).sin(),
            at(q, 2),
            at(q, 3),
            at(v, 0),
            at(v, 1),
            reach[0],
            reach[1],
        ]
    }

    fn reward_terms(&self, step: &StepInfo<'_, ACT>, sim: &Sim) -> Vec<(&'static str, f64)> {
        let r = self.reach(sim);
        let dist = (r[0] * r[0] + r[1] * r[1] + r[2] * r[2]).sqrt();
        let ctrl: f64 = step.ctrl.iter().map(|v| v * v).sum();
        vec![("reward_dist", -dist), ("reward_ctrl", -ctrl)]
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;
    use crate::env::Env;

    #[test]
    fn a_fixed_action_sequence_matches_gymnasium() {
        let f = fixture::load("gymnasium_reacher.json");
        assert_eq!(fixture::replay::<ReacherV5, OBS, ACT>(&f, 1e-9), 50);
    }

    #[test]
    fn a_start_puts_the_target_in_the_disc_at_rest() {
        let mut env = Reacher::open().unwrap();
        for seed in 0..200 {
            let obs = env.reset(seed);
            let (gx, gy) = (f64::from(obs[4]), f64::from(obs[5]));
            assert!(gx.hypot(gy) < 0.2, "seed {seed}: target {gx}, {gy}");
            assert_eq!(&env.sim().qvel()[2..], &[0.0, 0.0]);
            assert!(env.sim().qpos()[..2].iter().all(|q| q.abs() <= 0.1));
        }
    }
}
