//! What gymnasium's planar walkers (Hopper-v5, Walker2d-v5) share: the observation is
//! `qpos` without the x position, then `qvel` clipped to +-10; the reward is the forward
//! velocity (x displacement over the step's time) plus 1 while healthy, less 1e-3 ||a||^2;
//! the episode ends when the body is no longer healthy (its height `qpos[1]` or its angle
//! `qpos[2]` out of range). A walker is a [`Body`]; [`Walker`] makes it a task.

use std::marker::PhantomData;

use anyhow::Result;

use super::{Gymnasium, ResetNoise, Sim, StepInfo};

/// gymnasium's `ctrl_cost_weight` of both walkers.
pub const CTRL_COST: f64 = 1e-3;
/// gymnasium's `healthy_reward`.
pub const HEALTHY_REWARD: f64 = 1.0;
/// The clip of the observed velocities.
pub const VELOCITY_CLIP: f64 = 10.0;

/// `qpos[1..]`, then `qvel` clipped.
pub fn observe<const S: usize>(sim: &Sim) -> [f64; S] {
    let mut obs = [0.0; S];
    let q = sim.qpos().iter().skip(1).copied();
    let v = sim
        .qvel()
        .iter()
        .map(|v| v.clamp(-VELOCITY_CLIP, VELOCITY_CLIP));
    for (o, x) in obs.iter_mut().zip(q.chain(v)) {
        *o = x;
    }
    obs
}

/// The reward's terms when the step ends `healthy` or not.
pub fn reward_terms<const A: usize>(
    step: &StepInfo<'_, A>,
    sim: &Sim,
    healthy: bool,
) -> Vec<(&'static str, f64)> {
    let x = sim.qpos().first().copied().unwrap_or(0.0);
    let ctrl = CTRL_COST * step.ctrl.iter().map(|v| v * v).sum::<f64>();
    vec![
        ("reward_forward", (x - step.x_before) / step.dt),
        ("reward_survive", if healthy { HEALTHY_REWARD } else { 0.0 }),
        ("reward_ctrl", -ctrl),
    ]
}

/// Height `qpos[1]` and angle `qpos[2]` strictly inside their ranges.
pub fn upright(sim: &Sim, z: (f64, f64), angle: (f64, f64)) -> bool {
    let q = sim.qpos();
    let (Some(&h), Some(&a)) = (q.get(1), q.get(2)) else {
        return false;
    };
    z.0 < h && h < z.1 && angle.0 < a && a < angle.1
}

/// What sets one walker apart: its gymnasium id, model, sizes and when it is healthy.
pub trait Body {
    /// gymnasium's id.
    const ID: &'static str;
    /// The model file.
    const MODEL: &'static str;
    /// `nq`, `nv`.
    const NQ_NV: (usize, usize);
    /// Whether the body stands (the episode goes on).
    fn healthy(sim: &Sim) -> bool;
}

/// A planar walker `B` as gymnasium's v5 environments run it: frame skip 4, 1000 steps,
/// reset noise uniform +-0.005.
pub struct Walker<B>(PhantomData<B>);

impl<B: Body, const S: usize, const A: usize> Gymnasium<S, A> for Walker<B> {
    const ID: &'static str = B::ID;
    const MODEL: &'static str = B::MODEL;
    const NQ_NV: (usize, usize) = B::NQ_NV;
    const FRAME_SKIP: usize = 4;
    const EPISODE_STEPS: u32 = 1000;
    const RESET_NOISE: ResetNoise = ResetNoise::Uniform(5e-3);

    fn new(_sim: &Sim) -> Result<Self> {
        Ok(Self(PhantomData))
    }

    fn observe(&self, sim: &Sim) -> [f64; S] {
        observe(sim)
    }

    fn reward_terms(&self, step: &StepInfo<'_, A>, sim: &Sim) -> Vec<(&'static str, f64)> {
        reward_terms(step, sim, B::healthy(sim))
    }

    fn terminated(&self, sim: &Sim, _obs: &[f64; S]) -> bool {
        !B::healthy(sim)
    }
}
