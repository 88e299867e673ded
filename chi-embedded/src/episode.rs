//! One closed-loop episode of a task the board can simulate: the loop the firmware's
//! self-test and the host's `chi run` both call, so their numbers compare exactly.

use crate::checksum::CRC32;
use crate::task::Task;

/// What one episode did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Episode<const S: usize> {
    /// Sum of the task's rewards.
    pub ret: f32,
    /// Decisions taken.
    pub steps: u32,
    /// Whether the task's termination predicate ended the episode before its time limit.
    pub terminated: bool,
    /// The last state.
    pub final_state: [f32; S],
    /// CRC-32 of every action's bits in order: two runs agree on this only if they chose
    /// the same actions bit for bit (how the host checks the board).
    pub actions_crc: u32,
}

/// Runs `task` from `task.initial_state(seed)` for at most `steps` decisions, each action
/// from `policy` (clamped into `[-1, 1]`, NaN as 0, before the plant sees it), until the task
/// terminates.
pub fn run<T, const S: usize, const A: usize>(
    task: &T,
    seed: u64,
    steps: u32,
    mut policy: impl FnMut(&[f32; S]) -> [f32; A],
) -> Episode<S>
where
    T: Task<S, A>,
{
    let mut state = task.initial_state(seed);
    let mut crc = CRC32.digest();
    let mut episode = Episode {
        ret: 0.0,
        steps: 0,
        terminated: false,
        final_state: state,
        actions_crc: 0,
    };
    while episode.steps < steps && !episode.terminated {
        let action = crate::sanitise::action(&policy(&state));
        for a in action {
            crc.update(&a.to_bits().to_le_bytes());
        }
        let next = task.transition(&state, &action);
        episode.ret += task.reward(&state, &action, &next);
        episode.terminated = task.terminated(&next);
        episode.steps += 1;
        state = next;
    }
    episode.final_state = state;
    episode.actions_crc = crc.finalize();
    episode
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envs::pendulum::PendulumTask;
    use crate::envs::point_mass::{self, Geometry, PointMassTask};

    #[test]
    fn return_actions_and_final_state_are_the_episodes() {
        let open = PointMassTask {
            geometry: Geometry::OPEN,
        };
        let diagonal = run(&open, 0, 40, |_| [1.0, 1.0]);
        assert!(!diagonal.terminated && diagonal.steps == 40);
        assert!(point_mass::distance_to_goal(&diagonal.final_state) < point_mass::GOAL_RADIUS);
        let other = run(&open, 0, 40, |_| [1.0, 0.999_999_9]);
        assert_ne!(
            diagonal.actions_crc, other.actions_crc,
            "one bit of one action changes the CRC"
        );
        let blocked = run(&PointMassTask::default(), 0, 40, |_| [1.0, 1.0]);
        assert!(blocked.ret < diagonal.ret);
    }

    #[test]
    fn seeds_change_the_start_and_the_time_limit_holds() {
        let p = PendulumTask::default();
        let a = run(&p, 1, 200, |_| [0.0]);
        let b = run(&p, 2, 200, |_| [0.0]);
        assert_eq!(a.steps, 200);
        assert_ne!(a.ret, b.ret);
        assert_eq!(a, run(&p, 1, 200, |_| [0.0]));
    }
}
