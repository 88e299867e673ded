//! MuJoCo Half-Cheetah as the paper runs it (Appendix D.2): gymnasium's `half_cheetah.xml`
//! and HalfCheetah-v5 dynamics (frame skip 5, reset noise: positions uniform in +-0.1,
//! velocities 0.1 N(0, 1)), a 17-d observation (`qpos` without the x position, then `qvel`),
//! six actions in [-1, 1], reward forward velocity - 0.1 ||a||^2, each action repeated 4
//! times (rewards summed), 100 agent steps an episode.

use std::path::PathBuf;

use anyhow::Result;

use super::{Gymnasium, MujocoEnv, ResetNoise, Sim, StepInfo};

/// Observation size.
pub const OBS: usize = 17;
/// Action size.
pub const ACT: usize = 6;
/// MuJoCo steps per environment step (gymnasium's `frame_skip`).
pub const FRAME_SKIP: usize = 5;
/// Environment steps per agent step (paper Appendix D.2).
pub const ACTION_REPEAT: usize = 4;
/// Agent steps an episode (paper Appendix D.2).
pub const EPISODE_STEPS: u32 = 100;
/// Weight of the control cost (paper: `v - 0.1 ||a||^2`).
pub const CTRL_COST: f64 = 0.1;
/// gymnasium's `reset_noise_scale`.
pub const RESET_NOISE: f64 = 0.1;

/// HalfCheetah-v5 with the paper's action repeat and episode length.
pub struct HalfCheetahV5;

/// The environment.
pub type HalfCheetah = MujocoEnv<HalfCheetahV5, OBS, ACT>;

/// Where `cargo xtask setup` puts `half_cheetah.xml`.
pub fn default_model() -> PathBuf {
    super::model_path(HalfCheetahV5::MODEL)
}

impl Gymnasium<OBS, ACT> for HalfCheetahV5 {
    const ID: &'static str = "HalfCheetah-v5";
    const MODEL: &'static str = "half_cheetah.xml";
    const NQ_NV: (usize, usize) = (9, 9);
    const FRAME_SKIP: usize = FRAME_SKIP;
    const ACTION_REPEAT: usize = ACTION_REPEAT;
    const EPISODE_STEPS: u32 = EPISODE_STEPS;
    const RESET_NOISE: ResetNoise = ResetNoise::UniformNormal(RESET_NOISE);

    fn new(_sim: &Sim) -> Result<Self> {
        Ok(Self)
    }

    /// `qpos` without the x position, then `qvel`.
    fn observe(&self, sim: &Sim) -> [f64; OBS] {
        let mut obs = [0.0; OBS];
        let q = sim.qpos().iter().skip(1);
        for (o, x) in obs.iter_mut().zip(q.chain(sim.qvel())) {
            *o = *x;
        }
        obs
    }

    fn reward_terms(&self, step: &StepInfo<'_, ACT>, sim: &Sim) -> Vec<(&'static str, f64)> {
        let x = sim.qpos().first().copied().unwrap_or(0.0);
        let ctrl = CTRL_COST * step.ctrl.iter().map(|v| v * v).sum::<f64>();
        vec![
            ("reward_forward", (x - step.x_before) / step.dt),
            ("reward_ctrl", -ctrl),
        ]
    }
}

#[cfg(test)]
// The reference values are printed with 17 digits, as Python prints them.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;

    /// Values from gymnasium 1.4.0's HalfCheetah-v5 with `reset_noise_scale=0` on MuJoCo
    /// 3.17.0, four environment steps an agent step
    /// (`chi-host/tests/data/gymnasium_half_cheetah.py`).
    const ZERO_REWARD: f64 = 0.024992471537524812;
    const ZERO_OBS: [f64; OBS] = [
        -0.12736535840929253,
        0.040848651435667911,
        -0.018157994606055845,
        0.077916343001764019,
        -0.12262962240433228,
        0.071708283054967278,
        -0.16160053789695886,
        -0.095562681259235907,
        -0.068943515190082016,
        -0.21934066753846437,
        0.51896802526175601,
        -0.025438569847934547,
        -0.37349718776246787,
        -0.17462081185363659,
        0.38792813731798181,
        -1.5134368035713504,
        -1.7703513596794225,
    ];
    const SEQ_REWARDS: [f64; 5] = [
        -1.1615227702612461,
        -1.3343500783793756,
        -1.5953256754650049,
        -1.7649761325027602,
        -1.9054324462787358,
    ];
    const SEQ_OBS: [f64; OBS] = [
        -0.079890324256303477,
        0.0092392541467586943,
        0.16402497338449118,
        -0.30589241721406879,
        -0.42105768322613163,
        -0.37793504586016463,
        0.17518544052272766,
        0.41381499648044051,
        -0.13068553349776013,
        0.72974600756328378,
        -1.31478170360752,
        -1.4113292697194919,
        -0.58020361231856887,
        -0.01829367721318096,
        2.9033438781088154,
        3.354594395080611,
        4.338391709693318,
    ];

    use crate::env::Env;
    use chi_embedded::rng::ChiRng;

    fn exact() -> HalfCheetah {
        HalfCheetah::open().unwrap().without_reset_noise()
    }

    fn close(got: f64, want: f64) -> bool {
        (got - want).abs() <= 1e-9 * (1.0 + want.abs())
    }

    #[test]
    fn zero_action_from_the_rest_pose_matches_gymnasium() {
        let mut env = exact();
        let obs = env.reset(0);
        assert_eq!(obs, [0.0; OBS], "the rest pose is all zeros");
        let (reward, terminated, truncated) = env.step_f64(&[0.0; ACT]);
        assert!(close(reward, ZERO_REWARD), "{reward} vs {ZERO_REWARD}");
        assert!(!truncated && !terminated);
        // Layout: qpos[1..] then qvel, as gymnasium's observation.
        let q = env.sim().qpos();
        let v = env.sim().qvel();
        for (i, want) in ZERO_OBS.iter().enumerate() {
            let got = if i < 8 { q[i + 1] } else { v[i - 8] };
            assert!(close(got, *want), "obs[{i}] {got} vs {want}");
        }
        assert_eq!(env.observation_f64()[0] as f32, ZERO_OBS[0] as f32);
    }

    #[test]
    fn a_fixed_action_sequence_matches_gymnasium() {
        let mut env = exact();
        env.reset(0);
        for (t, want) in SEQ_REWARDS.iter().enumerate() {
            let a: [f32; ACT] = std::array::from_fn(|j| (0.7 * t as f64 + j as f64).sin() as f32);
            // gymnasium gets the f64 action; ours travels as f32, as a policy's does.
            let (reward, ..) = env.step_f64(&a);
            assert!((reward - want).abs() < 1e-5, "step {t}: {reward} vs {want}");
        }
        let obs = env.observation_f64();
        for (i, (got, want)) in obs.iter().zip(SEQ_OBS).enumerate() {
            assert!((*got - want).abs() < 1e-4, "obs[{i}] {got} vs {want}");
        }
    }

    #[test]
    fn episodes_are_deterministic_for_a_seed_and_last_100_steps() {
        let run = |seed: u64| {
            let mut env = HalfCheetah::open().unwrap();
            let mut trace = vec![env.reset(seed)];
            let mut rng = ChiRng::new(9);
            let mut steps = 0;
            loop {
                let a: [f32; ACT] = std::array::from_fn(|_| rng.symmetric_uniform());
                let s = env.step(&a);
                trace.push(s.obs);
                steps += 1;
                if s.truncated {
                    break;
                }
            }
            (trace, steps)
        };
        let (a, steps) = run(3);
        assert_eq!(steps, EPISODE_STEPS);
        assert_eq!(a, run(3).0);
        assert_ne!(a[0], run(4).0[0], "another seed, another start");
    }

    #[test]
    fn nan_actions_are_treated_as_zero() {
        let (mut a, mut b) = (exact(), exact());
        a.reset(0);
        b.reset(0);
        let (ra, ..) = a.step_f64(&[f32::NAN; ACT]);
        let (rb, ..) = b.step_f64(&[0.0; ACT]);
        assert_eq!(ra.to_bits(), rb.to_bits());
    }

    #[test]
    fn a_simulation_that_diverges_is_reported_instead_of_reset_silently() {
        for (what, poison) in [
            (
                "a NaN position",
                (|e: &mut HalfCheetah| e.sim.data.qpos_mut()[2] = f64::NAN) as fn(&mut HalfCheetah),
            ),
            ("a huge velocity", |e: &mut HalfCheetah| {
                e.sim.data.qvel_mut()[0] = 1e12
            }),
        ] {
            let mut env = exact();
            env.reset(0);
            let fine = env.step(&[0.5; ACT]);
            assert!(fine.obs.iter().all(|x| x.is_finite()) && !fine.truncated);
            poison(&mut env);
            let s = env.step(&[0.5; ACT]);
            assert!(s.truncated && s.reward.is_nan(), "{what}: {s:?}");
            assert!(s.obs.iter().all(|x| x.is_nan()), "{what}");
        }
    }
}
