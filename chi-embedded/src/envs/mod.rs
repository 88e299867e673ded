//! The tasks chi-embedded knows, one file each: the reward the planner optimises and, where
//! the board can simulate the plant, its dynamics. [`BUILTIN`] lists them for tools that pick
//! a task by the name a bundle records (the firmware's build script, `chi tasks`).
//!
//! A task of one's own needs no line here: implement [`crate::task::Task`] in any crate.

pub mod cartpole;
pub mod half_cheetah;
pub mod hopper;
pub mod inverted_pendulum;
mod locomotion;
pub mod pendulum;
pub mod point_mass;
pub mod reacher;
pub mod walker2d;

use crate::task::Task;

/// A built-in task, as tools that dispatch on a bundle's task name see it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Builtin {
    /// [`Task::NAME`].
    pub name: &'static str,
    /// The task type's path, for generated code.
    pub type_path: &'static str,
    /// State values.
    pub state: usize,
    /// Actions.
    pub action: usize,
    /// [`Task::SIMULATED`]: the board can run it with no host.
    pub simulated: bool,
    /// [`Task::CONTROL_PERIOD`], seconds.
    pub control_period: f32,
    /// [`Task::EPISODE_STEPS`].
    pub episode_steps: u32,
    /// [`Task::SUMMARY`].
    pub summary: &'static str,
    /// [`Task::PARAM_NAMES`].
    pub param_names: &'static [&'static str],
}

impl Builtin {
    /// The entry of `T`.
    pub const fn of<T: Task<S, A>, const S: usize, const A: usize>(
        type_path: &'static str,
    ) -> Self {
        Self {
            name: T::NAME,
            type_path,
            state: S,
            action: A,
            simulated: T::SIMULATED,
            control_period: T::CONTROL_PERIOD,
            episode_steps: T::EPISODE_STEPS,
            summary: T::SUMMARY,
            param_names: T::PARAM_NAMES,
        }
    }
}

/// One line a task: module, type, state and action sizes.
macro_rules! registry {
    ($(($module:ident :: $ty:ident, $s:expr, $a:expr)),* $(,)?) => {
        /// Every task built into chi-embedded.
        pub const BUILTIN: &[Builtin] = &[$(
            Builtin::of::<$module::$ty, { $s }, { $a }>(
                concat!("chi_embedded::envs::", stringify!($module), "::", stringify!($ty)),
            )
        ),*];
    };
}

registry! {
    (point_mass::PointMassTask, 2, 2),
    (half_cheetah::HalfCheetahTask, half_cheetah::OBS, half_cheetah::ACT),
    (pendulum::PendulumTask, 3, 1),
    (cartpole::CartPoleTask, 5, 1),
    (hopper::HopperTask, hopper::OBS, hopper::ACT),
    (walker2d::Walker2dTask, walker2d::OBS, walker2d::ACT),
    (reacher::ReacherTask, reacher::OBS, reacher::ACT),
    (inverted_pendulum::InvertedPendulumTask, inverted_pendulum::OBS, inverted_pendulum::ACT),
}

/// The built-in task called `name`.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTIN.iter().find(|b| b.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::TaskRecord;

    #[test]
    fn names_are_unique_and_valid_records() {
        for (i, b) in BUILTIN.iter().enumerate() {
            assert!(TaskRecord::new(b.name, 1, &[]).is_ok(), "{}", b.name);
            assert!(BUILTIN[..i].iter().all(|o| o.name != b.name), "{}", b.name);
            assert!(b.control_period > 0.0 && b.episode_steps > 0);
        }
        // Every task names each of its default parameters.
        fn names<T: Task<S, A>, const S: usize, const A: usize>() -> (usize, usize) {
            (T::PARAM_NAMES.len(), T::default().params().as_slice().len())
        }
        let counts = [
            names::<point_mass::PointMassTask, 2, 2>(),
            names::<half_cheetah::HalfCheetahTask, { half_cheetah::OBS }, { half_cheetah::ACT }>(),
            names::<pendulum::PendulumTask, 3, 1>(),
            names::<cartpole::CartPoleTask, 5, 1>(),
            names::<hopper::HopperTask, { hopper::OBS }, { hopper::ACT }>(),
            names::<walker2d::Walker2dTask, { walker2d::OBS }, { walker2d::ACT }>(),
            names::<reacher::ReacherTask, { reacher::OBS }, { reacher::ACT }>(),
            names::<
                inverted_pendulum::InvertedPendulumTask,
                { inverted_pendulum::OBS },
                { inverted_pendulum::ACT },
            >(),
        ];
        assert_eq!(counts.len(), BUILTIN.len());
        for (named, defaults) in counts {
            assert_eq!(named, defaults);
        }
        assert_eq!(
            builtin("pendulum").map(|b| (b.state, b.action)),
            Some((3, 1))
        );
        assert!(builtin("no-such-task").is_none());
    }
}
