//! The one episode loop on the host: training, evaluation, `chi run`, `chi hil` and the
//! int8 check all step an [`Env`] through it, so an episode starts, counts its return and
//! ends (terminated or truncated) the same way wherever it runs.

use anyhow::Result;

use crate::env::{Env, Step};

/// What acts in an episode, and what it does with each step's outcome.
pub trait Driver<const S: usize, const A: usize> {
    /// The action at step `step` (1-based) in `state`.
    fn act(&mut self, step: u32, state: &[f32; S]) -> Result<[f32; A]>;

    /// Step `step` took `action` in `state` and led to `outcome`.
    fn observe(
        &mut self,
        _step: u32,
        _state: &[f32; S],
        _action: &[f32; A],
        _outcome: &Step<S>,
    ) -> Result<()> {
        Ok(())
    }
}

/// A policy that only acts: any `FnMut(&state) -> Result<action>`.
impl<const S: usize, const A: usize, F> Driver<S, A> for F
where
    F: FnMut(&[f32; S]) -> Result<[f32; A]>,
{
    fn act(&mut self, _step: u32, state: &[f32; S]) -> Result<[f32; A]> {
        self(state)
    }
}

/// How an episode went.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome<const S: usize> {
    /// Sum of the rewards.
    pub ret: f32,
    /// Steps taken.
    pub steps: u32,
    /// Whether it ended in a terminal state (rather than at the time limit).
    pub terminated: bool,
    /// The state it ended in.
    pub last: [f32; S],
    /// Whether the environment diverged (a state or reward not finite): the episode was cut
    /// short there, truncated, and the step that diverged was neither counted nor observed.
    pub diverged: bool,
}

/// Runs one episode of `env` from `env.reset(seed)` with `driver` until the environment
/// ends it; the driver's first error stops it. A step whose state or reward is not finite
/// (a simulation that diverged) ends the episode as truncated, with a warning, before the
/// driver sees it: one NaN in a replay buffer would poison every network trained on it.
pub fn rollout<const S: usize, const A: usize>(
    env: &mut impl Env<S, A>,
    seed: u64,
    driver: &mut impl Driver<S, A>,
) -> Result<Outcome<S>> {
    let mut state = env.reset(seed);
    let (mut ret, mut steps) = (0.0, 0);
    loop {
        steps += 1;
        let action = driver.act(steps, &state)?;
        let outcome = env.step(&action);
        if !outcome.reward.is_finite() || outcome.obs.iter().any(|x| !x.is_finite()) {
            eprintln!(
                "chi: warning: the environment diverged at step {steps} (its state or reward is not finite); the episode ends there, truncated, without that step"
            );
            return Ok(Outcome {
                ret,
                steps: steps - 1,
                terminated: false,
                last: state,
                diverged: true,
            });
        }
        ret += outcome.reward;
        driver.observe(steps, &state, &action, &outcome)?;
        state = outcome.obs;
        if outcome.terminated || outcome.truncated {
            return Ok(Outcome {
                ret,
                steps,
                terminated: outcome.terminated,
                last: state,
                diverged: false,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts down from its reset seed; terminates at zero, truncates after `limit` steps.
    struct Countdown {
        left: u64,
        steps: u32,
        limit: u32,
    }

    impl Env<1, 1> for Countdown {
        fn reset(&mut self, seed: u64) -> [f32; 1] {
            (self.left, self.steps) = (seed, 0);
            [seed as f32]
        }

        fn step(&mut self, action: &[f32; 1]) -> Step<1> {
            self.left = self.left.saturating_sub(1);
            self.steps += 1;
            Step {
                obs: [self.left as f32],
                reward: action[0],
                terminated: self.left == 0,
                truncated: self.steps >= self.limit,
            }
        }
    }

    /// Steps a state of 1, 2, ... until it turns into NaN at `nan_at`.
    struct Diverging {
        steps: u32,
        nan_at: u32,
    }

    impl Env<1, 1> for Diverging {
        fn reset(&mut self, _seed: u64) -> [f32; 1] {
            self.steps = 0;
            [0.0]
        }

        fn step(&mut self, _action: &[f32; 1]) -> Step<1> {
            self.steps += 1;
            let x = if self.steps >= self.nan_at {
                f32::NAN
            } else {
                self.steps as f32
            };
            Step {
                obs: [x],
                reward: 1.0,
                terminated: false,
                truncated: self.steps >= 100,
            }
        }
    }

    /// Keeps every transition it observes.
    struct Recorder(Vec<f32>);

    impl Driver<1, 1> for Recorder {
        fn act(&mut self, _step: u32, _state: &[f32; 1]) -> Result<[f32; 1]> {
            Ok([0.0])
        }

        fn observe(&mut self, _: u32, _: &[f32; 1], _: &[f32; 1], o: &Step<1>) -> Result<()> {
            self.0.push(o.obs[0]);
            Ok(())
        }
    }

    #[test]
    fn a_diverging_environment_ends_the_episode_before_the_driver_sees_nan() {
        let mut env = Diverging {
            steps: 0,
            nan_at: 7,
        };
        let mut seen = Recorder(Vec::new());
        let ended = rollout(&mut env, 0, &mut seen).unwrap();
        assert!(ended.diverged && !ended.terminated);
        assert_eq!((ended.steps, ended.ret, ended.last), (6, 6.0, [6.0]));
        assert_eq!(seen.0, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let mut fine = Diverging {
            steps: 0,
            nan_at: 1000,
        };
        assert!(!rollout(&mut fine, 0, &mut seen).unwrap().diverged);
    }

    #[test]
    fn ends_on_termination_or_truncation_and_sums_rewards() {
        let mut env = Countdown {
            left: 0,
            steps: 0,
            limit: 10,
        };
        let mut half = |_: &[f32; 1]| Ok([0.5]);
        let ended = rollout(&mut env, 4, &mut half).unwrap();
        assert_eq!((ended.ret, ended.steps, ended.terminated), (2.0, 4, true));
        assert_eq!(ended.last, [0.0]);
        let timed_out = rollout(&mut env, 50, &mut half).unwrap();
        assert_eq!((timed_out.steps, timed_out.terminated), (10, false));
        assert_eq!(timed_out.last, [40.0]);
    }

    #[test]
    fn observes_every_step_in_order_and_stops_at_the_first_error() {
        struct Recorder(Vec<(u32, f32, f32)>);
        impl Driver<1, 1> for Recorder {
            fn act(&mut self, step: u32, _: &[f32; 1]) -> Result<[f32; 1]> {
                if step == 3 {
                    anyhow::bail!("no action at step 3");
                }
                Ok([step as f32])
            }
            fn observe(
                &mut self,
                step: u32,
                s: &[f32; 1],
                a: &[f32; 1],
                _: &Step<1>,
            ) -> Result<()> {
                self.0.push((step, s[0], a[0]));
                Ok(())
            }
        }
        let mut env = Countdown {
            left: 0,
            steps: 0,
            limit: 10,
        };
        let mut recorder = Recorder(Vec::new());
        let e = rollout(&mut env, 9, &mut recorder).unwrap_err();
        assert!(e.to_string().contains("step 3"), "{e}");
        assert_eq!(recorder.0, [(1, 9.0, 1.0), (2, 8.0, 2.0)]);
    }
}
