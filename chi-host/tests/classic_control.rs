//! chi's classic-control tasks against their reference implementations: gymnasium 1.4.0's
//! Pendulum-v1 and its cart-pole equations with dm_control's swing-up reward, recorded by
//! `data/gymnasium_classic_control.py` into `data/classic_control.csv` (gymnasium computes in
//! f64, chi in the board's f32, so values agree to a few parts in 10^5 over the recorded
//! steps, not bit for bit).

use chi_embedded::envs::cartpole::CartPoleTask;
use chi_embedded::envs::pendulum::PendulumTask;
use chi_embedded::task::Task;

struct Row {
    task: String,
    case: u32,
    step: u32,
    action: f32,
    obs: Vec<f32>,
    reward: f32,
}

fn rows() -> Vec<Row> {
    let text = include_str!("data/classic_control.csv");
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let num = |s: &str| s.parse::<f64>().unwrap() as f32;
            Row {
                task: f[0].to_string(),
                case: f[1].parse().unwrap(),
                step: f[2].parse().unwrap(),
                action: num(f[3]),
                obs: f[4..f.len() - 1].iter().map(|s| num(s)).collect(),
                reward: num(f[f.len() - 1]),
            }
        })
        .collect()
}

fn close(a: f32, b: f32, tol: f32) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

/// Replays every recorded case of `T`: from the recorded start, chi's transition and reward
/// of each recorded action against gymnasium's.
fn replay<T: Task<S, 1>, const S: usize>(task: T, tol: f32) -> usize {
    let rows: Vec<Row> = rows().into_iter().filter(|r| r.task == T::NAME).collect();
    assert!(!rows.is_empty(), "no recorded rows for {}", T::NAME);
    let mut state = [0.0f32; S];
    let mut checked = 0;
    for r in &rows {
        let want: [f32; S] = r.obs.as_slice().try_into().unwrap();
        if r.step == 0 {
            state = want;
            continue;
        }
        let next = task.transition(&state, &[r.action]);
        let reward = task.reward(&state, &[r.action], &next);
        for (got, want) in next.iter().zip(&want) {
            assert!(
                close(*got, *want, tol),
                "{} case {} step {}: {next:?} against {want:?}",
                T::NAME,
                r.case,
                r.step
            );
        }
        assert!(
            close(reward, r.reward, tol),
            "{} case {} step {}: reward {reward} against {}",
            T::NAME,
            r.case,
            r.step,
            r.reward
        );
        // Carry on from gymnasium's state, so an f32 rounding does not compound.
        state = want;
        checked += 1;
    }
    checked
}

#[test]
fn pendulum_steps_and_rewards_as_gymnasium() {
    assert_eq!(replay(PendulumTask::default(), 2e-5), 4 * 30);
}

#[test]
fn cartpole_swingup_steps_as_gymnasium_and_rewards_as_dm_control() {
    assert_eq!(replay(CartPoleTask, 2e-5), 3 * 20);
}

/// Episodes as a user runs them: the time limit, and the environment's reward is the
/// planner's.
#[test]
fn simulated_episodes_end_at_the_time_limit() {
    use chi_host::env::Env;
    use chi_host::envs::simulated::Simulated;
    let mut env = Simulated::new(PendulumTask::default(), PendulumTask::EPISODE_STEPS);
    let s0 = env.reset(3);
    assert_eq!(s0, PendulumTask::default().initial_state(3));
    let mut steps = 0;
    loop {
        let step = env.step(&[0.5]);
        steps += 1;
        assert!(step.reward <= 0.0 && !step.terminated);
        if step.truncated {
            break;
        }
    }
    assert_eq!(steps, 200);
}
