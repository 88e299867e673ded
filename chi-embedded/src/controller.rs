//! CHI: amortised inference sets the initial conditions of iterative inference (paper
//! Section 3, Algorithm 1).

use serde::{Deserialize, Serialize};

use crate::budget::Budget;
use crate::bundle::Bundle;
use crate::dynamics::Reward;
use crate::ensemble::Ensemble;
use crate::plan::Plan;
use crate::planner::{Planner, PlannerConfig, Refinement};
use crate::policy::Policy;
use crate::rng::ChiRng;
use crate::sanitise;

/// The controller's hyper-parameters; a bundle carries the values it was exported with.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ControllerConfig {
    /// The iterative phase.
    pub planner: PlannerConfig,
    /// Skip the iterative phase when every standard deviation of the amortised *first*
    /// action is below this (paper Section 5). Why the first action: it is the only one
    /// executed, and the planner can move it only about as far as its samples reach, i.e.
    /// about one sigma_t; below the threshold planning cannot change what the board does by
    /// more than that. 0 disables early exit.
    pub early_exit_sigma: f32,
}

/// One control decision, with what it was made from (for logs and Figure 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decision<const S: usize, const A: usize, const H: usize> {
    /// The action to execute, `mu_t` of the final posterior, in [-1, 1]^A.
    pub action: [f32; A],
    /// The amortised proposal `theta^(1)` (Algorithm 1).
    pub amortised: Plan<A, H>,
    /// The expected states of the amortised rollout, `s_{t+1..T}` (the dots of Figure 1).
    pub amortised_states: [[f32; S]; H],
    /// The final posterior after the iterative phase.
    pub posterior: Plan<A, H>,
    /// What the iterative phase did (all zero on early exit).
    pub refinement: Refinement,
    /// The amortised first action was confident enough to skip planning.
    pub early_exit: bool,
    /// The incoming state had NaN, infinite or huge components that were replaced.
    pub state_sanitised: bool,
}

/// The CHI controller: policy, ensemble, reward, planner scratch and random stream.
pub struct Controller<
    'a,
    R,
    const S: usize,
    const A: usize,
    const IN: usize,
    const E: usize,
    const HE: usize,
    const HP: usize,
    const H: usize,
    const K: usize,
> {
    policy: Policy<'a, S, A, HP>,
    ensemble: Ensemble<'a, S, A, IN, E, HE>,
    reward: R,
    planner: Planner<S, A, H, K>,
    rng: ChiRng,
    /// Hyper-parameters, initially the bundle's; the host may change them for experiments.
    pub config: ControllerConfig,
}

impl<
    'a,
    R: Reward<S, A>,
    const S: usize,
    const A: usize,
    const IN: usize,
    const E: usize,
    const HE: usize,
    const HP: usize,
    const H: usize,
    const K: usize,
> Controller<'a, R, S, A, IN, E, HE, HP, H, K>
{
    /// A controller running the bundle's networks with its hyper-parameters; `seed` fixes
    /// the planner's random stream (same seed, same actions, on every target).
    pub fn from_bundle(
        bundle: &Bundle<'a, S, A, IN, E, HE, HP, H, K>,
        reward: R,
        seed: u64,
    ) -> Self {
        Self {
            policy: bundle.policy,
            ensemble: bundle.ensemble.clone(),
            reward,
            planner: Planner::new(),
            rng: ChiRng::new(seed),
            config: bundle.header.controller,
        }
    }

    /// Restarts the random stream (e.g. at the start of an episode).
    pub fn reseed(&mut self, seed: u64) {
        self.rng = ChiRng::new(seed);
    }

    /// The amortised phase (Eq. 5): roll the policy through the ensemble's expected dynamics
    /// from `state`, taking at each step the mean and spread of the squashed action.
    pub fn amortise(&self, state: &[f32; S]) -> (Plan<A, H>, [[f32; S]; H]) {
        let sigma_min = self.config.planner.sigma_min;
        let mut plan = Plan::uninformed();
        let mut states = [[0.0; S]; H];
        let mut s = *state;
        for ((mean, std), expected) in plan.mean.iter_mut().zip(&mut plan.std).zip(&mut states) {
            let (m, sd) = self.policy.gaussian(&s).moments();
            *mean = sanitise::action(&m);
            *std = sd.map(|v| if v >= sigma_min { v } else { sigma_min });
            s = self.ensemble.predict_expected(&s, mean);
            *expected = s;
        }
        (plan, states)
    }

    /// One control step: amortised proposal, then (unless it is already confident) up to `I`
    /// iterations of Eq. 4 within `budget`. Any input gives a finite action in [-1, 1]^A.
    pub fn act<B: Budget>(&mut self, state: &[f32; S], budget: &mut B) -> Decision<S, A, H> {
        let (state, state_sanitised) = sanitise::state(state);
        let (amortised, amortised_states) = self.amortise(&state);
        let mut posterior = amortised;
        let early_exit = amortised.first_std_max() < self.config.early_exit_sigma;
        let refinement = if early_exit {
            Refinement::default()
        } else {
            self.planner.refine(
                &self.config.planner,
                &mut self.ensemble,
                &self.reward,
                &state,
                &mut posterior,
                &mut self.rng,
                budget,
            )
        };
        Decision {
            action: sanitise::action(&posterior.first_mean()),
            amortised,
            amortised_states,
            posterior,
            refinement,
            early_exit,
            state_sanitised,
        }
    }
}
