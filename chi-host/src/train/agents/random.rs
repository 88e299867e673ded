//! Uniformly random actions: the first episodes of every run, whatever its agent, so the
//! ensemble and the critics start from data that covers the action space.

use anyhow::Result;
use chi_embedded::rng::ChiRng;

use super::Agent;
use crate::train::Run;
use crate::world::World;

/// Each action uniform on [-1, 1]^A.
pub(super) struct Random;

impl<const S: usize, const A: usize, W: World<S, A>> Agent<S, A, W> for Random {
    fn act(
        &mut self,
        _run: &mut Run<S, A, W>,
        _step: u32,
        _state: &[f32; S],
        rng: &mut ChiRng,
    ) -> Result<[f32; A]> {
        Ok(core::array::from_fn(|_| rng.symmetric_uniform()))
    }
}
