//! What the planner needs from the world: a transition model and a reward.
//!
//! The planner (Eq. 4) is written once over these traits. The board implements
//! [`Dynamics`] with the fixed-size ensemble; the host may plug in a batched evaluator (all K
//! samples through a member as one matrix product) without touching sampling, weighting or
//! refit; tests plug in the true point-mass dynamics.

/// A learned (or true) transition model made of one or more members.
pub trait Dynamics<const S: usize, const A: usize> {
    /// How many members (ensemble particles) the model has; at least 1.
    fn members(&self) -> usize;

    /// Expected next state under member `member` for each `(states[k], actions[k])`, written
    /// to `next[k]`. All three slices have the same length; a batch lets a host evaluator use
    /// matrix products. Implementations must write finite values for finite inputs.
    fn predict(
        &mut self,
        member: usize,
        states: &[[f32; S]],
        actions: &[[f32; A]],
        next: &mut [[f32; S]],
    );

    /// Adds to `returns[k]` the model's estimate of the return collected after the horizon
    /// from `states[k]`, the state sample `k` ends in. The paper's Eq. 4 scores the `H`
    /// rewards alone, so the default adds nothing; its Section 5 suggests a value function
    /// for what lies beyond the horizon, where a short horizon misleads the planner, as at
    /// the point mass's wall: a bundle may carry one ([`crate::value::WithValue`] adds it on
    /// the board, the host's batched ensemble adds the same network).
    fn add_terminal_values(&mut self, _states: &[[f32; S]], _returns: &mut [f32]) {}
}

/// What the agent knows of its task (paper Section 2): the reward `r(s_t, a_t)`, whose
/// exponential is the optimality likelihood, when an episode ends, and which states are sane.
pub trait Reward<const S: usize, const A: usize> {
    /// Reward of taking `action` in `state` and landing in `next`.
    fn reward(&self, state: &[f32; S], action: &[f32; A], next: &[f32; S]) -> f32;

    /// Whether `next` ends the episode (a hopper that fell, a cart off its rail). The
    /// planner scores a sampled sequence only up to the step that lands in such a state, as
    /// MBPO and mbrl-lib do, and SAC does not bootstrap past it. Most tasks never end early.
    fn terminated(&self, _next: &[f32; S]) -> bool {
        false
    }

    /// The range each state component is clamped to before the networks see it (NaN
    /// becomes the value in range nearest 0): `(low, high)`, `low <= high`. The default is
    /// [`crate::sanitise::STATE_LIMIT`] either way.
    fn state_bounds(&self) -> ([f32; S], [f32; S]) {
        use crate::sanitise::STATE_LIMIT;
        ([-STATE_LIMIT; S], [STATE_LIMIT; S])
    }
}
