//! MuJoCo Half-Cheetah as the paper runs it (Appendix D.2): gymnasium's `half_cheetah.xml`
//! and HalfCheetah-v5 dynamics (frame skip 5, reset noise: positions uniform in +-0.1,
//! velocities 0.1 N(0, 1)), a 17-d observation (`qpos` without the x position, then `qvel`),
//! six actions in [-1, 1], reward forward velocity - 0.1 ||a||^2, each action repeated 4
//! times (rewards summed), 100 agent steps an episode.
//!
//! The library comes from `cargo xtask setup` (MuJoCo 3.17.0, the version mujoco-rs 7.0.0
//! binds) and so does the model file ([`default_model`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chi_embedded::rng::ChiRng;
use mujoco_rs::prelude::*;

use crate::env::{Env, Step};

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

/// Where `cargo xtask setup` puts `half_cheetah.xml`, unless `CHI_MUJOCO_DIR` says otherwise.
pub fn default_model() -> PathBuf {
    std::env::var_os("CHI_MUJOCO_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache/mujoco"))
        .join("half_cheetah.xml")
}

/// The environment. One MuJoCo model and data per instance.
pub struct HalfCheetah {
    data: MjData<Box<MjModel>>,
    init_qpos: Vec<f64>,
    init_qvel: Vec<f64>,
    noise: f64,
    rng: ChiRng,
    steps: u32,
}

impl HalfCheetah {
    /// Loads the model from `xml` (see [`default_model`]).
    pub fn new(xml: &Path) -> Result<Self> {
        if !xml.is_file() {
            bail!(
                "{} is missing: `cargo xtask setup` fetches half_cheetah.xml from the gymnasium wheel",
                xml.display()
            );
        }
        let model = MjModel::from_xml(xml)
            .map_err(|e| anyhow::anyhow!("MuJoCo cannot load {}: {e}", xml.display()))?;
        let (nq, nv, nu) = (model.ffi().nq, model.ffi().nv, model.ffi().nu);
        if (nq, nv, nu) != (9, 9, 6) {
            bail!(
                "{} is not the half-cheetah: nq {nq}, nv {nv}, nu {nu} (expected 9, 9, 6)",
                xml.display()
            );
        }
        let data = MjData::new(Box::new(model));
        Ok(Self {
            init_qpos: data.qpos().to_vec(),
            init_qvel: data.qvel().to_vec(),
            data,
            noise: RESET_NOISE,
            rng: ChiRng::new(0),
            steps: 0,
        })
    }

    /// The same environment without reset noise: every episode starts at the model's rest
    /// pose (for tests against reference values).
    pub fn without_reset_noise(mut self) -> Self {
        self.noise = 0.0;
        self
    }

    fn observation(&self) -> [f32; OBS] {
        let mut obs = [0.0f32; OBS];
        let q = self.data.qpos().iter().skip(1);
        let v = self.data.qvel().iter();
        for (o, x) in obs.iter_mut().zip(q.chain(v)) {
            *o = *x as f32;
        }
        obs
    }

    /// How often MuJoCo has found a NaN or huge position, velocity or acceleration. Each
    /// time it resets the simulation to the model's rest pose and goes on (its auto-reset),
    /// so a step that raised the count diverged.
    fn divergences(&self) -> i32 {
        use mujoco_rs::mujoco_c::mjtWarning::{mjWARN_BADQACC, mjWARN_BADQPOS, mjWARN_BADQVEL};
        let warnings = &self.data.ffi().warning;
        [mjWARN_BADQPOS, mjWARN_BADQVEL, mjWARN_BADQACC]
            .iter()
            .filter_map(|w| warnings.get(*w as usize))
            .map(|w| w.number)
            .sum()
    }

    /// The x position of the torso (not observed; the reward is its velocity).
    pub fn x_position(&self) -> f64 {
        self.data.qpos().first().copied().unwrap_or(0.0)
    }

    /// Seconds of simulated time one agent step covers.
    pub fn agent_dt(&self) -> f64 {
        self.env_dt() * ACTION_REPEAT as f64
    }

    fn env_dt(&self) -> f64 {
        self.data.model().opt().timestep * FRAME_SKIP as f64
    }

    /// One agent step with the reward in f64 (what [`Env::step`] rounds to f32).
    pub fn step_f64(&mut self, action: &[f32; ACT]) -> (f64, bool) {
        let a = action.map(|v| {
            if v.is_nan() {
                0.0
            } else {
                f64::from(v.clamp(-1.0, 1.0))
            }
        });
        let ctrl_cost = CTRL_COST * a.iter().map(|v| v * v).sum::<f64>();
        let dt = self.env_dt();
        let mut reward = 0.0;
        for _ in 0..ACTION_REPEAT {
            let before = self.x_position();
            self.data.ctrl_mut().copy_from_slice(&a);
            for _ in 0..FRAME_SKIP {
                self.data.step();
            }
            reward += (self.x_position() - before) / dt - ctrl_cost;
        }
        self.steps += 1;
        (reward, self.steps >= EPISODE_STEPS)
    }
}

impl Env<OBS, ACT> for HalfCheetah {
    fn reset(&mut self, seed: u64) -> [f32; OBS] {
        self.rng = ChiRng::new(seed);
        self.data.reset();
        let noise = self.noise;
        let qpos: Vec<f64> = self
            .init_qpos
            .iter()
            .map(|q| q + noise * f64::from(self.rng.symmetric_uniform()))
            .collect();
        let qvel: Vec<f64> = self
            .init_qvel
            .iter()
            .map(|v| v + noise * f64::from(self.rng.normal()))
            .collect();
        self.data.qpos_mut().copy_from_slice(&qpos);
        self.data.qvel_mut().copy_from_slice(&qvel);
        self.data.forward();
        self.steps = 0;
        self.observation()
    }

    fn step(&mut self, action: &[f32; ACT]) -> Step<OBS> {
        let before = self.divergences();
        let (reward, truncated) = self.step_f64(action);
        if self.divergences() > before {
            // MuJoCo reset the simulation mid-step: what it returns now is the rest pose, not
            // where the step led. NaN says so, and the episode loop ends the episode there.
            return Step {
                obs: [f32::NAN; OBS],
                reward: f32::NAN,
                terminated: false,
                truncated: true,
            };
        }
        Step {
            obs: self.observation(),
            reward: reward as f32,
            terminated: false,
            truncated,
        }
    }
}

/// Opens the default model, with a message that says what to run when it is missing.
pub fn open_default() -> Result<HalfCheetah> {
    let path = default_model();
    HalfCheetah::new(&path).with_context(|| "Half-Cheetah needs `cargo xtask setup`".to_string())
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

    fn exact() -> HalfCheetah {
        open_default().unwrap().without_reset_noise()
    }

    fn close(got: f64, want: f64) -> bool {
        (got - want).abs() <= 1e-9 * (1.0 + want.abs())
    }

    #[test]
    fn zero_action_from_the_rest_pose_matches_gymnasium() {
        let mut env = exact();
        let obs = env.reset(0);
        assert_eq!(obs, [0.0; OBS], "the rest pose is all zeros");
        let (reward, truncated) = env.step_f64(&[0.0; ACT]);
        assert!(close(reward, ZERO_REWARD), "{reward} vs {ZERO_REWARD}");
        assert!(!truncated);
        // Layout: qpos[1..] then qvel, as gymnasium's observation.
        let q = env.data.qpos();
        let v = env.data.qvel();
        for (i, want) in ZERO_OBS.iter().enumerate() {
            let got = if i < 8 { q[i + 1] } else { v[i - 8] };
            assert!(close(got, *want), "obs[{i}] {got} vs {want}");
        }
        assert_eq!(env.observation()[0], ZERO_OBS[0] as f32);
    }

    #[test]
    fn a_fixed_action_sequence_matches_gymnasium() {
        let mut env = exact();
        env.reset(0);
        for (t, want) in SEQ_REWARDS.iter().enumerate() {
            let a: [f32; ACT] = std::array::from_fn(|j| (0.7 * t as f64 + j as f64).sin() as f32);
            // gymnasium gets the f64 action; ours travels as f32, as a policy's does.
            let (reward, _) = env.step_f64(&a);
            assert!((reward - want).abs() < 1e-5, "step {t}: {reward} vs {want}");
        }
        let obs = env.observation();
        for (i, (got, want)) in obs.iter().zip(SEQ_OBS).enumerate() {
            assert!(
                (f64::from(*got) - want).abs() < 1e-4,
                "obs[{i}] {got} vs {want}"
            );
        }
    }

    #[test]
    fn episodes_are_deterministic_for_a_seed_and_last_100_steps() {
        let run = |seed: u64| {
            let mut env = open_default().unwrap();
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
        let (ra, _) = a.step_f64(&[f32::NAN; ACT]);
        let (rb, _) = b.step_f64(&[0.0; ACT]);
        assert_eq!(ra.to_bits(), rb.to_bits());
    }

    #[test]
    fn a_simulation_that_diverges_is_reported_instead_of_reset_silently() {
        for (what, poison) in [
            (
                "a NaN position",
                (|e: &mut HalfCheetah| e.data.qpos_mut()[2] = f64::NAN) as fn(&mut HalfCheetah),
            ),
            ("a huge velocity", |e: &mut HalfCheetah| {
                e.data.qvel_mut()[0] = 1e12
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
