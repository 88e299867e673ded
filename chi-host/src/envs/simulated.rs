//! The environment of any task whose dynamics are chi-embedded's ([`Task::SIMULATED`]): the
//! board's self-test and the host simulate the same physics, in the same f32 arithmetic.

use chi_embedded::task::Task;

use crate::env::{Env, Step};

/// A simulated task with a time limit.
#[derive(Clone, Debug)]
pub struct Simulated<T> {
    task: T,
    state: Vec<f32>,
    max_steps: u32,
    t: u32,
}

impl<T> Simulated<T> {
    /// `task` with episodes of at most `max_steps`.
    pub fn new(task: T, max_steps: u32) -> Self {
        Self {
            task,
            state: Vec::new(),
            max_steps,
            t: 0,
        }
    }

    /// The task.
    pub fn task(&self) -> &T {
        &self.task
    }
}

impl<T: Task<S, A>, const S: usize, const A: usize> Env<S, A> for Simulated<T> {
    fn reset(&mut self, seed: u64) -> [f32; S] {
        self.t = 0;
        let s = self.task.initial_state(seed);
        self.state = s.to_vec();
        s
    }

    /// The reward is the task's, of the action as the plant applies it (clamped into
    /// `[-1, 1]`, NaN as 0): the planner's reward is the environment's.
    fn step(&mut self, action: &[f32; A]) -> Step<S> {
        let state = <[f32; S]>::try_from(self.state.as_slice())
            .unwrap_or_else(|_| self.task.initial_state(0));
        let action = chi_embedded::sanitise::action(action);
        let next = self.task.transition(&state, &action);
        self.state = next.to_vec();
        self.t += 1;
        Step {
            obs: next,
            reward: self.task.reward(&state, &action, &next),
            terminated: self.task.terminated(&next),
            truncated: self.t >= self.max_steps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chi_embedded::envs::point_mass::{Geometry, PointMassTask};

    #[test]
    fn truncates_at_the_time_limit_and_resets() {
        let mut env = Simulated::new(PointMassTask::default(), 3);
        assert_eq!(env.reset(0), [0.0, 0.0]);
        assert!(!env.step(&[1.0, 0.0]).truncated);
        assert!(!env.step(&[1.0, 0.0]).truncated);
        let last = env.step(&[1.0, 0.0]);
        assert!(last.truncated && !last.terminated);
        assert!((last.obs[0] - 0.15).abs() < 1e-6);
        assert_eq!(env.reset(1), [0.0, 0.0]);
        let open = PointMassTask {
            geometry: Geometry::OPEN,
        };
        assert_eq!(env.task().geometry, Geometry::default());
        assert_ne!(open, *env.task());
    }
}
