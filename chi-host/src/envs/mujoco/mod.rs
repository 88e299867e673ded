//! MuJoCo tasks on the host, as gymnasium 1.4.0's v5 environments define them: one generic
//! [`MujocoEnv`] runs any model file with a small description of the task ([`Gymnasium`]:
//! observation layout, frame skip, reset noise, reward terms, termination, episode length),
//! and each task is one such description in a file of its own, checked against gymnasium's
//! own values (fixtures recorded by `chi-host/tests/data/gymnasium_mujoco.py`).
//!
//! Actions are chi's, in `[-1, 1]`, scaled to each actuator's control range (a symmetric
//! range `[-h, h]` as `a h`, so a range of `[-1, 1]` is exact); NaN is 0. The library and
//! the model files come from `cargo xtask setup` (MuJoCo 3.17.0, the version mujoco-rs 7.0.0
//! binds; the XML from gymnasium's wheel).

pub mod half_cheetah;
pub mod hopper;
pub mod inverted_pendulum;
mod locomotion;
pub mod reacher;
pub mod walker2d;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chi_embedded::rng::ChiRng;
use mujoco_rs::prelude::*;

use crate::env::{Env, Step};

/// Where `cargo xtask setup` puts the model files, unless `CHI_MUJOCO_DIR` says otherwise.
pub fn model_dir() -> PathBuf {
    std::env::var_os("CHI_MUJOCO_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache/mujoco"))
}

/// The model file `name` in [`model_dir`].
pub fn model_path(name: &str) -> PathBuf {
    model_dir().join(name)
}

/// How an episode's start is drawn around the model's rest state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ResetNoise {
    /// Positions and velocities each uniform in `+-scale` (Hopper, Walker2d,
    /// InvertedPendulum).
    Uniform(f64),
    /// Positions uniform in `+-scale`, velocities `scale N(0, 1)` (HalfCheetah).
    UniformNormal(f64),
}

/// The simulation as a task description sees it.
pub struct Sim {
    data: MjData<Box<MjModel>>,
}

impl Sim {
    /// Joint positions.
    pub fn qpos(&self) -> &[f64] {
        self.data.qpos()
    }

    /// Joint velocities.
    pub fn qvel(&self) -> &[f64] {
        self.data.qvel()
    }

    /// The id of body `name`, for [`Sim::body_position`].
    pub fn body(&self, name: &str) -> Result<usize> {
        self.data
            .model()
            .name_to_id(mujoco_rs::mujoco_c::_mjtObjBase::mjOBJ_BODY, name)
            .with_context(|| format!("the model has no body called {name}"))
    }

    /// Where body `id`'s frame is (gymnasium's `get_body_com`, `data.xpos`).
    pub fn body_position(&self, id: usize) -> [f64; 3] {
        self.data.xpos().get(id).copied().unwrap_or([f64::NAN; 3])
    }
}

/// What a step's reward may use besides the state it ends in.
#[derive(Clone, Copy, Debug)]
pub struct StepInfo<'a, const A: usize> {
    /// `qpos[0]` before the step (the x position of a walker).
    pub x_before: f64,
    /// Seconds the step covers (timestep x frame skip).
    pub dt: f64,
    /// The controls applied, in the actuators' units.
    pub ctrl: &'a [f64; A],
}

/// A gymnasium MuJoCo task: `S` observations, `A` actions.
pub trait Gymnasium<const S: usize, const A: usize>: Sized {
    /// gymnasium's id ("Hopper-v5").
    const ID: &'static str;
    /// The model file (in [`model_dir`]).
    const MODEL: &'static str;
    /// `nq`, `nv` of the model (checked when it is loaded).
    const NQ_NV: (usize, usize);
    /// MuJoCo steps an environment step.
    const FRAME_SKIP: usize;
    /// Environment steps an agent step (rewards summed); gymnasium's is 1.
    const ACTION_REPEAT: usize = 1;
    /// Agent steps an episode (gymnasium's `max_episode_steps` over the action repeat).
    const EPISODE_STEPS: u32;
    /// The start state's noise.
    const RESET_NOISE: ResetNoise;

    /// The description, once the model is loaded (to look up bodies).
    fn new(sim: &Sim) -> Result<Self>;

    /// The start of an episode: the rest state with the noise drawn from `rng` (the default
    /// draws [`Self::RESET_NOISE`]); a task with more to draw (a target) overrides it.
    fn reset(&self, qpos: &mut [f64], qvel: &mut [f64], rng: &mut ChiRng) {
        let (scale, normal_velocities) = match Self::RESET_NOISE {
            ResetNoise::Uniform(s) => (s, false),
            ResetNoise::UniformNormal(s) => (s, true),
        };
        for q in qpos.iter_mut() {
            *q += scale * f64::from(rng.symmetric_uniform());
        }
        for v in qvel.iter_mut() {
            let draw = if normal_velocities {
                rng.normal()
            } else {
                rng.symmetric_uniform()
            };
            *v += scale * f64::from(draw);
        }
    }

    /// The observation of the current state.
    fn observe(&self, sim: &Sim) -> [f64; S];

    /// The reward's terms after a step, named as gymnasium's `info` names them
    /// ("reward_forward", "reward_ctrl", ...); the reward is their sum.
    fn reward_terms(&self, step: &StepInfo<'_, A>, sim: &Sim) -> Vec<(&'static str, f64)>;

    /// Whether the state ends the episode (a walker that fell).
    fn terminated(&self, _sim: &Sim, _obs: &[f64; S]) -> bool {
        false
    }
}

/// A gymnasium MuJoCo task `G` over its model: one MuJoCo model and data an instance.
pub struct MujocoEnv<G, const S: usize, const A: usize> {
    sim: Sim,
    task: G,
    init_qpos: Vec<f64>,
    init_qvel: Vec<f64>,
    /// Each actuator's control range.
    ctrl_range: [(f64, f64); A],
    noisy: bool,
    rng: ChiRng,
    steps: u32,
    episode_steps: u32,
}

impl<G: Gymnasium<S, A>, const S: usize, const A: usize> MujocoEnv<G, S, A> {
    /// Loads `G`'s model from `xml` ([`model_path`] of [`Gymnasium::MODEL`] by default).
    pub fn new(xml: &Path) -> Result<Self> {
        if !xml.is_file() {
            bail!(
                "{} is missing: `cargo xtask setup` fetches {} from the gymnasium wheel",
                xml.display(),
                G::MODEL
            );
        }
        let model = MjModel::from_xml(xml)
            .map_err(|e| anyhow::anyhow!("MuJoCo cannot load {}: {e}", xml.display()))?;
        let (nq, nv, nu) = (
            model.ffi().nq as usize,
            model.ffi().nv as usize,
            model.ffi().nu as usize,
        );
        if (nq, nv, nu) != (G::NQ_NV.0, G::NQ_NV.1, A) {
            bail!(
                "{} is not {}'s model: nq {nq}, nv {nv}, nu {nu} (expected {}, {}, {A})",
                xml.display(),
                G::ID,
                G::NQ_NV.0,
                G::NQ_NV.1
            );
        }
        let ranges = model.actuator_ctrlrange();
        let ctrl_range: [(f64, f64); A] = std::array::from_fn(|i| {
            ranges
                .get(i)
                .map_or((0.0, 0.0), |r| (r[0].min(r[1]), r[0].max(r[1])))
        });
        // chi's actions in [-1, 1] map onto each actuator's range; an actuator without one
        // (MuJoCo's "unlimited", an empty range) would get 0 whatever the agent does.
        if let Some(i) = ctrl_range.iter().position(|(lo, hi)| lo >= hi) {
            bail!(
                "{}: actuator {i} has no control range (give it ctrlrange and ctrllimited=\"true\"): chi maps its actions in [-1, 1] onto it",
                xml.display()
            );
        }
        let sim = Sim {
            data: MjData::new(Box::new(model)),
        };
        let task = G::new(&sim)?;
        Ok(Self {
            init_qpos: sim.qpos().to_vec(),
            init_qvel: sim.qvel().to_vec(),
            sim,
            task,
            ctrl_range,
            noisy: true,
            rng: ChiRng::new(0),
            steps: 0,
            episode_steps: G::EPISODE_STEPS,
        })
    }

    /// [`MujocoEnv::new`] from the model `cargo xtask setup` fetched.
    pub fn open() -> Result<Self> {
        Self::new(&model_path(G::MODEL))
            .with_context(|| format!("{} needs `cargo xtask setup`", G::ID))
    }

    /// Episodes of `steps` agent steps instead of gymnasium's length.
    pub fn with_episode_steps(mut self, steps: u32) -> Self {
        self.episode_steps = steps.max(1);
        self
    }

    /// The same environment without reset noise: every episode starts at the model's rest
    /// state (for tests against reference values).
    pub fn without_reset_noise(mut self) -> Self {
        self.noisy = false;
        self
    }

    /// The simulation, as the task sees it.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// Puts the simulation in the state `qpos`, `qvel` (gymnasium's `set_state`).
    pub fn set_state(&mut self, qpos: &[f64], qvel: &[f64]) -> Result<()> {
        if qpos.len() != self.init_qpos.len() || qvel.len() != self.init_qvel.len() {
            bail!(
                "{}: a state of {} positions and {} velocities, not {} and {}",
                G::ID,
                self.init_qpos.len(),
                self.init_qvel.len(),
                qpos.len(),
                qvel.len()
            );
        }
        self.sim.data.qpos_mut().copy_from_slice(qpos);
        self.sim.data.qvel_mut().copy_from_slice(qvel);
        self.sim.data.forward();
        Ok(())
    }

    /// The observation of the current state, in f64.
    pub fn observation_f64(&self) -> [f64; S] {
        self.task.observe(&self.sim)
    }

    fn observation(&self) -> [f32; S] {
        self.observation_f64().map(|x| x as f32)
    }

    /// How often MuJoCo has found a NaN or huge position, velocity or acceleration. Each
    /// time it resets the simulation to the model's rest pose and goes on (its auto-reset),
    /// so a step that raised the count diverged.
    fn divergences(&self) -> i32 {
        use mujoco_rs::mujoco_c::mjtWarning::{mjWARN_BADQACC, mjWARN_BADQPOS, mjWARN_BADQVEL};
        let warnings = &self.sim.data.ffi().warning;
        [mjWARN_BADQPOS, mjWARN_BADQVEL, mjWARN_BADQACC]
            .iter()
            .filter_map(|w| warnings.get(*w as usize))
            .map(|w| w.number)
            .sum()
    }

    /// Seconds of simulated time one environment step covers.
    pub fn env_dt(&self) -> f64 {
        self.sim.data.model().opt().timestep * G::FRAME_SKIP as f64
    }

    /// Seconds of simulated time one agent step covers.
    pub fn agent_dt(&self) -> f64 {
        self.env_dt() * G::ACTION_REPEAT as f64
    }

    /// The controls for chi's `action` in `[-1, 1]` (NaN is 0).
    pub fn controls(&self, action: &[f32; A]) -> [f64; A] {
        self.controls_f64(&action.map(|a| if a.is_nan() { 0.0 } else { f64::from(a) }))
    }

    /// [`MujocoEnv::controls`] of an action in f64 (gymnasium's precision).
    pub fn controls_f64(&self, action: &[f64; A]) -> [f64; A] {
        std::array::from_fn(|i| {
            let a = action[i].clamp(-1.0, 1.0);
            let (lo, hi) = self.ctrl_range[i];
            if lo == -hi {
                a * hi
            } else {
                lo + (a + 1.0) * 0.5 * (hi - lo)
            }
        })
    }

    /// One environment step of `ctrl` (no action repeat): the reward's terms and whether
    /// the state it lands in ends the episode.
    pub fn env_step(&mut self, ctrl: &[f64; A]) -> (Vec<(&'static str, f64)>, bool) {
        let x_before = self.sim.qpos().first().copied().unwrap_or(0.0);
        self.sim.data.ctrl_mut().copy_from_slice(ctrl);
        for _ in 0..G::FRAME_SKIP {
            self.sim.data.step();
        }
        let info = StepInfo {
            x_before,
            dt: self.env_dt(),
            ctrl,
        };
        let terms = self.task.reward_terms(&info, &self.sim);
        let terminated = self.task.terminated(&self.sim, &self.observation_f64());
        (terms, terminated)
    }

    /// One agent step with the reward in f64 (what [`Env::step`] rounds to f32): the action
    /// repeated [`Gymnasium::ACTION_REPEAT`] times, rewards summed, stopping early where the
    /// episode ends. Returns the reward, whether it terminated, whether it was truncated.
    pub fn step_f64(&mut self, action: &[f32; A]) -> (f64, bool, bool) {
        let ctrl = self.controls(action);
        let mut reward = 0.0;
        let mut terminated = false;
        for _ in 0..G::ACTION_REPEAT {
            let (terms, ends) = self.env_step(&ctrl);
            reward += terms.iter().map(|(_, v)| v).sum::<f64>();
            if ends {
                terminated = true;
                break;
            }
        }
        self.steps += 1;
        (reward, terminated, self.steps >= self.episode_steps)
    }
}

impl<G: Gymnasium<S, A>, const S: usize, const A: usize> Env<S, A> for MujocoEnv<G, S, A> {
    fn reset(&mut self, seed: u64) -> [f32; S] {
        self.rng = ChiRng::new(seed);
        self.sim.data.reset();
        let mut qpos = self.init_qpos.clone();
        let mut qvel = self.init_qvel.clone();
        if self.noisy {
            self.task.reset(&mut qpos, &mut qvel, &mut self.rng);
        }
        self.sim.data.qpos_mut().copy_from_slice(&qpos);
        self.sim.data.qvel_mut().copy_from_slice(&qvel);
        self.sim.data.forward();
        self.steps = 0;
        self.observation()
    }

    fn step(&mut self, action: &[f32; A]) -> Step<S> {
        let before = self.divergences();
        let (reward, terminated, truncated) = self.step_f64(action);
        if self.divergences() > before {
            // MuJoCo reset the simulation mid-step: what it returns now is the rest pose, not
            // where the step led. NaN says so, and the episode loop ends the episode there.
            return Step {
                obs: [f32::NAN; S],
                reward: f32::NAN,
                terminated: false,
                truncated: true,
            };
        }
        Step {
            obs: self.observation(),
            reward: reward as f32,
            terminated,
            truncated: truncated && !terminated,
        }
    }
}

/// The checks every task's fixture makes: from the recorded start state, the recorded
/// actions give gymnasium's observations, reward terms and termination.
#[cfg(test)]
pub(crate) mod fixture {
    use super::*;

    /// A gymnasium episode recorded by `tests/data/gymnasium_mujoco.py`.
    #[derive(serde::Deserialize)]
    pub struct Fixture {
        pub id: String,
        pub dt: f64,
        pub init_qpos: Vec<f64>,
        pub init_qvel: Vec<f64>,
        pub qpos0: Vec<f64>,
        pub qvel0: Vec<f64>,
        pub obs0: Vec<f64>,
        pub actions: Vec<Vec<f64>>,
        pub obs: Vec<Vec<f64>>,
        pub rewards: Vec<f64>,
        pub terms: Vec<std::collections::BTreeMap<String, f64>>,
        pub terminated: Vec<bool>,
    }

    /// Reads `tests/data/<file>`.
    pub fn load(file: &str) -> Fixture {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn close(got: f64, want: f64, tol: f64) -> bool {
        (got - want).abs() <= tol * (1.0 + want.abs())
    }

    /// Replays `fixture` on `G` and checks every step to `tol` (relative); returns the
    /// steps replayed.
    pub fn replay<G: Gymnasium<S, A>, const S: usize, const A: usize>(
        fixture: &Fixture,
        tol: f64,
    ) -> usize {
        let mut env = MujocoEnv::<G, S, A>::open().unwrap().without_reset_noise();
        assert_eq!(fixture.id, G::ID);
        assert!(
            close(env.env_dt(), fixture.dt, 1e-12),
            "dt {}",
            env.env_dt()
        );
        env.reset(0);
        assert_eq!(env.sim().qpos(), &fixture.init_qpos[..], "rest positions");
        assert_eq!(env.sim().qvel(), &fixture.init_qvel[..], "rest velocities");
        env.set_state(&fixture.qpos0, &fixture.qvel0).unwrap();
        for (i, (got, want)) in env.observation_f64().iter().zip(&fixture.obs0).enumerate() {
            assert!(close(*got, *want, 1e-12), "obs0[{i}] {got} vs {want}");
        }
        assert_eq!(fixture.obs0.len(), S);
        for (t, action) in fixture.actions.iter().enumerate() {
            let action: [f64; A] = action.as_slice().try_into().unwrap();
            let ctrl = env.controls_f64(&action);
            let (terms, terminated) = env.env_step(&ctrl);
            let reward: f64 = terms.iter().map(|(_, v)| v).sum();
            assert!(
                close(reward, fixture.rewards[t], tol),
                "{}: step {t} reward {reward} vs {}",
                G::ID,
                fixture.rewards[t]
            );
            for (name, want) in fixture.terms[t]
                .iter()
                .filter(|(n, _)| n.starts_with("reward_"))
            {
                let got = terms.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
                let got = got.unwrap_or_else(|| panic!("{}: no term {name}", G::ID));
                assert!(
                    close(got, *want, tol),
                    "{}: step {t} {name} {got} vs {want}",
                    G::ID
                );
            }
            let obs = env.observation_f64();
            for (i, (got, want)) in obs.iter().zip(&fixture.obs[t]).enumerate() {
                assert!(
                    close(*got, *want, tol),
                    "{}: step {t} obs[{i}] {got} vs {want}",
                    G::ID
                );
            }
            assert_eq!(terminated, fixture.terminated[t], "{}: step {t}", G::ID);
        }
        fixture.actions.len()
    }
}
