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

/// Paces control steps to a period on a monotonic clock (SysTick ticks on a board): a
/// step's budget ([`Pacer::step`]) is exhausted once the time already spent plus the longest
/// unit of work seen between two checks, in this step or any before, would pass the period.
/// So a unit is started only if one as long as the longest yet still ends in time, and a
/// step returns the best plan so far within its period.
///
/// Why the longest unit and not a fixed estimate: a unit (one member's pass over the
/// samples, or the last one's with the refit) costs what the bundle's sizes make it, which
/// the firmware does not know in advance; one planned step measures it. Run one step before
/// serving ([`Pacer::step`] with the controller's early exit off) so the first real step
/// already knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pacer {
    period: u64,
    longest: u64,
}

impl Pacer {
    /// A pacer for steps of at most `period` ticks.
    pub const fn new(period: u64) -> Self {
        Self { period, longest: 0 }
    }

    /// The period, in ticks.
    pub fn period(&self) -> u64 {
        self.period
    }

    /// The longest unit of work seen so far, in ticks.
    pub fn longest_unit(&self) -> u64 {
        self.longest
    }

    /// The budget of one step starting now on `clock`.
    pub fn step<C: FnMut() -> u64>(&mut self, mut clock: C) -> Paced<'_, C> {
        let start = clock();
        Paced {
            pacer: self,
            clock,
            start,
            last: start,
        }
    }
}

/// One step's budget under a [`Pacer`].
pub struct Paced<'p, C: FnMut() -> u64> {
    pacer: &'p mut Pacer,
    clock: C,
    start: u64,
    last: u64,
}

impl<C: FnMut() -> u64> Budget for Paced<'_, C> {
    fn exhausted(&mut self) -> bool {
        let now = (self.clock)();
        let unit = now.wrapping_sub(self.last);
        self.last = now;
        let p = &mut *self.pacer;
        p.longest = p.longest.max(unit);
        now.wrapping_sub(self.start).saturating_add(p.longest) > p.period
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::Cell;

    /// On a clock where every unit of work takes 10 ticks, a period of 35 allows the
    /// checks at 0, 10 and 20 (each unit then ends by 30) and refuses the one at 30 (the
    /// next would end at 40); the longest unit carries over to the next step.
    #[test]
    fn a_paced_step_starts_only_units_that_end_in_time() {
        let now = Cell::new(0u64);
        let clock = || now.get();
        let mut pacer = Pacer::new(35);
        let mut budget = pacer.step(clock);
        let mut passed = 0;
        while !budget.exhausted() {
            passed += 1;
            now.set(now.get() + 10);
        }
        assert_eq!(passed, 3, "checks at 0, 10 and 20 pass; 30 does not");
        assert_eq!(pacer.longest_unit(), 10);
        // The next step starts at 100; its first check knows a unit takes 10 already.
        now.set(100);
        let mut budget = pacer.step(clock);
        now.set(126);
        assert!(budget.exhausted(), "26 spent + 26 longest > 35");
        assert_eq!(pacer.longest_unit(), 26);
    }

    /// A clock that wraps (a 64-bit tick counter will not in practice, but the budget must
    /// not panic or stall if it does).
    #[test]
    fn a_wrapping_clock_neither_panics_nor_stalls() {
        let now = Cell::new(u64::MAX - 5);
        let mut pacer = Pacer::new(20);
        let mut budget = pacer.step(|| now.get());
        now.set(now.get().wrapping_add(8));
        assert!(!budget.exhausted());
        now.set(now.get().wrapping_add(8));
        assert!(budget.exhausted());
    }
}
