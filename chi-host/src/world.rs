//! What a training run needs to know about its task beyond the [`Env`] interface: the
//! reward the planner optimises, how to build the environment, what the bundle calls the
//! task, and the task's own metrics. One implementation per task; the trainer is written once
//! over them ([`crate::train::Run`]), with the observation and action sizes as const
//! generics so the controller it runs is chi-embedded's, unchanged.

use anyhow::Result;
use chi_embedded::bundle::Task;
use chi_embedded::controller::Decision;
use chi_embedded::dynamics::Reward;
use chi_embedded::envs::point_mass::{self, GoalReward};

use crate::config::TrainConfig;
use crate::env::Env;
use crate::envs::point_mass::PointMassEnv;
use crate::figure1::{self, Snapshot};
use crate::train::HORIZON;

/// A task: `S` observations, `A` actions.
pub trait World<const S: usize, const A: usize> {
    /// Name in a run's `run.toml` and on the command line.
    const NAME: &'static str;
    /// The reward the planner optimises (known to the agent, paper Section 2).
    type Reward: Reward<S, A> + Copy;
    /// The environment the agent acts in.
    type Env: Env<S, A>;

    /// The planner's reward.
    fn reward() -> Self::Reward;

    /// A fresh environment for `config`.
    fn env(config: &TrainConfig) -> Result<Self::Env>;

    /// The task as a bundle records it.
    fn task(config: &TrainConfig) -> Task;

    /// Distance to the goal, for tasks that have one (the CSV's `closest` and
    /// `first_success`); `None` leaves those columns NaN and 0.
    fn goal_distance(_obs: &[f32; S]) -> Option<f32> {
        None
    }

    /// Whether the task reads `TrainConfig::geometry` (the point mass's wall). Other tasks
    /// carry it in their config unread, so a run resumes whatever the wall's default.
    const HAS_WALL: bool = false;

    /// Whether the trainer records each CHI episode's first decision for Figure 1 (it costs
    /// one more rollout of the posterior).
    const FIGURE1: bool = false;

    /// Figure 1's record of a first decision, for tasks that draw it.
    fn snapshot(
        _episode: u32,
        _state: &[f32; S],
        _decision: &Decision<S, A, HORIZON>,
        _posterior_states: [[f32; S]; HORIZON],
    ) -> Option<Snapshot> {
        None
    }
}

/// The paper's point mass with its wall (Appendix D.1).
pub struct PointMass;

impl World<2, 2> for PointMass {
    const NAME: &'static str = "point-mass";
    const HAS_WALL: bool = true;
    type Reward = GoalReward;
    type Env = PointMassEnv;

    fn reward() -> GoalReward {
        GoalReward
    }

    fn env(config: &TrainConfig) -> Result<PointMassEnv> {
        Ok(PointMassEnv::new(config.geometry, config.episode_steps))
    }

    fn task(config: &TrainConfig) -> Task {
        Task::PointMass(config.geometry)
    }

    fn goal_distance(obs: &[f32; 2]) -> Option<f32> {
        Some(point_mass::distance_to_goal(obs))
    }

    const FIGURE1: bool = true;

    fn snapshot(
        episode: u32,
        state: &[f32; 2],
        d: &Decision<2, 2, HORIZON>,
        posterior_states: [[f32; 2]; HORIZON],
    ) -> Option<Snapshot> {
        const { assert!(HORIZON == figure1::H) };
        Some(Snapshot {
            episode,
            state: *state,
            amortised_mean: d.amortised.mean,
            amortised_std: d.amortised.std,
            amortised_states: d.amortised_states,
            posterior_mean: d.posterior.mean,
            posterior_std: d.posterior.std,
            posterior_states,
        })
    }
}

/// MuJoCo Half-Cheetah as the paper runs it (Appendix D.2).
#[cfg(feature = "mujoco")]
pub struct HalfCheetah;

#[cfg(feature = "mujoco")]
impl World<{ crate::envs::half_cheetah::OBS }, { crate::envs::half_cheetah::ACT }> for HalfCheetah {
    const NAME: &'static str = "half-cheetah";
    type Reward = chi_embedded::envs::half_cheetah::ForwardReward;
    type Env = crate::envs::half_cheetah::HalfCheetah;

    fn reward() -> Self::Reward {
        chi_embedded::envs::half_cheetah::ForwardReward
    }

    fn env(_config: &TrainConfig) -> Result<Self::Env> {
        crate::envs::half_cheetah::HalfCheetah::new(&crate::envs::half_cheetah::default_model())
    }

    fn task(_config: &TrainConfig) -> Task {
        Task::HalfCheetah
    }
}

/// The name a run directory's `run.toml` gives its task; runs made before tasks were
/// recorded are point-mass runs.
pub fn recorded(identity: &toml::Table) -> &str {
    identity
        .get("env")
        .and_then(|v| v.as_str())
        .unwrap_or(PointMass::NAME)
}
