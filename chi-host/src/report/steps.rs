//! Learning curves on the axis of environment steps.
//!
//! Where episodes end early (a hopper that falls), runs with the same number of episodes have
//! seen different amounts of data: the agent that stays up longer has taken more steps. Such
//! runs are compared at the same number of environment steps, as the model-based literature
//! plots them (PETS, MBPO): a run's curve at step `t` is the return of the last episode that
//! had ended by `t`.

/// A run's returns on the step axis: `ends[i]` is the environment step at which episode `i`
/// ended (cumulative, increasing), `returns[i]` its return.
#[derive(Clone, Copy, Debug)]
pub struct StepCurve<'a> {
    ends: &'a [u64],
    returns: &'a [f64],
}

impl<'a> StepCurve<'a> {
    /// `None` if the lengths differ, there is no episode, or the ends do not increase.
    pub fn new(ends: &'a [u64], returns: &'a [f64]) -> Option<Self> {
        let ok =
            !ends.is_empty() && ends.len() == returns.len() && ends.windows(2).all(|w| w[0] < w[1]);
        ok.then_some(Self { ends, returns })
    }

    /// Steps taken when the last episode ended.
    pub fn total(&self) -> u64 {
        *self.ends.last().unwrap_or(&0)
    }

    /// Episodes that had ended by step `t`.
    fn ended_by(&self, t: u64) -> usize {
        self.ends.partition_point(|&e| e <= t)
    }

    /// The return of the last episode ended by step `t`; before the first has ended, the
    /// first's (the curve starts where the run's first result is known).
    pub fn at(&self, t: u64) -> f64 {
        self.returns[self.ended_by(t).saturating_sub(1)]
    }

    /// The mean return of the last `last` episodes ended by step `t` (fewer if fewer had
    /// ended; the first if none had).
    pub fn final_by(&self, t: u64, last: usize) -> f64 {
        let n = self.ended_by(t).max(1);
        let tail = &self.returns[n.saturating_sub(last.max(1))..n];
        tail.iter().sum::<f64>() / tail.len() as f64
    }

    /// The curve's mean over `(0, t]` read at `points` evenly spaced steps: the area under it
    /// divided by its length, as the mean over episodes is for episodes of one length.
    pub fn mean_to(&self, t: u64, points: usize) -> f64 {
        let grid = grid(t, points);
        grid.iter().map(|&s| self.at(s)).sum::<f64>() / grid.len() as f64
    }
}

/// `points` evenly spaced steps in `(0, t]`, the last `t` (at least one point).
pub fn grid(t: u64, points: usize) -> Vec<u64> {
    let points = points.max(1) as u64;
    (1..=points).map(|i| (t * i).div_ceil(points)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curve_holds_the_last_ended_episode() {
        // Episodes of 10, 30 and 60 steps.
        let (ends, returns) = ([10, 40, 100], [1.0, 3.0, 6.0]);
        let c = StepCurve::new(&ends, &returns).unwrap();
        assert_eq!(c.total(), 100);
        assert_eq!(c.at(5), 1.0);
        assert_eq!(c.at(10), 1.0);
        assert_eq!(c.at(39), 1.0);
        assert_eq!(c.at(40), 3.0);
        assert_eq!(c.at(1000), 6.0);
        assert_eq!(c.final_by(100, 2), 4.5);
        assert_eq!(c.final_by(99, 2), 2.0);
        assert_eq!(c.final_by(99, 10), 2.0);
        assert_eq!(c.final_by(3, 2), 1.0);
        // Read at 10, 20, ..., 100: 1 up to 30, 3 from 40 to 90, 6 at 100.
        assert_eq!(c.mean_to(100, 10), (3.0 * 1.0 + 6.0 * 3.0 + 6.0) / 10.0);
    }

    #[test]
    fn episodes_of_one_length_give_the_episode_mean() {
        let ends: Vec<u64> = (1..=20).map(|i| 50 * i).collect();
        let returns: Vec<f64> = (0..20).map(f64::from).collect();
        let c = StepCurve::new(&ends, &returns).unwrap();
        let by_episode = returns.iter().sum::<f64>() / 20.0;
        assert_eq!(c.mean_to(1000, 20), by_episode);
        assert_eq!(c.final_by(1000, 5), 17.0);
    }

    #[test]
    fn malformed_curves_are_refused() {
        assert!(StepCurve::new(&[], &[]).is_none());
        assert!(StepCurve::new(&[10, 20], &[1.0]).is_none());
        assert!(StepCurve::new(&[10, 10], &[1.0, 2.0]).is_none());
        assert_eq!(grid(100, 4), [25, 50, 75, 100]);
        assert_eq!(grid(7, 0), [7]);
    }
}
