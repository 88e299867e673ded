//! Interval estimates over runs, as `rliable` computes them (Agarwal et al., NeurIPS 2021,
//! "Deep RL at the Edge of the Statistical Precipice"): the interquartile mean, mean and
//! median of scores, the probability of improvement, and the run-score distribution, each with
//! a percentile interval from a bootstrap stratified by task.
//!
//! Scores are a matrix of runs by tasks ([`Scores`]). The point estimates are rliable's to
//! rounding; the intervals are bootstrap estimates and agree with rliable's to Monte Carlo
//! error (its resampling draws from NumPy's generator, this one from [`ChiRng`]).

use chi_embedded::rng::ChiRng;

/// Scores of `runs` runs on each of several tasks: `by_task[t][r]`. Every task has the same
/// runs (the same seeds), as rliable's matrices do.
#[derive(Clone, Debug, PartialEq)]
pub struct Scores {
    by_task: Vec<Vec<f64>>,
}

impl Scores {
    /// Scores by task; `None` if there is no task, a task has no run, the tasks have
    /// different numbers of runs, or a score is not finite.
    pub fn new(by_task: Vec<Vec<f64>>) -> Option<Self> {
        let runs = by_task.first()?.len();
        let ok = runs > 0
            && by_task.iter().all(|t| t.len() == runs)
            && by_task.iter().flatten().all(|x| x.is_finite());
        ok.then_some(Self { by_task })
    }

    /// Runs per task.
    pub fn runs(&self) -> usize {
        self.by_task[0].len()
    }

    /// The scores of each task.
    pub fn tasks(&self) -> &[Vec<f64>] {
        &self.by_task
    }

    /// The same tasks with each task's runs drawn with replacement.
    fn resampled(&self, rng: &mut ChiRng) -> Self {
        let n = self.runs();
        Self {
            by_task: self
                .by_task
                .iter()
                .map(|t| (0..n).map(|_| t[below(rng, n)]).collect())
                .collect(),
        }
    }
}

/// A uniform index below `n` (the rejection-free multiply-shift: its bias of at most
/// n / 2^32 is far below a bootstrap's noise).
fn below(rng: &mut ChiRng, n: usize) -> usize {
    ((u64::from(rng.next_u32()) * n as u64) >> 32) as usize
}

/// An estimate and its 95% interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// The estimate on the scores as they are.
    pub point: f64,
    /// The 2.5th percentile of the bootstrap estimates.
    pub low: f64,
    /// The 97.5th percentile.
    pub high: f64,
}

/// Mean of each task's runs.
fn task_means(s: &Scores) -> Vec<f64> {
    s.by_task
        .iter()
        .map(|t| t.iter().sum::<f64>() / t.len() as f64)
        .collect()
}

/// The mean over tasks of each task's mean (rliable's `aggregate_mean`).
pub fn mean(s: &Scores) -> f64 {
    let m = task_means(s);
    m.iter().sum::<f64>() / m.len() as f64
}

/// The median over tasks of each task's mean (rliable's `aggregate_median`; with one task it
/// is that task's mean).
pub fn median(s: &Scores) -> f64 {
    let mut m = task_means(s);
    m.sort_by(f64::total_cmp);
    middle(&m)
}

/// The median of all scores: of one task, its middle run. What a report of one task shows
/// as its median, since rliable's aggregate median (over tasks, [`median`]) would there only
/// repeat the mean.
pub fn median_run(s: &Scores) -> f64 {
    middle(&sorted_scores(s))
}

/// Every score of every task, in ascending order.
fn sorted_scores(s: &Scores) -> Vec<f64> {
    let mut all: Vec<f64> = s.by_task.iter().flatten().copied().collect();
    all.sort_by(f64::total_cmp);
    all
}

/// The middle of sorted values (the mean of the two middle ones for an even count).
fn middle(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// The interquartile mean of all scores: the mean of what is left after the lowest and the
/// highest quarter are cut, `floor(n / 4)` scores each (`scipy.stats.trim_mean(x, 0.25)`,
/// rliable's `aggregate_iqm`).
pub fn iqm(s: &Scores) -> f64 {
    let all = sorted_scores(s);
    let cut = all.len() / 4;
    let kept = &all[cut..all.len() - cut];
    kept.iter().sum::<f64>() / kept.len() as f64
}

/// Probability that a run of `x` scores higher than a run of `y` on a task, ties counted
/// half, averaged over tasks (rliable's `probability_of_improvement`: the Mann-Whitney U
/// statistic over the pairs). The two need the same tasks, not the same number of runs.
pub fn probability_of_improvement(x: &Scores, y: &Scores) -> f64 {
    let per_task: Vec<f64> = x
        .by_task
        .iter()
        .zip(&y.by_task)
        .map(|(a, b)| {
            if a == b {
                return 0.5;
            }
            let wins: f64 = a
                .iter()
                .map(|p| {
                    b.iter()
                        .map(|q| match p.total_cmp(q) {
                            std::cmp::Ordering::Greater => 1.0,
                            std::cmp::Ordering::Equal => 0.5,
                            std::cmp::Ordering::Less => 0.0,
                        })
                        .sum::<f64>()
                })
                .sum();
            wins / (a.len() * b.len()) as f64
        })
        .collect();
    per_task.iter().sum::<f64>() / per_task.len() as f64
}

/// The run-score distribution at each threshold: the fraction of runs scoring above it,
/// averaged over tasks (rliable's performance profile with `use_score_distribution`).
pub fn score_distribution(s: &Scores, thresholds: &[f64]) -> Vec<f64> {
    thresholds
        .iter()
        .map(|tau| {
            let per_task: Vec<f64> = s
                .by_task
                .iter()
                .map(|t| t.iter().filter(|x| *x > tau).count() as f64 / t.len() as f64)
                .collect();
            per_task.iter().sum::<f64>() / per_task.len() as f64
        })
        .collect()
}

/// The `q`-th quantile (0..=1) of sorted values, interpolated linearly between the two
/// nearest (NumPy's default `percentile`).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let at = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo as f64)
}

fn interval(point: f64, mut estimates: Vec<f64>) -> Interval {
    estimates.sort_by(f64::total_cmp);
    Interval {
        point,
        low: quantile(&estimates, 0.025),
        high: quantile(&estimates, 0.975),
    }
}

/// `statistic` of `s` with its 95% percentile interval over `reps` bootstrap resamples of
/// the runs, stratified by task (rliable's `get_interval_estimates`).
pub fn bootstrap(
    s: &Scores,
    statistic: impl Fn(&Scores) -> f64,
    reps: usize,
    rng: &mut ChiRng,
) -> Interval {
    let estimates = (0..reps.max(1))
        .map(|_| statistic(&s.resampled(rng)))
        .collect();
    interval(statistic(s), estimates)
}

/// The probability of improvement of `x` over `y` with its interval, the two resampled
/// independently within each task.
pub fn bootstrap_improvement(x: &Scores, y: &Scores, reps: usize, rng: &mut ChiRng) -> Interval {
    let estimates = (0..reps.max(1))
        .map(|_| {
            let (a, b) = (x.resampled(rng), y.resampled(rng));
            probability_of_improvement(&a, &b)
        })
        .collect();
    interval(probability_of_improvement(x, y), estimates)
}

/// The run-score distribution at each threshold with its pointwise interval.
pub fn bootstrap_distribution(
    s: &Scores,
    thresholds: &[f64],
    reps: usize,
    rng: &mut ChiRng,
) -> Vec<Interval> {
    let mut by_threshold = vec![Vec::with_capacity(reps); thresholds.len()];
    for _ in 0..reps.max(1) {
        for (all, f) in by_threshold
            .iter_mut()
            .zip(score_distribution(&s.resampled(rng), thresholds))
        {
            all.push(f);
        }
    }
    score_distribution(s, thresholds)
        .into_iter()
        .zip(by_threshold)
        .map(|(point, estimates)| interval(point, estimates))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_task(x: &[f64]) -> Scores {
        Scores::new(vec![x.to_vec()]).unwrap()
    }

    #[test]
    fn the_iqm_cuts_a_whole_quarter_from_each_end() {
        // 10 scores: 2 cut from each end, the middle 6 averaged.
        let s = one_task(&[100.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, -100.0]);
        assert_eq!(iqm(&s), (2.0 + 3.0 + 4.0 + 5.0 + 6.0 + 7.0) / 6.0);
        assert_eq!(mean(&s), 3.6);
        assert_eq!(
            median(&s),
            3.6,
            "with one task, rliable's median is its mean"
        );
        assert_eq!(median_run(&s), 4.5, "the middle two of ten runs");
        assert_eq!(median_run(&one_task(&[9.0, -1.0, 2.0])), 2.0);
    }

    #[test]
    fn improvement_counts_ties_half_and_is_symmetric() {
        let (a, b) = (one_task(&[1.0, 2.0, 3.0]), one_task(&[2.0, 2.0]));
        // Pairs: (1,2) (1,2) lose, (2,2) (2,2) tie, (3,2) (3,2) win: (0 + 1 + 2) / 6.
        assert_eq!(probability_of_improvement(&a, &b), 0.5);
        let c = one_task(&[5.0, 6.0]);
        assert_eq!(probability_of_improvement(&c, &a), 1.0);
        assert_eq!(probability_of_improvement(&a, &c), 0.0);
        assert_eq!(probability_of_improvement(&a, &a), 0.5);
    }

    #[test]
    fn the_bootstrap_interval_holds_the_point_and_shrinks_with_runs() {
        let mut rng = ChiRng::new(1);
        let few = one_task(&[1.0, 5.0, 2.0, 8.0]);
        let many = one_task(&(0..64).map(|i| f64::from(i % 8)).collect::<Vec<_>>());
        let a = bootstrap(&few, mean, 2000, &mut rng);
        let b = bootstrap(&many, mean, 2000, &mut rng);
        assert!(a.low <= a.point && a.point <= a.high, "{a:?}");
        assert!(b.high - b.low < (a.high - a.low) / 2.0, "{a:?} {b:?}");
        let flat = bootstrap(&one_task(&[3.0; 5]), iqm, 100, &mut rng);
        assert_eq!((flat.low, flat.point, flat.high), (3.0, 3.0, 3.0));
    }

    #[test]
    fn malformed_score_matrices_are_refused() {
        assert!(Scores::new(vec![]).is_none());
        assert!(Scores::new(vec![vec![]]).is_none());
        assert!(Scores::new(vec![vec![1.0, 2.0], vec![1.0]]).is_none());
        assert!(Scores::new(vec![vec![f64::NAN]]).is_none());
    }
}
