//! The per-step compute budget: a board must never miss its control period, so the planner
//! asks between units of work whether it may go on, and stops with the best plan so far.

/// Asked by the planner before each iteration and between ensemble members.
pub trait Budget {
    /// True once no more work may start.
    fn exhausted(&mut self) -> bool;
}

/// No limit beyond the configured iteration count.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unlimited;

impl Budget for Unlimited {
    fn exhausted(&mut self) -> bool {
        false
    }
}

/// A deadline given as a closure, e.g. `|| systick_elapsed() > period`.
pub struct Deadline<F: FnMut() -> bool>(pub F);

impl<F: FnMut() -> bool> Budget for Deadline<F> {
    fn exhausted(&mut self) -> bool {
        (self.0)()
    }
}

/// Allows a fixed number of checks to pass, then reports exhaustion: a deterministic stand-in
/// for a deadline (tests, and instruction-count budgets).
#[derive(Clone, Copy, Debug)]
pub struct Checks(pub u32);

impl Budget for Checks {
    fn exhausted(&mut self) -> bool {
        match self.0.checked_sub(1) {
            Some(left) => {
                self.0 = left;
                false
            }
            None => true,
        }
    }
}
