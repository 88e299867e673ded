//! Soft Actor-Critic alone: the action sampled from the run's current policy (its own
//! exploration, no added noise).

use anyhow::{Context, Result};
use chi_embedded::rng::ChiRng;

use super::Agent;
use crate::train::Run;
use crate::world::World;

/// SAC's stochastic policy.
pub(super) struct Sac;

impl<const S: usize, const A: usize, W: World<S, A>> Agent<S, A, W> for Sac {
    fn act(
        &mut self,
        run: &mut Run<S, A, W>,
        _step: u32,
        state: &[f32; S],
        rng: &mut ChiRng,
    ) -> Result<[f32; A]> {
        let a = run.sac.act(state, false, rng)?;
        <[f32; A]>::try_from(a.as_slice())
            .with_context(|| format!("SAC gave {} actions, not {A}", a.len()))
    }
}
