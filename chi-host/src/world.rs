//! What a training run needs to know about its task beyond the [`Env`] interface: the
//! chi-embedded [`Task`] (reward, termination, identity), how to build the environment, the
//! task's presets, and the task's own metrics. One implementation per task, in
//! [`crate::tasks`]; the trainer is written once over them ([`crate::train::Run`]), with the
//! observation and action sizes as const generics so the controller it runs is
//! chi-embedded's, unchanged.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow, bail};
use chi_embedded::controller::Decision;
use chi_embedded::task::Task;

use crate::config::HORIZON;
use crate::config::{Preset, TrainConfig};
use crate::env::Env;
use crate::figure1::Snapshot;

/// A task on the host: `S` observations, `A` actions.
pub trait World<const S: usize, const A: usize> {
    /// The task as chi-embedded defines it: what the planner optimises and the bundle records.
    type Task: Task<S, A> + 'static;
    /// The environment the agent acts in.
    type Env: Env<S, A>;

    /// The settings a run of this task starts from.
    fn preset(preset: Preset) -> TrainConfig;

    /// A fresh environment for `task` with `config`'s episode length.
    fn env(task: &Self::Task, config: &TrainConfig) -> Result<Self::Env>;

    /// Distance to the goal, for tasks that have one (the CSV's `closest` and
    /// `first_success`); `None` leaves those columns NaN and 0.
    fn goal_distance(_obs: &[f32; S]) -> Option<f32> {
        None
    }

    /// Within this distance of the goal counts as reaching it.
    const GOAL_RADIUS: f32 = 0.0;

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

/// How near an episode came to its task's goal: the CSV's `closest` and `first_success`,
/// and what `chi eval`, `chi run` and `chi hil` report. Tasks without a goal leave `closest`
/// NaN and `first_success` empty.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GoalProgress {
    /// Closest distance to the goal so far (NaN for a task without one).
    pub closest: f32,
    /// First step (1-based) that ended within the goal radius.
    pub first_success: Option<u32>,
}

impl GoalProgress {
    /// An episode starting in `start`.
    pub fn start<const S: usize, const A: usize, W: World<S, A>>(start: &[f32; S]) -> Self {
        Self {
            closest: W::goal_distance(start).unwrap_or(f32::NAN),
            first_success: None,
        }
    }

    /// Step `step` (1-based) ended in `state`.
    pub fn observe<const S: usize, const A: usize, W: World<S, A>>(
        &mut self,
        step: u32,
        state: &[f32; S],
    ) {
        if let Some(d) = W::goal_distance(state) {
            self.closest = self.closest.min(d);
            if d < W::GOAL_RADIUS && self.first_success.is_none() {
                self.first_success = Some(step);
            }
        }
    }

    /// An episode's states: the start, then one a step.
    pub fn of<const S: usize, const A: usize, W: World<S, A>>(states: &[[f32; S]]) -> Self {
        let Some((start, rest)) = states.split_first() else {
            return Self {
                closest: f32::NAN,
                first_success: None,
            };
        };
        let mut g = Self::start::<S, A, W>(start);
        for (step, s) in (1..).zip(rest) {
            g.observe::<S, A, W>(step, s);
        }
        g
    }

    /// Whether the task has a goal at all.
    pub fn has_goal(&self) -> bool {
        !self.closest.is_nan()
    }
}

/// The task `config` describes: `T`'s defaults with the parameters `config.task` names.
pub fn task<T: Task<S, A>, const S: usize, const A: usize>(config: &TrainConfig) -> Result<T> {
    let mut values = T::default().params().as_slice().to_vec();
    for (name, value) in &config.task {
        let Some(slot) = T::PARAM_NAMES
            .iter()
            .position(|n| n == name)
            .and_then(|i| values.get_mut(i))
        else {
            bail!(
                "task {} has no parameter '{name}' (it has {})",
                T::NAME,
                if T::PARAM_NAMES.is_empty() {
                    "none".to_string()
                } else {
                    T::PARAM_NAMES.join(", ")
                }
            );
        };
        *slot = *value as f32;
    }
    T::from_params(&values).map_err(|e| anyhow!("task {}: {e}", T::NAME))
}

/// Every parameter of `task` by name: what a run's config.toml records, so it says exactly
/// which task it trained on.
pub fn named_params<T: Task<S, A>, const S: usize, const A: usize>(
    task: &T,
) -> BTreeMap<String, f64> {
    T::PARAM_NAMES
        .iter()
        .zip(task.params().as_slice())
        // The shortest decimal that reads back to the f32 (0.4, not 0.4000000059604645).
        .map(|(n, v)| {
            (
                n.to_string(),
                v.to_string().parse().unwrap_or(f64::from(*v)),
            )
        })
        .collect()
}

/// The name a run directory's `run.toml` gives its task; runs made before tasks were
/// recorded are point-mass runs.
pub fn recorded(identity: &toml::Table) -> &str {
    identity
        .get("env")
        .and_then(|v| v.as_str())
        .unwrap_or(chi_embedded::envs::point_mass::PointMassTask::NAME)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chi_embedded::envs::pendulum::PendulumTask;
    use chi_embedded::envs::point_mass::PointMassTask;

    #[test]
    fn named_parameters_override_defaults_and_unknown_ones_are_refused() {
        let mut c = TrainConfig::default();
        c.task.insert("opening_centre".into(), 0.85);
        let t: PointMassTask = task(&c).unwrap();
        assert_eq!(t.geometry.opening_centre, 0.85);
        assert_eq!(t.geometry.wall_x, 0.5);
        assert_eq!(named_params(&t).get("opening_centre"), Some(&0.85));
        assert_eq!(named_params(&t).len(), 3);
        c.task.insert("wall".into(), 0.3);
        let err = task::<PointMassTask, 2, 2>(&c).unwrap_err().to_string();
        assert!(
            err.contains("no parameter 'wall'") && err.contains("wall_x"),
            "{err}"
        );
        let err = task::<PendulumTask, 3, 1>(&c).unwrap_err().to_string();
        assert!(err.contains("(it has g)"), "{err}");
        let mut c = TrainConfig::default();
        c.task.insert("wall_x".into(), 1.5);
        let err = task::<PointMassTask, 2, 2>(&c).unwrap_err().to_string();
        assert!(err.contains("wall_x must lie"), "{err}");
    }
}
