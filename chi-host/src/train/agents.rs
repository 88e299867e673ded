//! The planning agents on the host: CHI (chi-embedded's controller with batched host
//! networks) and the CEM-MPC baseline (chi-embedded's planner with elite weighting).

use chi_embedded::budget::Unlimited;
use chi_embedded::controller::Controller;
use chi_embedded::plan::Plan;
use chi_embedded::planner::{Planner, PlannerConfig};
use chi_embedded::rng::ChiRng;

use crate::config::{HORIZON, PLANNER_SAMPLES};
use crate::host_nets::{HostEnsemble, HostPolicy};

/// The CHI agent on the host: chi-embedded's controller with batched host networks.
pub type HostChi<R, const S: usize, const A: usize> =
    Controller<HostPolicy, HostEnsemble, R, S, A, HORIZON, PLANNER_SAMPLES>;

/// The CEM-MPC agent on the host: chi-embedded's planner with elite weighting over the
/// batched host ensemble.
pub struct HostCem<R, const S: usize, const A: usize> {
    planner: Box<Planner<S, A, HORIZON, PLANNER_SAMPLES>>,
    ensemble: HostEnsemble,
    reward: R,
    rng: ChiRng,
}

impl<R: chi_embedded::dynamics::Reward<S, A>, const S: usize, const A: usize> HostCem<R, S, A> {
    /// A planner over `ensemble`, its own noise from `seed`.
    pub fn new(ensemble: HostEnsemble, reward: R, seed: u64) -> Self {
        Self {
            planner: Box::new(Planner::new()),
            ensemble,
            reward,
            rng: ChiRng::new(seed),
        }
    }

    /// Plans from the uninformed prior and returns the first mean action.
    pub fn act(&mut self, config: &PlannerConfig, state: &[f32; S]) -> [f32; A] {
        let mut plan = Plan::uninformed();
        self.planner.refine(
            config,
            &mut self.ensemble,
            &self.reward,
            state,
            &mut plan,
            &mut self.rng,
            &mut Unlimited,
        );
        plan.first_mean()
    }
}
