//! The paper's point mass (Appendix D.1), wrapping chi-embedded's so the board's self-test
//! and the host simulate the same physics.

use chi_embedded::envs::point_mass::{Geometry, PointMass};

use crate::env::{Env, Step};

/// Default episode length: the shortest path through the default opening is about 30 steps
/// of 0.05; twice that leaves room to search.
pub const EPISODE_STEPS: u32 = 60;

/// The point mass with a time limit. Never terminates: the return keeps counting how close
/// the mass stays to the goal.
#[derive(Clone, Debug)]
pub struct PointMassEnv {
    inner: PointMass,
    max_steps: u32,
    t: u32,
}

impl PointMassEnv {
    /// A point mass with `geometry` and episodes of `max_steps`.
    pub fn new(geometry: Geometry, max_steps: u32) -> Self {
        Self {
            inner: PointMass::new(geometry),
            max_steps,
            t: 0,
        }
    }

    /// The wall.
    pub fn geometry(&self) -> Geometry {
        self.inner.geometry
    }
}

impl Env<2, 2> for PointMassEnv {
    /// The start is fixed at (0, 0) (the paper's); the seed has nothing to vary.
    fn reset(&mut self, _seed: u64) -> [f32; 2] {
        self.t = 0;
        self.inner.reset()
    }

    fn step(&mut self, action: &[f32; 2]) -> Step<2> {
        let t = self.inner.step(action);
        self.t += 1;
        Step {
            obs: t.state,
            reward: t.reward,
            terminated: false,
            truncated: self.t >= self.max_steps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_at_the_time_limit_and_resets() {
        let mut env = PointMassEnv::new(Geometry::default(), 3);
        assert_eq!(env.reset(0), [0.0, 0.0]);
        assert!(!env.step(&[1.0, 0.0]).truncated);
        assert!(!env.step(&[1.0, 0.0]).truncated);
        let last = env.step(&[1.0, 0.0]);
        assert!(last.truncated && !last.terminated);
        assert!((last.obs[0] - 0.15).abs() < 1e-6);
        assert_eq!(env.reset(1), [0.0, 0.0]);
    }
}
