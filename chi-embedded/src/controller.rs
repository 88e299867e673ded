//! CHI: amortised inference sets the initial conditions of iterative inference (paper
//! Section 3, Algorithm 1).

use crate::budget::Budget;
use crate::bundle::Bundle;
use crate::dynamics::{Dynamics, Reward};
use crate::ensemble::Ensemble;
use crate::habit::Habit;
use crate::plan::Plan;
use crate::planner::{Planner, Refinement};
use crate::policy::{AmortisedPolicy, Policy};
use crate::rng::ChiRng;
use crate::sanitise;
use crate::task::Task;
use crate::value::{Value, WithValue};

pub use crate::controller_config::ControllerConfig;

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
    /// Why the iterative phase was skipped, if it was.
    pub early_exit: Option<Exit>,
    /// The incoming state had NaN, infinite or huge components that were replaced.
    pub state_sanitised: bool,
}

/// Why a step skipped the iterative phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The amortised first action's spread is below `early_exit_sigma` (the paper's rule).
    Confident,
    /// The planner has been agreeing with the policy ([`crate::habit`]).
    Habitual,
}

/// The CHI controller, written once over where its networks come from: any
/// [`AmortisedPolicy`] and any [`Dynamics`]. The board runs it with networks borrowed from a
/// bundle ([`BundleController`]); the host can run it with batched evaluators of its own.
pub struct Controller<P, D, R, const S: usize, const A: usize, const H: usize, const K: usize> {
    policy: P,
    dynamics: D,
    reward: R,
    planner: Planner<S, A, H, K>,
    rng: ChiRng,
    habit: Habit,
    /// Hyper-parameters; the host may change them for experiments.
    pub config: ControllerConfig,
}

/// The board's controller: policy, ensemble and (if the bundle has one) the value past the
/// horizon, read in place from a bundle.
pub type BundleController<
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
> = Controller<
    Policy<'a, S, A, HP>,
    WithValue<Ensemble<'a, S, A, IN, E, HE>, Value<'a, S, HP>>,
    R,
    S,
    A,
    H,
    K,
>;

impl<
    'a,
    T: Task<S, A>,
    const S: usize,
    const A: usize,
    const IN: usize,
    const E: usize,
    const HE: usize,
    const HP: usize,
    const H: usize,
    const K: usize,
> BundleController<'a, T, S, A, IN, E, HE, HP, H, K>
{
    /// A controller running the bundle's networks with its hyper-parameters for `task` (the
    /// bundle's own: [`Bundle::task`] reads and checks it); `seed` fixes the planner's random
    /// stream (same seed, same actions, on every target).
    pub fn from_bundle(bundle: &Bundle<'a, S, A, IN, E, HE, HP, H, K>, task: T, seed: u64) -> Self {
        let (policy, dynamics) = Self::networks(bundle);
        Self::new(policy, dynamics, task, bundle.header.controller, seed)
    }

    /// [`Self::from_bundle`], built in `slot` without a copy on the stack ([`Controller::new_in`]).
    pub fn from_bundle_in<'s>(
        slot: &'s mut core::mem::MaybeUninit<Self>,
        bundle: &Bundle<'a, S, A, IN, E, HE, HP, H, K>,
        task: T,
        seed: u64,
    ) -> &'s mut Self {
        let (policy, dynamics) = Self::networks(bundle);
        Self::new_in(slot, policy, dynamics, task, bundle.header.controller, seed)
    }

    /// The bundle's policy, and its ensemble with the value past the horizon.
    fn networks(
        bundle: &Bundle<'a, S, A, IN, E, HE, HP, H, K>,
    ) -> (
        Policy<'a, S, A, HP>,
        WithValue<Ensemble<'a, S, A, IN, E, HE>, Value<'a, S, HP>>,
    ) {
        let dynamics = WithValue {
            model: bundle.ensemble.clone(),
            value: bundle.value,
        };
        (bundle.policy, dynamics)
    }
}

impl<
    P: AmortisedPolicy<S, A>,
    D: Dynamics<S, A>,
    R: Reward<S, A>,
    const S: usize,
    const A: usize,
    const H: usize,
    const K: usize,
> Controller<P, D, R, S, A, H, K>
{
    /// The controller built in `slot`, where it stays: what a board with a small stack
    /// uses. Returning a controller by value, as [`Self::new`] does, leaves the planner's
    /// scratch (42 KB at the board's Half-Cheetah sizes) to the compiler's copy elision,
    /// which did not happen: one temporary in the constructor and the result beside it took
    /// 120 KB of the F405's 128 KB of stack. Here the scratch is zeroed in place and nothing
    /// is copied.
    pub fn new_in(
        slot: &mut core::mem::MaybeUninit<Self>,
        policy: P,
        dynamics: D,
        reward: R,
        config: ControllerConfig,
        seed: u64,
    ) -> &mut Self {
        let p = slot.as_mut_ptr();
        // SAFETY: `p` points to memory of `Self`'s layout that `slot` owns. Each field is
        // written exactly once, through raw field pointers (no reference to uninitialised
        // memory is made), before the reference is created. The planner's scratch is arrays
        // of f32 and bool, for which all-zero bytes are valid values (0.0 and false).
        unsafe {
            core::ptr::addr_of_mut!((*p).policy).write(policy);
            core::ptr::addr_of_mut!((*p).dynamics).write(dynamics);
            core::ptr::addr_of_mut!((*p).reward).write(reward);
            core::ptr::addr_of_mut!((*p).rng).write(ChiRng::new(seed));
            core::ptr::addr_of_mut!((*p).habit).write(Habit::default());
            core::ptr::addr_of_mut!((*p).config).write(config);
            core::ptr::addr_of_mut!((*p).planner).write_bytes(0, 1);
            &mut *p
        }
    }

    /// A controller from its parts; `seed` fixes the planner's random stream.
    pub fn new(policy: P, dynamics: D, reward: R, config: ControllerConfig, seed: u64) -> Self {
        Self {
            policy,
            dynamics,
            reward,
            planner: Planner::new(),
            rng: ChiRng::new(seed),
            habit: Habit::default(),
            config,
        }
    }

    /// Starts an episode: restarts the random stream and forgets the habitual exit's record
    /// (what a board and its twin must both do to act alike).
    pub fn reseed(&mut self, seed: u64) {
        self.rng = ChiRng::new(seed);
        self.habit = Habit::default();
    }

    /// The policy.
    pub fn policy(&self) -> &P {
        &self.policy
    }

    /// The policy, to replace it as training goes on (the planner's scratch is kept).
    pub fn policy_mut(&mut self) -> &mut P {
        &mut self.policy
    }

    /// The dynamics model.
    pub fn dynamics(&mut self) -> &mut D {
        &mut self.dynamics
    }

    /// The amortised phase (Eq. 5): roll the policy through the model's expected dynamics
    /// (the mean over members) from `state`, taking at each step the mean and spread of the
    /// squashed action.
    pub fn amortise(&mut self, state: &[f32; S]) -> (Plan<A, H>, [[f32; S]; H]) {
        let sigma_min = self.config.planner.sigma_min;
        let mut plan = Plan::uninformed();
        let mut states = [[0.0; S]; H];
        let mut s = *state;
        for ((mean, std), expected) in plan.mean.iter_mut().zip(&mut plan.std).zip(&mut states) {
            let (m, sd) = self.policy.gaussian(&s).moments();
            *mean = sanitise::action(&m);
            *std = sd.map(|v| if v >= sigma_min { v } else { sigma_min });
            s = expected_next(&mut self.dynamics, &s, mean);
            *expected = s;
        }
        (plan, states)
    }

    /// The expected states of following `plan`'s means from `state` under the ensemble's
    /// mean prediction (what Figure 1 draws for the final posterior, beside the amortised
    /// rollout's own states).
    pub fn expected_states(&mut self, state: &[f32; S], plan: &Plan<A, H>) -> [[f32; S]; H] {
        let mut states = [[0.0; S]; H];
        let mut s = sanitise::within(state, &self.reward.state_bounds()).0;
        for (mean, expected) in plan.mean.iter().zip(&mut states) {
            s = expected_next(&mut self.dynamics, &s, mean);
            *expected = s;
        }
        states
    }

    /// One control step: amortised proposal, then (unless it is already confident) up to `I`
    /// iterations of Eq. 4 within `budget`. Any input gives a finite action in [-1, 1]^A.
    pub fn act<B: Budget>(&mut self, state: &[f32; S], budget: &mut B) -> Decision<S, A, H> {
        let (state, state_sanitised) = sanitise::within(state, &self.reward.state_bounds());
        let (amortised, amortised_states) = self.amortise(&state);
        let mut posterior = amortised;
        let early_exit = if amortised.first_std_max() < self.config.early_exit_sigma {
            Some(Exit::Confident)
        } else if self.habit.trusts(&self.config.habit) {
            Some(Exit::Habitual)
        } else {
            None
        };
        let refinement = if early_exit.is_some() {
            self.habit.skipped();
            Refinement::default()
        } else {
            let r = self.planner.refine(
                &self.config.planner,
                &mut self.dynamics,
                &self.reward,
                &state,
                &mut posterior,
                &mut self.rng,
                budget,
            );
            // A step the budget cut before any refit says nothing about agreement.
            if r.iterations > 0 {
                let first = |p: &Plan<A, H>| (p.first_mean(), p.std.first().copied());
                if let ((a_mean, Some(a_std)), (p_mean, _)) = (first(&amortised), first(&posterior))
                {
                    self.habit
                        .checked(&self.config.habit, &a_mean, &a_std, &p_mean);
                }
            }
            r
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

/// The expected next state under the model: the mean of the members' predictions, summed
/// in member order.
fn expected_next<D: Dynamics<S, A>, const S: usize, const A: usize>(
    dynamics: &mut D,
    s: &[f32; S],
    a: &[f32; A],
) -> [f32; S] {
    let members = dynamics.members().max(1);
    let mut sum = [0.0f32; S];
    let mut next = [[0.0f32; S]; 1];
    for member in 0..members {
        dynamics.predict(member, &[*s], &[*a], &mut next);
        let [n] = &next;
        for (acc, v) in sum.iter_mut().zip(n) {
            *acc += v;
        }
    }
    let n = members as f32;
    sum.map(|v| v / n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::{Checks, Unlimited};
    use crate::bundle::owned::AlignedBytes;
    use crate::bundle::testing::{self, PolicyKind};
    use crate::bundle::{Dims, Precision};
    use crate::envs::point_mass::{GOAL, PointMassTask};
    use proptest::prelude::*;

    /// The paper's K = 500 (Appendix C). With K = 32 the `q` factor of Eq. 4 leaves an
    /// effective sample size of 1-5 in these 14 dimensions and the plan freezes after one
    /// iteration (see the planner's docs); the hybrid behaviour is a claim at paper settings.
    const K: usize = 500;
    type Small<'a> = Bundle<'a, 2, 2, 4, 2, 8, 8, 7, K>;
    type SmallChi<'a> = BundleController<'a, PointMassTask, 2, 2, 4, 2, 8, 8, 7, K>;

    fn bytes(kind: PolicyKind, precision: Precision) -> AlignedBytes {
        let mut spec = testing::point_mass_spec(8, 8, kind);
        spec.header.dims.samples = K as u32;
        match precision {
            Precision::F32 => spec.encode().unwrap(),
            Precision::I8 => spec.quantised().encode().unwrap(),
        }
    }

    fn decide(bytes: &AlignedBytes, early_exit_sigma: f32, state: [f32; 2]) -> Decision<2, 2, 7> {
        let bundle = Small::parse(bytes.as_bytes()).unwrap();
        let mut chi = SmallChi::from_bundle(&bundle, PointMassTask::default(), 42);
        chi.config.early_exit_sigma = early_exit_sigma;
        chi.config.planner.iterations = 6;
        chi.act(&state, &mut Unlimited)
    }

    fn towards_goal(action: [f32; 2], s: [f32; 2]) -> f32 {
        let (dx, dy) = (GOAL[0] - s[0], GOAL[1] - s[1]);
        (action[0] * dx + action[1] * dy) / (dx * dx + dy * dy).sqrt()
    }

    #[test]
    fn confident_correct_policy_exits_early_and_acts_as_amortised() {
        for precision in [Precision::F32, Precision::I8] {
            let b = bytes(PolicyKind::Confident, precision);
            let d = decide(&b, 0.05, [0.2, 0.3]);
            assert!(
                d.early_exit == Some(Exit::Confident),
                "{precision:?}: first std {}",
                d.amortised.first_std_max()
            );
            assert_eq!(d.refinement.iterations, 0);
            assert_eq!(d.action, d.amortised.first_mean());
            assert!(towards_goal(d.action, [0.2, 0.3]) > 1.3, "{:?}", d.action);
        }
    }

    /// The habitual exit on a policy the planner agrees with and on one it overrides: the
    /// first hands over after `trust_after` planned steps and is checked every
    /// `check_every`-th step; the second keeps planning; a new episode starts the record again.
    #[test]
    fn habit_hands_over_where_the_planner_agrees_and_not_where_it_overrides() {
        let habit = crate::habit::HabitConfig {
            agree_sigmas: 0.5,
            trust_after: 2,
            check_every: 3,
        };
        let exits = |kind| {
            let b = bytes(kind, Precision::F32);
            let bundle = Small::parse(b.as_bytes()).unwrap();
            let mut chi = SmallChi::from_bundle(&bundle, PointMassTask::default(), 42);
            chi.config.early_exit_sigma = 0.0;
            chi.config.habit = habit;
            let run = |chi: &mut SmallChi| {
                let mut s = [0.2f32, 0.3];
                core::array::from_fn::<_, 7, _>(|_| {
                    let d = chi.act(&s, &mut Unlimited);
                    assert_eq!(d.refinement.iterations == 0, d.early_exit.is_some());
                    if d.early_exit.is_some() {
                        assert_eq!(d.action, d.amortised.first_mean());
                    }
                    s = [s[0] + 0.02 * d.action[0], s[1] + 0.02 * d.action[1]];
                    d.early_exit
                })
            };
            let first = run(&mut chi);
            chi.reseed(42);
            (first, run(&mut chi))
        };
        let h = Some(Exit::Habitual);
        let (first, again) = exits(PolicyKind::Confident);
        assert_eq!(first, [None, None, h, h, None, h, h]);
        assert_eq!(again, first, "reseed restarts the record");
        let (wrong, _) = exits(PolicyKind::Wrong);
        assert_eq!(
            wrong, [None; 7],
            "the planner overrides a wrong policy every step"
        );
    }

    #[test]
    fn hybrid_behaviour_planner_barely_moves_a_confident_plan_and_overrides_an_uncertain_one() {
        // Figure 1 in miniature, planning forced on (no early exit) in all three cases.
        for precision in [Precision::F32, Precision::I8] {
            let s = [0.2, 0.3];
            let confident = decide(&bytes(PolicyKind::Confident, precision), 0.0, s);
            let uncertain = decide(&bytes(PolicyKind::Uncertain, precision), 0.0, s);
            let wrong = decide(&bytes(PolicyKind::Wrong, precision), 0.0, s);
            let moved = |d: &Decision<2, 2, 7>| d.posterior.mean_distance(&d.amortised);

            assert_eq!(confident.refinement.iterations, 6);
            assert!(
                moved(&confident) < 0.05,
                "{precision:?}: confident plan moved {}",
                moved(&confident)
            );
            assert!(
                moved(&uncertain) > 0.4,
                "{precision:?}: uncertain plan moved only {}",
                moved(&uncertain)
            );
            assert!(
                moved(&wrong) > 0.6,
                "{precision:?}: wrong plan moved only {}",
                moved(&wrong)
            );
            assert!(moved(&uncertain) > 10.0 * moved(&confident));

            // The planner turns the wrong and the uncertain proposals towards the goal.
            assert!(towards_goal(wrong.amortised.first_mean(), s) < -0.5);
            assert!(
                towards_goal(wrong.action, s) > 0.5,
                "{precision:?}: {:?}",
                wrong.action
            );
            assert!(
                towards_goal(uncertain.action, s) > 0.5,
                "{precision:?}: {:?}",
                uncertain.action
            );
            // The iterative phase shrinks the uncertain spread: it has become confident.
            assert!(
                uncertain.posterior.first_std_max() < 0.5 * uncertain.amortised.first_std_max()
            );
            assert!(
                confident.amortised.kl_divergence(&confident.posterior)
                    < uncertain.amortised.kl_divergence(&uncertain.posterior)
            );
        }
    }

    #[test]
    fn amortised_rollout_predicts_the_policys_path() {
        let b = bytes(PolicyKind::Confident, Precision::F32);
        let bundle = Small::parse(b.as_bytes()).unwrap();
        let mut chi = SmallChi::from_bundle(&bundle, PointMassTask::default(), 0);
        let (plan, states) = chi.amortise(&[0.0, 0.0]);
        // Ensemble mean gain is 0.95 * 0.05 per unit action; the policy's action is ~1 per axis.
        let mut s = [0.0f32, 0.0];
        for (a, predicted) in plan.mean.iter().zip(states) {
            for d in 0..2 {
                s[d] += 0.95 * 0.05 * a[d];
                assert!((predicted[d] - s[d]).abs() < 1e-5, "{predicted:?} vs {s:?}");
            }
        }
        assert!(states[6][0] > 0.3 && states[6][1] > 0.3);
    }

    #[test]
    fn same_seed_same_decisions_bit_for_bit_other_seed_differs() {
        let b = bytes(PolicyKind::Uncertain, Precision::I8);
        let bundle = Small::parse(b.as_bytes()).unwrap();
        let run = |seed| {
            let mut chi = SmallChi::from_bundle(&bundle, PointMassTask::default(), seed);
            let states = [[0.0, 0.0], [0.3, 0.1], [0.9, 0.2]];
            states.map(|s| chi.act(&s, &mut Unlimited).action.map(f32::to_bits))
        };
        assert_eq!(run(1), run(1));
        assert_ne!(run(1), run(2));
    }

    /// The bundle's value past the horizon enters the decision: one that prizes distance from
    /// the goal turns a planner that would head for the goal away from it. Gain 20: from
    /// `s` the 7 rewards of heading straight to the goal beat those of heading away by about
    /// 8, and 7 full steps change `|goal - s|_1` by 0.7, so 20 x 0.7 outweighs them.
    #[test]
    fn the_bundles_value_past_the_horizon_steers_the_planner() {
        for precision in [Precision::F32, Precision::I8] {
            let s = [0.2, 0.3];
            let with = |gain: f32| {
                let mut spec = testing::with_distance_value(
                    testing::point_mass_spec(8, 8, PolicyKind::Uncertain),
                    gain,
                    1.0,
                );
                spec.header.dims.samples = K as u32;
                let spec = match precision {
                    Precision::F32 => spec,
                    Precision::I8 => spec.quantised(),
                };
                decide(&spec.encode().unwrap(), 0.0, s).action
            };
            let plain = decide(&bytes(PolicyKind::Uncertain, precision), 0.0, s).action;
            assert!(towards_goal(plain, s) > 0.5, "{precision:?}: {plain:?}");
            assert!(towards_goal(with(20.0), s) > 0.5, "{precision:?}");
            let repelled = with(-20.0);
            assert!(
                towards_goal(repelled, s) < -0.3,
                "{precision:?}: {repelled:?}"
            );
        }
    }

    #[test]
    fn built_in_place_it_acts_as_built_by_value() {
        let b = bytes(PolicyKind::Uncertain, Precision::I8);
        let bundle = Small::parse(b.as_bytes()).unwrap();
        let mut by_value = SmallChi::from_bundle(&bundle, PointMassTask::default(), 4);
        let mut slot = Box::new(core::mem::MaybeUninit::uninit());
        let in_place = SmallChi::from_bundle_in(&mut slot, &bundle, PointMassTask::default(), 4);
        for s in [[0.0, 0.0], [0.3, 0.1], [0.9, 0.2]] {
            let (a, b) = (
                by_value.act(&s, &mut Unlimited),
                in_place.act(&s, &mut Unlimited),
            );
            assert_eq!(a.action.map(f32::to_bits), b.action.map(f32::to_bits));
            assert_eq!(a.refinement, b.refinement);
        }
    }

    #[test]
    fn zero_budget_returns_the_amortised_action() {
        let b = bytes(PolicyKind::Wrong, Precision::F32);
        let bundle = Small::parse(b.as_bytes()).unwrap();
        let mut chi = SmallChi::from_bundle(&bundle, PointMassTask::default(), 1);
        let d = chi.act(&[0.5, 0.5], &mut Checks(0));
        assert!(d.refinement.interrupted && d.refinement.iterations == 0);
        assert_eq!(d.action, d.amortised.first_mean());
    }

    fn special() -> impl Strategy<Value = f32> {
        prop_oneof![
            Just(f32::NAN),
            Just(f32::INFINITY),
            Just(f32::NEG_INFINITY),
            Just(f32::MAX),
            Just(f32::MIN),
            Just(f32::MIN_POSITIVE),
            Just(1e30f32),
            Just(-1e30f32),
            -2.0f32..3.0,
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn any_state_gives_a_finite_action_in_bounds(
            x in special(), y in special(), seed in 0u64..50, i8 in any::<bool>(), kind in 0usize..3,
        ) {
            // Random networks as well as the hand-built ones: nothing about the weights is assumed.
            let precision = if i8 { Precision::I8 } else { Precision::F32 };
            let dims = Dims { state: 2, action: 2, members: 2, ensemble_hidden: 8, policy_hidden: 8, horizon: 7, samples: K as u32 };
            let b = match kind {
                0 => testing::random_spec(dims, precision, seed).encode().unwrap(),
                1 => bytes(PolicyKind::Uncertain, precision),
                _ => bytes(PolicyKind::Confident, precision),
            };
            let bundle = Small::parse(b.as_bytes()).unwrap();
            let mut chi = SmallChi::from_bundle(&bundle, PointMassTask::default(), seed);
            chi.config.early_exit_sigma = 0.0;
            let d = chi.act(&[x, y], &mut Unlimited);
            prop_assert!(d.action.iter().all(|a| a.is_finite() && a.abs() <= 1.0), "{:?}", d.action);
            prop_assert!(d.posterior.std.iter().flatten().all(|s| s.is_finite() && *s > 0.0));
            // The point mass's states lie in its arena, [0, 1]^2.
            let clean = (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y);
            prop_assert_eq!(d.state_sanitised, !clean);
        }
    }
}
