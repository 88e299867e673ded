//! gymnasium's Walker2d-v5: a two-legged planar walker (`walker2d_v5.xml`, both feet of
//! friction 0.9; timestep 0.002 s, frame skip 4: 125 decisions a second), 17 observations
//! (`qpos[1..]`, `qvel` clipped to +-10), six torques, reward forward velocity + 1 while
//! healthy - 1e-3 ||a||^2, and the episode ends when it falls: height outside (0.8, 2.0) or
//! torso angle outside +-1. 1000 steps; reset noise uniform +-0.005.

use super::locomotion::{self, Body, Walker};
use super::{MujocoEnv, Sim};

pub use chi_embedded::envs::walker2d::{ACT, OBS};

/// Walker2d-v5's body.
pub struct Walker2dBody;

/// Walker2d-v5.
pub type Walker2dV5 = Walker<Walker2dBody>;

/// The environment.
pub type Walker2d = MujocoEnv<Walker2dV5, OBS, ACT>;

impl Body for Walker2dBody {
    const ID: &'static str = "Walker2d-v5";
    const MODEL: &'static str = "walker2d_v5.xml";
    const NQ_NV: (usize, usize) = (9, 9);

    fn healthy(sim: &Sim) -> bool {
        locomotion::upright(sim, (0.8, 2.0), (-1.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    #[test]
    fn a_fixed_action_sequence_matches_gymnasium_to_its_fall() {
        let f = fixture::load("gymnasium_walker2d.json");
        assert_eq!(
            f.terminated.last(),
            Some(&true),
            "the fixture ends in a fall"
        );
        assert_eq!(
            fixture::replay::<Walker2dV5, OBS, ACT>(&f, 1e-9),
            f.rewards.len()
        );
    }
}
