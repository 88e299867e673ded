//! A gymnasium-like environment interface: `reset(seed)`, then `step(action)` until the
//! episode is terminated (a terminal state) or truncated (the time limit).

/// One step's outcome.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step<const S: usize> {
    /// Observation after the step.
    pub obs: [f32; S],
    /// Reward of the step.
    pub reward: f32,
    /// The episode reached a terminal state.
    pub terminated: bool,
    /// The episode hit its time limit.
    pub truncated: bool,
}

/// An environment with `S`-dimensional observations and `A`-dimensional actions in
/// [-1, 1]^A.
pub trait Env<const S: usize, const A: usize> {
    /// Starts an episode; the same seed gives the same episode.
    fn reset(&mut self, seed: u64) -> [f32; S];
    /// Applies an action.
    fn step(&mut self, action: &[f32; A]) -> Step<S>;
}
