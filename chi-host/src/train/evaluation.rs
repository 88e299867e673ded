//! Noise-free episodes of a run's agent as trained: evaluation, the planners at other
//! iteration counts, and the random policy and host CHI a board's return is normalised by.

use std::marker::PhantomData;

use anyhow::{Context, Result};
use chi_embedded::budget::Unlimited;
use chi_embedded::controller::Controller;
use chi_embedded::rng::ChiRng;

use super::Run;
use super::agents::{HostCem, HostChi};
use crate::config::{AgentKind, PLANNER_SAMPLES};
use crate::env::Step;
use crate::host_nets::{HostEnsemble, HostPolicy};
use crate::rollout::{Driver, rollout};
use crate::world::{GoalProgress, World};

/// One noise-free episode of an evaluation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// Return.
    pub ret: f32,
    /// First step (1-based) within the task's goal radius, for tasks with a goal.
    pub first_success: Option<u32>,
    /// Closest distance to the goal (NaN for tasks without one).
    pub closest: f32,
    /// Steps until the environment ended the episode.
    pub steps: u32,
}

impl<const S: usize, const A: usize, W: World<S, A>> Run<S, A, W> {
    /// Returns of noise-free episodes of the CHI controller at the host's settings (`K` =
    /// 500, the f32 ensemble): episode `i` starts from `env.reset(seeds[i])` and plans with
    /// seed `seeds[i]`. The 1 of a board's normalised return.
    pub fn chi_returns(&self, seeds: &[u64]) -> Result<Vec<f32>> {
        seeds
            .iter()
            .map(|&seed| {
                let mut chi = self.controller(seed)?;
                let mut env = W::env(&self.task, &self.config)?;
                Ok(self
                    .evaluation(&mut env, seed, |s: &[f32; S]| {
                        Ok(chi.act(s, &mut Unlimited).action)
                    })?
                    .ret)
            })
            .collect()
    }

    /// Noise-free returns of a planning agent on this run's learned model with `iterations`
    /// planner iterations a step: CHI (the controller, its planner starting from the policy's
    /// proposal) or CEM-MPC (elites, from the uninformed prior every step); episodes as in
    /// [`Self::chi_returns`]. How much planning each needs for a return.
    pub fn planner_returns(
        &self,
        agent: AgentKind,
        iterations: u32,
        seeds: &[u64],
    ) -> Result<Vec<f32>> {
        let mut spec = self.spec(PLANNER_SAMPLES as u32)?;
        seeds
            .iter()
            .map(|&seed| {
                let mut env = W::env(&self.task, &self.config)?;
                Ok(match agent {
                    AgentKind::Chi => {
                        let mut controller = spec.header.controller;
                        controller.planner.iterations = iterations;
                        let mut chi: HostChi<W::Task, S, A> = Controller::new(
                            HostPolicy::from_spec(&spec),
                            HostEnsemble::from_spec(&spec),
                            self.task,
                            controller,
                            seed,
                        );
                        self.follow_sac(&mut chi)?;
                        self.evaluation(&mut env, seed, |s: &[f32; S]| {
                            Ok(chi.act(s, &mut Unlimited).action)
                        })?
                        .ret
                    }
                    AgentKind::Cem | AgentKind::Sac => {
                        let mut planner = self.config.cem.planner;
                        planner.iterations = iterations;
                        spec.header.controller.planner = planner;
                        let mut cem = HostCem::new(HostEnsemble::from_spec(&spec), self.task, seed);
                        self.evaluation(&mut env, seed, |s: &[f32; S]| Ok(cem.act(&planner, s)))?
                            .ret
                    }
                })
            })
            .collect()
    }

    /// Returns of a uniformly random policy on the episodes of [`Self::chi_returns`]: the 0
    /// of a normalised return.
    pub fn random_returns(&self, seeds: &[u64]) -> Result<Vec<f32>> {
        seeds
            .iter()
            .map(|&seed| {
                let mut rng = ChiRng::new(seed);
                let mut env = W::env(&self.task, &self.config)?;
                Ok(self
                    .evaluation(&mut env, seed, |_: &[f32; S]| {
                        Ok(core::array::from_fn(|_| rng.symmetric_uniform()))
                    })?
                    .ret)
            })
            .collect()
    }

    /// Runs `episodes` noise-free episodes with the agent as trained (CHI: the controller at
    /// `K` = 500; SAC: the policy's mode; CEM: the planner), episode `i` from
    /// `env.reset(i)` with planner seed `i`. Learns nothing and writes nothing.
    pub fn evaluate(&self, episodes: u32) -> Result<Vec<Evaluation>> {
        (0..episodes)
            .map(|e| {
                let seed = u64::from(e);
                let mut env = W::env(&self.task, &self.config)?;
                match self.agent {
                    AgentKind::Chi => {
                        let mut chi = self.controller(seed)?;
                        self.evaluation(&mut env, seed, |s: &[f32; S]| {
                            Ok(chi.act(s, &mut Unlimited).action)
                        })
                    }
                    AgentKind::Cem => {
                        let mut cem = HostCem::new(
                            HostEnsemble::from_spec(&self.spec(PLANNER_SAMPLES as u32)?),
                            self.task,
                            seed,
                        );
                        self.evaluation(&mut env, seed, |s: &[f32; S]| {
                            Ok(cem.act(&self.config.cem.planner, s))
                        })
                    }
                    AgentKind::Sac => {
                        let mut rng = ChiRng::new(seed);
                        self.evaluation(&mut env, seed, |s: &[f32; S]| {
                            let a = self.sac.act(s, true, &mut rng)?;
                            <[f32; A]>::try_from(a.as_slice())
                                .with_context(|| format!("SAC gave {} actions, not {A}", a.len()))
                        })
                    }
                }
            })
            .collect()
    }

    /// One episode from `env.reset(seed)` until the environment ends it.
    fn evaluation(
        &self,
        env: &mut W::Env,
        seed: u64,
        policy: impl FnMut(&[f32; S]) -> Result<[f32; A]>,
    ) -> Result<Evaluation> {
        let mut tracked = Tracked::<S, A, W, _> {
            policy,
            goal: None,
            world: PhantomData,
        };
        let outcome = rollout(env, seed, &mut tracked)?;
        let goal = tracked.goal.unwrap_or(GoalProgress {
            closest: f32::NAN,
            first_success: None,
        });
        Ok(Evaluation {
            ret: outcome.ret,
            first_success: goal.first_success,
            closest: goal.closest,
            steps: outcome.steps,
        })
    }
}

/// A policy, and how near its episode came to the goal.
struct Tracked<const S: usize, const A: usize, W, P> {
    policy: P,
    goal: Option<GoalProgress>,
    world: PhantomData<W>,
}

impl<const S: usize, const A: usize, W: World<S, A>, P> Driver<S, A> for Tracked<S, A, W, P>
where
    P: FnMut(&[f32; S]) -> Result<[f32; A]>,
{
    fn act(&mut self, _step: u32, state: &[f32; S]) -> Result<[f32; A]> {
        (self.policy)(state)
    }

    fn observe(
        &mut self,
        step: u32,
        state: &[f32; S],
        _: &[f32; A],
        outcome: &Step<S>,
    ) -> Result<()> {
        self.goal
            .get_or_insert_with(|| GoalProgress::start::<S, A, W>(state))
            .observe::<S, A, W>(step, &outcome.obs);
        Ok(())
    }
}
