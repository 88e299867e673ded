//! Control as hybrid inference in training: chi-embedded's controller following SAC's
//! policy as it learns, its executed action plus Gaussian exploration noise (Appendix C),
//! and the planner's counterfactual rollouts kept for SAC (Appendix G).

use anyhow::Result;
use chi_embedded::budget::Unlimited;
use chi_embedded::controller::Controller;
use chi_embedded::dynamics::{Dynamics, Reward};
use chi_embedded::plan::Plan;
use chi_embedded::rng::ChiRng;

use super::Agent;
use crate::config::{CounterfactualSource, HORIZON, PLANNER_SAMPLES};
use crate::figure1::Snapshot;
use crate::host_nets::{HostEnsemble, HostPolicy};
use crate::replay::ReplayBuffer;
use crate::train::{EpisodeMetrics, Run};
use crate::world::World;

/// The CHI controller on the host: chi-embedded's, with batched host networks.
pub type HostChi<R, const S: usize, const A: usize> =
    Controller<HostPolicy, HostEnsemble, R, S, A, HORIZON, PLANNER_SAMPLES>;

/// The controller and the episode's sums of what its decisions did.
pub(super) struct Chi<R, const S: usize, const A: usize> {
    controller: HostChi<R, S, A>,
    snapshot: Option<Snapshot>,
    plan_shift: f32,
    plan_kl: f32,
    amortised_std: f32,
    early_exits: f32,
    iterations: f32,
}

impl<R: Reward<S, A>, const S: usize, const A: usize> Chi<R, S, A> {
    pub(super) fn new<W: World<S, A, Task = R>>(
        run: &Run<S, A, W>,
        planner_seed: u64,
    ) -> Result<Self> {
        Ok(Self {
            controller: run.controller(planner_seed)?,
            snapshot: None,
            plan_shift: 0.0,
            plan_kl: 0.0,
            amortised_std: 0.0,
            early_exits: 0.0,
            iterations: 0.0,
        })
    }
}

impl<const S: usize, const A: usize, W: World<S, A>> Agent<S, A, W> for Chi<W::Task, S, A> {
    fn act(
        &mut self,
        run: &mut Run<S, A, W>,
        step: u32,
        state: &[f32; S],
        rng: &mut ChiRng,
    ) -> Result<[f32; A]> {
        run.follow_sac(&mut self.controller)?;
        let d = self.controller.act(state, &mut Unlimited);
        if step == 1 && W::FIGURE1 {
            let posterior_states = self.controller.expected_states(state, &d.posterior);
            self.snapshot = W::snapshot(run.episodes_done, state, &d, posterior_states);
        }
        self.plan_shift += d.posterior.mean_distance(&d.amortised);
        self.plan_kl += d.amortised.kl_divergence(&d.posterior);
        self.amortised_std += d.amortised.first_std_max();
        self.early_exits += f32::from(u8::from(d.early_exit.is_some()));
        self.iterations += d.refinement.iterations as f32;
        let c = run.config.chi;
        if c.counterfactual {
            let proposal = match c.counterfactual_source {
                CounterfactualSource::Amortised => d.amortised,
                CounterfactualSource::Posterior => d.posterior,
            };
            store_counterfactuals(
                &mut run.model,
                &mut self.controller,
                &run.task,
                c.counterfactual_per_step,
                state,
                &proposal,
                rng,
            );
        }
        Ok(d.action
            .map(|a| (a + c.action_noise * rng.normal()).clamp(-1.0, 1.0)))
    }

    fn finish(&mut self, m: &mut EpisodeMetrics, steps: u32) -> Option<Snapshot> {
        let n = steps.max(1) as f32;
        m.plan_shift = self.plan_shift / n;
        m.plan_kl = self.plan_kl / n;
        m.amortised_std = self.amortised_std / n;
        m.early_exit = self.early_exits / n;
        m.iterations = self.iterations / n;
        self.snapshot.take()
    }
}

/// Rolls `count` action sequences drawn from `proposal` through the ensemble, sequence `k`
/// through member `k mod E`, and keeps every transition in `model`, rewarded by `task`: the suboptimal and
/// optimal data the planner would otherwise throw away (Appendix G).
fn store_counterfactuals<R: Reward<S, A>, const S: usize, const A: usize>(
    model: &mut ReplayBuffer,
    chi: &mut HostChi<R, S, A>,
    task: &R,
    count: usize,
    state: &[f32; S],
    proposal: &Plan<A, HORIZON>,
    rng: &mut ChiRng,
) {
    let members = Dynamics::<S, A>::members(chi.dynamics()).max(1);
    let mut states = vec![*state; count];
    // A sequence that lands in a terminal state stores that transition as terminal and
    // nothing after it (as MBPO's model rollouts do).
    let mut alive = vec![true; count];
    for (mean, std) in proposal.mean.iter().zip(&proposal.std) {
        let actions: Vec<[f32; A]> = (0..count)
            .map(|_| core::array::from_fn(|d| (mean[d] + std[d] * rng.normal()).clamp(-1.0, 1.0)))
            .collect();
        let mut next = states.clone();
        for member in 0..members {
            let rows: Vec<usize> = (member..count).step_by(members).collect();
            let s: Vec<[f32; S]> = rows.iter().map(|&k| states[k]).collect();
            let a: Vec<[f32; A]> = rows.iter().map(|&k| actions[k]).collect();
            let mut n = s.clone();
            chi.dynamics().predict(member, &s, &a, &mut n);
            for (&k, n) in rows.iter().zip(n) {
                next[k] = n;
            }
        }
        for (((s, a), n), live) in states.iter().zip(&actions).zip(&next).zip(&mut alive) {
            if *live {
                let done = task.terminated(n);
                model.push(s, a, task.reward(s, a, n), n, done);
                *live = !done;
            }
        }
        states = next;
    }
}
