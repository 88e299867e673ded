//! Iterative inference: the mirror-descent update of paper Eq. 4 (Algorithm 1), a Bayesian
//! generalisation of MPPI.
//!
//! Each iteration samples `K` action sequences `a_k ~ q^(i)`, rolls them through the model,
//! and refits `q^(i+1)` to the particles weighted by
//!
//! ```text
//! w_k = W(a_k) q^(i)(a_k) / sum_j W(a_j) q^(i)(a_j)                      (Algorithm 1)
//! log W(a_k) = R_k / lambda,   R_k = (1/E) sum_e sum_h r(s_h^{k,e}, a_h^k, s_{h+1}^{k,e})
//! log q^(i)(a_k) = -1/2 sum_{h,d} eps_{khd}^2 + const
//! ```
//!
//! **Why this form of W.** The paper's optimality likelihood is `p(O_t | s_t, a_t) =
//! exp(r_t)`, so the likelihood of a whole sequence is `exp(sum_t r_t)`, and `W` is its value
//! at the expected return under the model: `exp(R_k)`. We keep that meaning and add only a
//! temperature `lambda` (`lambda = 1` is the paper's literal likelihood; smaller values make
//! the planner greedier, as in MPPI). We deliberately do *not* normalise returns by their
//! spread across samples: with a raw temperature, a confident (narrow) `q` produces samples
//! whose returns barely differ, so `W` is flat and the `q` factor dominates: the plan stays
//! where the amortised phase put it. An uncertain (wide) `q` produces very different returns
//! and `W` dominates: the planner moves the plan. That is CHI's hybrid behaviour (Figure 1),
//! and a spread-normalised weight would erase it. Subtracting `max_k log w_k` before `exp`
//! changes nothing but keeps the arithmetic finite.
//!
//! **The `q` factor.** Samples come from `q^(i)`, so weighting them by `W q^(i)` is
//! importance sampling of the target `q^(i) W q^(i)` of Eq. 4. Only `eps` enters `log q`:
//! the normaliser and `sum log sigma` are the same for every sample and cancel. A sample is
//! clipped to the action box before it is evaluated; its density is that of the unclipped
//! draw.
//!
//! **Refit.** Moment matching: `mu' = sum_k w_k a_k`, `sigma'^2 = sum_k w_k (a_k - mu')^2`,
//! floored at `sigma_min` so the Gaussian never collapses to a point.
//!
//! **How many samples.** The `q` factor spreads the log-weights by about
//! `sqrt(H A / 2)` nats whatever the returns are (`-1/2 sum eps^2` over `H A` draws), so
//! weight concentrates on the few draws of smallest norm and each iteration also halves the
//! variance. On the point mass (`H A` = 14) with `K` = 32 the effective sample size falls to
//! 1-5 and the plan freezes after one iteration; at the paper's `K` = 500 an uncertain or
//! wrong proposal is turned round within a few iterations while a confident one moves by
//! less than 0.01 (the controller's tests). Small boards therefore need a larger `K` per
//! dimension of `H A` than the raw MAC budget suggests.
//!
//! **Propagation.** `W` is an expectation over the model's uncertainty. With
//! [`Propagation::AllMembers`] every sample is rolled through every member and the returns
//! are averaged (`E K H` network evaluations); [`Propagation::OnePerSample`] gives each member
//! a contiguous `K / E` share of the samples (`K H` evaluations, for tight budgets).

use serde::{Deserialize, Serialize};

use crate::budget::Budget;
use crate::dynamics::{Dynamics, Reward};
use crate::plan::Plan;
use crate::rng::ChiRng;

/// How samples are propagated through the ensemble.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Propagation {
    /// Every sample through every member; returns averaged.
    AllMembers,
    /// Member `e` rolls out samples `[e K / E, (e + 1) K / E)`.
    OnePerSample,
}

/// How the sampled sequences are weighted before the refit. Sampling, rollout and refit are
/// the same for both, so CHI's iterative phase and the CEM-MPC baseline differ only here.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Weighting {
    /// Paper Eq. 4 / Algorithm 1: `w_k ~ exp(R_k / temperature) q(a_k)`.
    Eq4 {
        /// `lambda` in `W = exp(R / lambda)`.
        temperature: f32,
    },
    /// The cross-entropy method (the paper's CEM-MPC baseline): the `count` best returns
    /// weigh `1 / count` each, the rest nothing; ties go to the lower sample index.
    Elites {
        /// Number of elites, at least 1 and at most `K`.
        count: u32,
    },
}

/// The iterative phase's hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PlannerConfig {
    /// `I`: iterations of Eq. 4 per control step (an upper bound; the budget may cut it).
    pub iterations: u32,
    /// How particles are weighted before the refit.
    pub weighting: Weighting,
    /// Floor on every refitted standard deviation.
    pub sigma_min: f32,
    /// Sample propagation through the ensemble.
    pub propagation: Propagation,
}

/// What one call of [`Planner::refine`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Refinement {
    /// Iterations completed (each ends with a refit).
    pub iterations: u32,
    /// True when the budget stopped the planner before `config.iterations`.
    pub interrupted: bool,
    /// `1 / sum w_k^2` in the last completed iteration: how many samples really counted.
    pub effective_samples: f32,
    /// Weighted mean of the model returns in the last completed iteration.
    pub expected_return: f32,
}

/// Scratch space of the iterative phase; all sizes fixed at compile time, no heap.
///
/// `K * H * A` noise values plus `K` returns and three `K`-row batches: for the point-mass
/// board sizes a few kilobytes, placed by the caller (a `static` on the board).
#[derive(Clone, Debug)]
pub struct Planner<const S: usize, const A: usize, const H: usize, const K: usize> {
    /// `eps[h][k]`: standard normal draws, laid out step-major so the rollout walks them in
    /// order.
    noise: [[[f32; A]; K]; H],
    /// Returns, then log-weights, then normalised weights.
    weights: [f32; K],
    states: [[f32; S]; K],
    next: [[f32; S]; K],
    actions: [[f32; A]; K],
    /// Whether sample `k` has not yet landed in a terminal state in this rollout.
    alive: [bool; K],
}

impl<const S: usize, const A: usize, const H: usize, const K: usize> Default
    for Planner<S, A, H, K>
{
    fn default() -> Self {
        Self::new()
    }
}

/// `a = clip(mu + sigma eps, -1, 1)`: the one place a sample is turned into an action, so the
/// rollout and the refit see the same numbers.
fn sample_action<const A: usize>(mean: &[f32; A], std: &[f32; A], eps: &[f32; A]) -> [f32; A] {
    let mut a = [0.0; A];
    for (((a, m), s), e) in a.iter_mut().zip(mean).zip(std).zip(eps) {
        *a = (m + s * e).clamp(-1.0, 1.0);
    }
    a
}

/// Largest finite magnitude a log-weight may take; keeps `lw - max` finite when a return
/// is infinite or NaN (such a sample then gets weight 0, or all samples count alike).
const LOG_WEIGHT_LIMIT: f32 = 1.0e30;

impl<const S: usize, const A: usize, const H: usize, const K: usize> Planner<S, A, H, K> {
    const NON_EMPTY: () = assert!(K > 0 && H > 0 && A > 0 && S > 0, "sizes must be positive");

    /// Zeroed scratch; `const` so the board can place it in a `static`.
    pub const fn new() -> Self {
        let () = Self::NON_EMPTY;
        Self {
            noise: [[[0.0; A]; K]; H],
            weights: [0.0; K],
            states: [[0.0; S]; K],
            next: [[0.0; S]; K],
            actions: [[0.0; A]; K],
            alive: [true; K],
        }
    }

    /// Refines `plan` in place by up to `config.iterations` updates of Eq. 4, starting from
    /// `state`. If the budget runs out mid-iteration that iteration is dropped: `plan` always
    /// holds the last complete refit (the best plan so far), and `rng` is where a call
    /// allowed only the completed iterations would have left it.
    #[allow(clippy::too_many_arguments)]
    pub fn refine<D, R, B>(
        &mut self,
        config: &PlannerConfig,
        dynamics: &mut D,
        reward: &R,
        state: &[f32; S],
        plan: &mut Plan<A, H>,
        rng: &mut ChiRng,
        budget: &mut B,
    ) -> Refinement
    where
        D: Dynamics<S, A>,
        R: Reward<S, A>,
        B: Budget,
    {
        let mut report = Refinement::default();
        for _ in 0..config.iterations {
            if budget.exhausted() {
                report.interrupted = true;
                break;
            }
            // The stream as it was before this iteration's noise: a cut iteration gives its
            // noise back, so the stream a cut step leaves is the one a step of only its
            // completed iterations leaves, and a host replays a board's step from the count.
            let before = rng.clone();
            rng.fill_normal(self.noise.as_flattened_mut().as_flattened_mut());
            if !self.evaluate(config.propagation, dynamics, reward, state, plan, budget) {
                *rng = before;
                report.interrupted = true;
                break;
            }
            let (effective_samples, expected_return) = match config.weighting {
                Weighting::Eq4 { temperature } => self.weigh(temperature),
                Weighting::Elites { count } => self.weigh_elites(count),
            };
            *plan = self.refit(plan, config.sigma_min);
            report.iterations += 1;
            report.effective_samples = effective_samples;
            report.expected_return = expected_return;
        }
        report
    }

    /// Fills `weights[k]` with the model return `R_k` of each sample. False if the budget
    /// ran out between members.
    fn evaluate<D, R, B>(
        &mut self,
        propagation: Propagation,
        dynamics: &mut D,
        reward: &R,
        state: &[f32; S],
        plan: &Plan<A, H>,
        budget: &mut B,
    ) -> bool
    where
        D: Dynamics<S, A>,
        R: Reward<S, A>,
        B: Budget,
    {
        let members = dynamics.members().max(1);
        self.weights = [0.0; K];
        for member in 0..members {
            if member > 0 && budget.exhausted() {
                return false;
            }
            let range = match propagation {
                Propagation::AllMembers => 0..K,
                Propagation::OnePerSample => member * K / members..(member + 1) * K / members,
            };
            self.roll_out(dynamics, member, reward, state, plan, range);
        }
        if propagation == Propagation::AllMembers {
            let n = members as f32;
            self.weights.iter_mut().for_each(|r| *r /= n);
        }
        true
    }

    /// Rolls samples `range` through one member for `H` steps, adding rewards to `weights`.
    fn roll_out<D: Dynamics<S, A>, R: Reward<S, A>>(
        &mut self,
        dynamics: &mut D,
        member: usize,
        reward: &R,
        state: &[f32; S],
        plan: &Plan<A, H>,
        range: core::ops::Range<usize>,
    ) {
        let Self {
            noise,
            weights,
            states,
            next,
            actions,
            alive,
        } = self;
        let (Some(states), Some(next), Some(actions), Some(returns), Some(alive)) = (
            states.get_mut(range.clone()),
            next.get_mut(range.clone()),
            actions.get_mut(range.clone()),
            weights.get_mut(range.clone()),
            alive.get_mut(range.clone()),
        ) else {
            return;
        };
        states.fill(*state);
        alive.fill(true);
        for ((mean, std), noise) in plan.mean.iter().zip(&plan.std).zip(noise.iter()) {
            let Some(noise) = noise.get(range.clone()) else {
                return;
            };
            for (a, eps) in actions.iter_mut().zip(noise) {
                *a = sample_action(mean, std, eps);
            }
            dynamics.predict(member, states, actions, next);
            // A sequence is scored up to the step that lands in a terminal state, that
            // step's reward included (as the environment pays it); nothing after it counts.
            for ((((ret, s), a), n), live) in returns
                .iter_mut()
                .zip(states.iter())
                .zip(actions.iter())
                .zip(next.iter())
                .zip(alive.iter_mut())
            {
                if *live {
                    *ret += reward.reward(s, a, n);
                    *live = !reward.terminated(n);
                }
            }
            states.copy_from_slice(next);
        }
        if alive.iter().all(|&live| live) {
            dynamics.add_terminal_values(states, returns);
            return;
        }
        // No value past the horizon for an ended sequence: park its return in `next` (free
        // once the rollout is done), add the values, and put it back.
        for ((n, ret), live) in next.iter_mut().zip(returns.iter()).zip(alive.iter()) {
            if let (false, Some(slot)) = (*live, n.first_mut()) {
                *slot = *ret;
            }
        }
        dynamics.add_terminal_values(states, returns);
        for ((n, ret), live) in next.iter().zip(returns.iter_mut()).zip(alive.iter()) {
            if let (false, Some(saved)) = (*live, n.first()) {
                *ret = *saved;
            }
        }
    }

    /// Turns returns into normalised weights `w_k` (Algorithm 1) in place. Returns the
    /// effective sample size and the weighted mean return.
    fn weigh(&mut self, temperature: f32) -> (f32, f32) {
        let returns = self.weights;
        // log W = R / lambda.
        for w in &mut self.weights {
            *w /= temperature;
        }
        // + log q(a_k) = -1/2 sum eps^2, accumulated step by step in a fixed order.
        for step in &self.noise {
            for (w, eps) in self.weights.iter_mut().zip(step) {
                let sq: f32 = eps.iter().map(|e| e * e).sum();
                *w -= 0.5 * sq;
            }
        }
        let mut max = -LOG_WEIGHT_LIMIT;
        for w in &mut self.weights {
            *w = if w.is_nan() {
                -LOG_WEIGHT_LIMIT
            } else {
                w.clamp(-LOG_WEIGHT_LIMIT, LOG_WEIGHT_LIMIT)
            };
            // A comparison, not f32::max (a soft `fmaxf` call on the M4); no NaN is left.
            if *w > max {
                max = *w;
            }
        }
        let mut total = 0.0f32;
        for w in &mut self.weights {
            *w = libm::expf(*w - max);
            total += *w;
        }
        // total >= 1: the largest log-weight contributes exp(0).
        let (mut sum_sq, mut expected) = (0.0f32, 0.0f32);
        for (w, r) in self.weights.iter_mut().zip(returns) {
            *w /= total;
            sum_sq += *w * *w;
            if r.is_finite() {
                expected += *w * r;
            }
        }
        (1.0 / sum_sq, expected)
    }

    /// CEM's weights in place: `1 / n` on the `n` best returns. Returns `n` and their mean.
    fn weigh_elites(&mut self, count: u32) -> (f32, f32) {
        let n = usize::try_from(count).unwrap_or(K).clamp(1, K);
        let returns = self
            .weights
            .map(|r| if r.is_nan() { f32::NEG_INFINITY } else { r });
        let mut sorted = returns;
        sorted.select_nth_unstable_by(K - n, f32::total_cmp);
        let threshold = sorted.get(K - n).copied().unwrap_or(f32::NEG_INFINITY);
        // Strictly better than the threshold first, then ties in index order up to n.
        let mut ties = n - returns.iter().filter(|r| **r > threshold).count().min(n);
        let (weight, mut expected) = (1.0 / n as f32, 0.0f32);
        for (w, r) in self.weights.iter_mut().zip(returns) {
            let elite = r > threshold || (r == threshold && ties > 0);
            if r == threshold && elite {
                ties -= 1;
            }
            *w = if elite { weight } else { 0.0 };
            if elite && r.is_finite() {
                expected += weight * r;
            }
        }
        (n as f32, expected)
    }

    /// Moment-matched `q^(i+1)` from the weighted particles of `plan`.
    fn refit(&self, plan: &Plan<A, H>, sigma_min: f32) -> Plan<A, H> {
        let mut out = Plan {
            mean: [[0.0; A]; H],
            std: [[0.0; A]; H],
        };
        let steps = plan.mean.iter().zip(&plan.std).zip(&self.noise);
        for (((mean, std), noise), (new_mean, new_std)) in
            steps.zip(out.mean.iter_mut().zip(&mut out.std))
        {
            for (w, eps) in self.weights.iter().zip(noise) {
                for (m, a) in new_mean.iter_mut().zip(sample_action(mean, std, eps)) {
                    *m += w * a;
                }
            }
            for (w, eps) in self.weights.iter().zip(noise) {
                for ((v, m), a) in new_std
                    .iter_mut()
                    .zip(new_mean.iter())
                    .zip(sample_action(mean, std, eps))
                {
                    *v += w * (a - m) * (a - m);
                }
            }
            for (m, s) in new_mean.iter_mut().zip(new_std.iter_mut()) {
                let sd = libm::sqrtf(*s);
                *s = if sd >= sigma_min { sd } else { sigma_min };
                *m = if m.is_nan() { 0.0 } else { m.clamp(-1.0, 1.0) };
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
