//! Every task chi trains on, one file each, and the one place that turns a task's name (from
//! the command line, a run's `run.toml` or a bundle) into the code for it: [`dispatch`].
//!
//! Adding a task is a chi-embedded file (its [`chi_embedded::task::Task`]), a file here (its
//! [`World`]) and one line in `registry!` below.

pub mod cartpole;
#[cfg(feature = "mujoco")]
pub mod half_cheetah;
pub mod pendulum;
pub mod point_mass;

use anyhow::{Result, bail};

use crate::world::World;

/// Code generic over a task: [`dispatch`] calls [`Visitor::visit`] with the task's sizes
/// and [`World`].
pub trait Visitor {
    /// What the visit gives.
    type Out;
    /// Runs for task `W` with `S` observations and `A` actions.
    fn visit<const S: usize, const A: usize, W: World<S, A>>(self) -> Self::Out;
}

/// Tasks that need a cargo feature this build lacks, with the feature.
const NEEDS_FEATURE: &[(&str, &str)] = &[("half-cheetah", "mujoco")];

macro_rules! registry {
    ($($(#[$cfg:meta])* ($world:ty, $s:expr, $a:expr)),* $(,)?) => {
        /// Runs `visitor` for the task called `name`.
        pub fn dispatch<V: Visitor>(name: &str, visitor: V) -> Result<V::Out> {
            use chi_embedded::task::Task;
            $(
                $(#[$cfg])*
                if name == <<$world as World<{ $s }, { $a }>>::Task as Task<{ $s }, { $a }>>::NAME {
                    return Ok(visitor.visit::<{ $s }, { $a }, $world>());
                }
            )*
            if let Some((_, feature)) = NEEDS_FEATURE.iter().find(|(n, _)| *n == name) {
                bail!(
                    "task {name} needs chi built with the `{feature}` feature (`cargo xtask setup`, then `--features chi-host/{feature}`)"
                );
            }
            bail!("no task called '{name}' (chi tasks lists them: {})", names().join(", "))
        }

        /// The names of the tasks this build can run.
        pub fn names() -> Vec<&'static str> {
            use chi_embedded::task::Task;
            let mut names = Vec::new();
            $(
                $(#[$cfg])*
                names.push(<<$world as World<{ $s }, { $a }>>::Task as Task<{ $s }, { $a }>>::NAME);
            )*
            names
        }
    };
}

registry! {
    (point_mass::PointMass, 2, 2),
    #[cfg(feature = "mujoco")]
    (half_cheetah::HalfCheetah, crate::envs::half_cheetah::OBS, crate::envs::half_cheetah::ACT),
    (pendulum::Pendulum, 3, 1),
    (cartpole::CartPole, 5, 1),
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sizes;
    impl Visitor for Sizes {
        type Out = (usize, usize);
        fn visit<const S: usize, const A: usize, W: World<S, A>>(self) -> (usize, usize) {
            (S, A)
        }
    }

    #[test]
    fn every_name_dispatches_to_its_sizes_and_unknown_names_are_refused() {
        assert_eq!(dispatch("pendulum", Sizes).unwrap(), (3, 1));
        assert_eq!(dispatch("point-mass", Sizes).unwrap(), (2, 2));
        for name in names() {
            let (s, a) = dispatch(name, Sizes).unwrap();
            let builtin = chi_embedded::envs::builtin(name).unwrap();
            assert_eq!((s, a), (builtin.state, builtin.action), "{name}");
        }
        let err = dispatch("pendulm", Sizes).unwrap_err().to_string();
        assert!(
            err.contains("no task called 'pendulm'") && err.contains("pendulum"),
            "{err}"
        );
    }
}
