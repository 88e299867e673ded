//! Every task chi trains on, one file each, and the one place that turns a task's name (from
//! the command line, a run's `run.toml` or a bundle) into the code for it: [`dispatch`].
//!
//! Adding a task is a chi-embedded file (its [`chi_embedded::task::Task`]), a file here (its
//! [`World`]) and one line in `registry!` below.

pub mod cartpole;
#[cfg(feature = "mujoco")]
pub mod half_cheetah;
#[cfg(feature = "mujoco")]
pub mod hopper;
#[cfg(feature = "mujoco")]
pub mod inverted_pendulum;
pub mod pendulum;
pub mod point_mass;
#[cfg(feature = "mujoco")]
pub mod reacher;
#[cfg(feature = "mujoco")]
pub mod walker2d;

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
const NEEDS_FEATURE: &[(&str, &str)] = &[
    ("half-cheetah", "mujoco"),
    ("hopper", "mujoco"),
    ("walker2d", "mujoco"),
    ("reacher", "mujoco"),
    ("inverted-pendulum", "mujoco"),
];

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
    #[cfg(feature = "mujoco")]
    (hopper::Hopper, chi_embedded::envs::hopper::OBS, chi_embedded::envs::hopper::ACT),
    #[cfg(feature = "mujoco")]
    (walker2d::Walker2d, chi_embedded::envs::walker2d::OBS, chi_embedded::envs::walker2d::ACT),
    #[cfg(feature = "mujoco")]
    (reacher::Reacher, chi_embedded::envs::reacher::OBS, chi_embedded::envs::reacher::ACT),
    #[cfg(feature = "mujoco")]
    (
        inverted_pendulum::InvertedPendulum,
        chi_embedded::envs::inverted_pendulum::OBS,
        chi_embedded::envs::inverted_pendulum::ACT
    ),
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

/// The planner's reward and fall (chi-embedded's, from observations only) against the
/// environment's (gymnasium's, from the simulation) on the MuJoCo tasks, over episodes of
/// random actions. Where gymnasium's reward uses what the observation lacks (the walkers' x
/// displacement) the planner's stands in for it; this measures by how much.
#[cfg(all(test, feature = "mujoco"))]
mod planner_reward {
    use chi_embedded::dynamics::Reward;
    use chi_embedded::rng::ChiRng;

    use super::*;
    use crate::config::Preset;
    use crate::env::Env;

    /// Over `episodes` random episodes: the mean |planner - environment| reward a step, the
    /// mean |environment| reward, the steps, and the steps whose fall the two judged apart.
    fn gap<const S: usize, const A: usize, W: World<S, A>>(
        episodes: u64,
    ) -> (f64, f64, usize, usize) {
        let config = W::preset(Preset::Paper);
        let task = W::Task::default();
        let mut env = W::env(&task, &config).unwrap();
        let mut rng = ChiRng::new(11);
        let (mut diff, mut size, mut steps, mut disagree) = (0.0, 0.0, 0, 0);
        for seed in 0..episodes {
            let mut obs = env.reset(seed);
            for _ in 0..config.episode_steps {
                let a: [f32; A] = std::array::from_fn(|_| rng.symmetric_uniform());
                let s = env.step(&a);
                let planner = task.reward(&obs, &a, &s.obs);
                diff += f64::from((planner - s.reward).abs());
                size += f64::from(s.reward.abs());
                steps += 1;
                disagree += usize::from(task.terminated(&s.obs) != s.terminated);
                obs = s.obs;
                if s.terminated || s.truncated {
                    break;
                }
            }
        }
        (diff / steps as f64, size / steps as f64, steps, disagree)
    }

    #[test]
    fn the_planner_judges_rewards_and_falls_as_gymnasium_does() {
        use chi_embedded::envs::{hopper, inverted_pendulum, reacher, walker2d};
        let rows = [
            (
                "hopper",
                gap::<{ hopper::OBS }, { hopper::ACT }, super::hopper::Hopper>(20),
            ),
            (
                "walker2d",
                gap::<{ walker2d::OBS }, { walker2d::ACT }, super::walker2d::Walker2d>(20),
            ),
            (
                "reacher",
                gap::<{ reacher::OBS }, { reacher::ACT }, super::reacher::Reacher>(20),
            ),
            (
                "inverted-pendulum",
                gap::<
                    { inverted_pendulum::OBS },
                    { inverted_pendulum::ACT },
                    super::inverted_pendulum::InvertedPendulum,
                >(20),
            ),
        ];
        for (name, (diff, size, steps, disagree)) in rows {
            eprintln!(
                "{name}: {steps} steps, mean |planner - gymnasium| {diff:.5} a step against mean |reward| {size:.4}; falls judged apart {disagree}"
            );
            assert_eq!(disagree, 0, "{name}: the planner's fall is gymnasium's");
            // Reacher and the pendulum read their reward off the observation exactly (to f32
            // rounding); the walkers' forward velocity is the end-of-step velocity, not the
            // step's mean.
            let bound = if name == "hopper" || name == "walker2d" {
                0.5 * size
            } else {
                1e-5
            };
            assert!(diff <= bound, "{name}: {diff} against {size}");
        }
    }
}
