//! gymnasium's Hopper-v5: a one-legged planar hopper (`hopper.xml`, timestep 0.002 s, frame
//! skip 4: 125 decisions a second), 11 observations (`qpos[1..]`, `qvel` clipped to +-10),
//! three torques, reward forward velocity + 1 while healthy - 1e-3 ||a||^2, and the episode
//! ends when it falls: height at most 0.7, torso angle outside +-0.2, or any of `qpos[2..]`,
//! `qvel` outside +-100. 1000 steps; reset noise uniform +-0.005.

use super::locomotion::{self, Body, Walker};
use super::{MujocoEnv, Sim};

pub use chi_embedded::envs::hopper::{ACT, OBS};

/// Hopper-v5's body.
pub struct HopperBody;

/// Hopper-v5.
pub type HopperV5 = Walker<HopperBody>;

/// The environment.
pub type Hopper = MujocoEnv<HopperV5, OBS, ACT>;

impl Body for HopperBody {
    const ID: &'static str = "Hopper-v5";
    const MODEL: &'static str = "hopper.xml";
    const NQ_NV: (usize, usize) = (6, 6);

    fn healthy(sim: &Sim) -> bool {
        let state = sim.qpos().iter().skip(2).chain(sim.qvel());
        locomotion::upright(sim, (0.7, f64::INFINITY), (-0.2, 0.2))
            && state.into_iter().all(|x| -100.0 < *x && *x < 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    #[test]
    fn a_fixed_action_sequence_matches_gymnasium_to_its_fall() {
        let f = fixture::load("gymnasium_hopper.json");
        assert_eq!(
            f.terminated.last(),
            Some(&true),
            "the fixture ends in a fall"
        );
        assert_eq!(
            fixture::replay::<HopperV5, OBS, ACT>(&f, 1e-9),
            f.rewards.len()
        );
    }

    #[test]
    fn a_model_whose_actuator_has_no_control_range_is_refused() {
        let xml = std::fs::read_to_string(super::super::model_path(HopperBody::MODEL)).unwrap();
        let unlimited = xml.replacen(
            r#"<motor ctrllimited="true" ctrlrange="-1.0 1.0" gear="200.0" joint="thigh_joint"/>"#,
            r#"<motor ctrllimited="false" ctrlrange="0 0" gear="200.0" joint="thigh_joint"/>"#,
            1,
        );
        assert_ne!(
            xml, unlimited,
            "the model's thigh motor as gymnasium ships it"
        );
        let dir = std::env::temp_dir().join("chi-hopper-unlimited");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("hopper.xml");
        std::fs::write(&path, unlimited).unwrap();
        let err = Hopper::new(&path).err().expect("refused").to_string();
        assert!(err.contains("actuator 0 has no control range"), "{err}");
    }

    #[test]
    fn a_missing_model_names_the_command_that_fetches_it() {
        let err = Hopper::new(std::path::Path::new("/nonexistent/hopper.xml"))
            .err()
            .expect("refused")
            .to_string();
        assert!(
            err.contains("cargo xtask setup") && err.contains("hopper.xml"),
            "{err}"
        );
    }
}
