//! The CEM-MPC baseline (the paper's model-based comparison): chi-embedded's planner with
//! elite weighting over the run's learned ensemble, from the uninformed prior every step.

use anyhow::Result;
use chi_embedded::budget::Unlimited;
use chi_embedded::plan::Plan;
use chi_embedded::planner::{Planner, PlannerConfig};
use chi_embedded::rng::ChiRng;

use super::Agent;
use crate::config::{HORIZON, PLANNER_SAMPLES};
use crate::host_nets::HostEnsemble;
use crate::train::Run;
use crate::world::World;

/// The CEM-MPC planner on the host: chi-embedded's planner over the batched host ensemble.
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

/// CEM-MPC in training: the ensemble as the previous episode's refit left it (the model is
/// refitted once an episode), the planned action plus Gaussian exploration noise.
pub(super) struct Cem<R, const S: usize, const A: usize>(HostCem<R, S, A>);

impl<R: chi_embedded::task::Task<S, A>, const S: usize, const A: usize> Cem<R, S, A> {
    pub(super) fn new<W: World<S, A, Task = R>>(
        run: &Run<S, A, W>,
        planner_seed: u64,
    ) -> Result<Self> {
        let ensemble = HostEnsemble::from_spec(&run.spec(PLANNER_SAMPLES as u32)?);
        Ok(Self(HostCem::new(ensemble, run.task, planner_seed)))
    }
}

impl<const S: usize, const A: usize, W: World<S, A>> Agent<S, A, W> for Cem<W::Task, S, A> {
    fn act(
        &mut self,
        run: &mut Run<S, A, W>,
        _step: u32,
        state: &[f32; S],
        rng: &mut ChiRng,
    ) -> Result<[f32; A]> {
        let noise = run.config.cem.action_noise;
        Ok(self
            .0
            .act(&run.config.cem.planner, state)
            .map(|a| (a + noise * rng.normal()).clamp(-1.0, 1.0)))
    }
}
