//! SAC's behaviour (it learns what it should) and its hand-written gradients against
//! candle's autograd.

use super::*;
use crate::mlp::testing::assert_same_learning;
use crate::replay::ReplayBuffer;
use chi_embedded::bundle::owned::OwnedLayer;

/// Small, quick SAC settings for the one-step bandits below.
fn bandit_config() -> SacConfig {
    SacConfig {
        critic_hidden: 64,
        actor_hidden: 32,
        batch: 128,
        alpha: 0.01,
        learning_rate: 1e-3,
        ..Default::default()
    }
}

/// `W x + b` through an exported layer, by hand.
fn dense(l: &chi_embedded::bundle::owned::OwnedLayer, x: &[f32]) -> Vec<f32> {
    let w = l.dequantised();
    (0..l.rows)
        .map(|r| l.bias[r] + (0..l.cols).map(|c| w[r * l.cols + c] * x[c]).sum::<f32>())
        .collect()
}

/// A terminal transition is not bootstrapped past; a time-limit one is. One state that
/// leads back to itself with reward 1: stored as terminal its value is the reward, 1;
/// stored as not terminal it grows towards 1 / (1 - gamma) = 10.
#[test]
fn terminal_transitions_do_not_bootstrap() {
    let q_after = |terminal: bool| {
        let config = SacConfig {
            gamma: 0.9,
            alpha: 0.0,
            tau: 0.05,
            ..bandit_config()
        };
        let mut sac = Sac::new(config, 1, 1, 0).unwrap();
        let mut rng = ChiRng::new(2);
        let mut buffer = ReplayBuffer::new(1, 1, 1000);
        for _ in 0..500 {
            let a = rng.symmetric_uniform();
            buffer.push(&[0.5], &[a], 1.0, &[0.5], terminal);
        }
        for _ in 0..400 {
            let batch = buffer.sample(config.batch, &mut rng);
            sac.update(&batch, &mut rng).unwrap();
        }
        sac.critics[0].infer(&[0.5, 0.0], 1)[0]
    };
    let (terminal, bootstrapped) = (q_after(true), q_after(false));
    assert!((terminal - 1.0).abs() < 0.2, "terminal Q {terminal}");
    assert!(bootstrapped > 3.0, "bootstrapped Q {bootstrapped}");
}

/// A one-step bandit: reward -(a - 0.5)^2 for a in [-1, 1], every step terminal. SAC's
/// mean action must move to 0.5.
#[test]
fn learns_a_one_step_bandit() {
    let (sac, mut rng) = trained_on_bandit(bandit_config());
    let a = sac.act(&[0.0], true, &mut rng).unwrap()[0];
    assert!((a - 0.5).abs() < 0.15, "mode {a}");
}

/// SAC after 1500 updates on a one-step bandit whose best action is 0.5 (reward
/// `-4 (a - 0.5)^2` for uniform actions), and the random stream after them.
fn trained_on_bandit(config: SacConfig) -> (Sac, ChiRng) {
    let mut sac = Sac::new(config, 1, 1, 0).unwrap();
    let mut rng = ChiRng::new(1);
    let mut buffer = ReplayBuffer::new(1, 1, 10_000);
    for _ in 0..2000 {
        let a = rng.symmetric_uniform();
        buffer.push(&[0.0], &[a], -(a - 0.5) * (a - 0.5) * 4.0, &[0.0], true);
    }
    for _ in 0..1500 {
        let batch = buffer.sample(config.batch, &mut rng);
        sac.update(&batch, &mut rng).unwrap();
    }
    (sac, rng)
}

/// With the temperature tuned to a low target entropy the policy narrows where the bandit
/// has one best action: its std ends well below the fixed temperature's, at the same mode.
/// The paper's fixed alpha (0.2 here, where the bandit's rewards span 9) keeps it wide.
#[test]
fn tuned_temperature_narrows_the_policy() {
    let std_after = |target_entropy: Option<f64>| {
        let (sac, mut rng) = trained_on_bandit(SacConfig {
            alpha: 0.2,
            target_entropy,
            ..bandit_config()
        });
        let mode = sac.act(&[0.0], true, &mut rng).unwrap()[0];
        let out = sac.actor.infer(&[0.0], 1);
        let (_, log_std, _) = sac.split_actor_output(&out);
        (mode, log_std[0].exp(), sac.temperature.alpha())
    };
    let (fixed_mode, fixed_std, fixed_alpha) = std_after(None);
    let (tuned_mode, tuned_std, tuned_alpha) = std_after(Some(-3.0));
    assert_eq!(fixed_alpha, 0.2);
    assert!(tuned_alpha < 0.1, "alpha {tuned_alpha}");
    assert!(
        tuned_std < 0.7 * fixed_std,
        "std {tuned_std} tuned against {fixed_std} fixed"
    );
    assert!((fixed_mode - 0.5).abs() < 0.15, "mode {fixed_mode}");
    assert!((tuned_mode - 0.5).abs() < 0.15, "mode {tuned_mode}");
}

/// The value network follows the critics at the mode: on a one-step bandit whose
/// best action depends on the state, `V(s)` comes to match `min Q(s, mode(s))`; and
/// adding it leaves the actor's and critics' learning untouched.
#[test]
fn value_network_learns_the_critics_value_at_the_mode() {
    let config = bandit_config();
    let mut rng = ChiRng::new(1);
    let mut buffer = ReplayBuffer::new(1, 1, 10_000);
    for _ in 0..2000 {
        let (s, a) = (rng.symmetric_uniform(), rng.symmetric_uniform());
        buffer.push(
            &[s],
            &[a],
            1.0 + s - (a - 0.5 * s).powi(2) * 4.0,
            &[0.0],
            true,
        );
    }
    let train = |with_value: bool| {
        let mut sac = Sac::new(config, 1, 1, 0).unwrap();
        if with_value {
            sac.add_value(0).unwrap();
        }
        let mut rng = ChiRng::new(2);
        for _ in 0..1500 {
            let batch = buffer.sample(config.batch, &mut rng);
            sac.update(&batch, &mut rng).unwrap();
        }
        sac
    };
    let (plain, valued) = (train(false), train(true));
    assert_eq!(
        plain.owned_policy().unwrap(),
        valued.owned_policy().unwrap()
    );
    assert!(plain.owned_value().unwrap().is_none());
    let layers = valued.owned_value().unwrap().unwrap();
    let relu = |v: Vec<f32>| -> Vec<f32> { v.into_iter().map(|x| x.max(0.0)).collect() };
    for s in [-0.8f32, -0.3, 0.0, 0.4, 0.9] {
        let v = dense(
            &layers[2],
            &relu(dense(&layers[1], &relu(dense(&layers[0], &[s])))),
        )[0];
        let q = valued.mode_values(&[s], 1)[0];
        assert!((v - q).abs() < 0.1, "s {s}: V {v} against min Q {q}");
        // And both know the state matters: the best reward is 1 + s.
        assert!((q - (1.0 + s)).abs() < 0.25, "s {s}: min Q {q}");
    }
}

#[test]
fn exported_policy_matches_the_actor() {
    let sac = Sac::new(
        SacConfig {
            actor_hidden: 16,
            critic_hidden: 16,
            ..Default::default()
        },
        2,
        2,
        3,
    )
    .unwrap();
    let layers = sac.owned_policy().unwrap();
    assert_eq!((layers[0].rows, layers[0].cols), (16, 2));
    assert_eq!((layers[2].rows, layers[3].rows), (2, 2));
    let mode = sac.act(&[0.3, 0.7], true, &mut ChiRng::new(0)).unwrap();
    // Forward by hand through the exported layers.
    let h: Vec<f32> = dense(&layers[0], &[0.3, 0.7])
        .into_iter()
        .map(|v| v.max(0.0))
        .collect();
    let h: Vec<f32> = dense(&layers[1], &h)
        .into_iter()
        .map(|v| v.max(0.0))
        .collect();
    let m = dense(&layers[2], &h);
    for (a, m) in mode.iter().zip(m) {
        assert!((a - m.tanh()).abs() < 1e-5);
    }
}

/// Random transitions of `s` states and `a` actions, some terminal.
fn random_buffer(s: usize, a: usize, n: usize, rng: &mut ChiRng) -> ReplayBuffer {
    let mut b = ReplayBuffer::new(s, a, n);
    for i in 0..n {
        let obs: Vec<f32> = (0..s).map(|_| rng.normal()).collect();
        let act: Vec<f32> = (0..a).map(|_| 0.99 * rng.symmetric_uniform()).collect();
        let next: Vec<f32> = obs.iter().map(|x| x + 0.3 * rng.normal()).collect();
        b.push(&obs, &act, rng.normal(), &next, i % 7 == 0);
    }
    b
}

/// Five updates of the hand-written SAC and of candle's autograd from the same weights, on
/// the same batches with the same noise, at the shapes chi trains (the point mass with a
/// value network; Half-Cheetah's 17 / 6) and with a log-std bound that clips: the same
/// losses and the same weights.
#[test]
fn updates_match_candles_autograd() {
    for (s, a, critic, actor, value, bounds) in [
        (
            2,
            2,
            64,
            32,
            true,
            LogStdBounds {
                min: -5.0,
                max: 2.0,
            },
        ),
        (
            17,
            6,
            48,
            40,
            false,
            LogStdBounds {
                min: -5.0,
                max: 2.0,
            },
        ),
        (
            3,
            1,
            32,
            32,
            true,
            LogStdBounds {
                min: -0.2,
                max: 0.1,
            },
        ),
    ] {
        let config = SacConfig {
            critic_hidden: critic,
            actor_hidden: actor,
            batch: 64,
            log_std_bounds: bounds,
            learning_rate: 1e-3,
            ..SacConfig::default()
        };
        let mut fast = Sac::new(config, s, a, 4).unwrap();
        let mut slow = reference::Sac::new(config, s, a, 4).unwrap();
        if value {
            fast.add_value(4).unwrap();
            slow.add_value(4).unwrap();
        }
        assert_eq!(fast.owned_policy().unwrap(), slow.owned_policy().unwrap());
        let mut rng = ChiRng::new(9);
        let data = random_buffer(s, a, 500, &mut rng);
        let steps = 5;
        for step in 0..steps {
            let batch = data.sample(config.batch, &mut rng);
            let (mut r1, mut r2) = (ChiRng::new(step.into()), ChiRng::new(step.into()));
            let lf = fast.update(&batch, &mut r1).unwrap();
            let ls = slow.update(&batch, &mut r2).unwrap();
            assert!(
                (lf.critic - ls.critic).abs() < 1e-4 * ls.critic.abs().max(1.0)
                    && (lf.actor - ls.actor).abs() < 1e-4 * ls.actor.abs().max(1.0),
                "{s}/{a} step {step}: losses {lf:?} against candle's {ls:?}"
            );
        }
        let lr = config.learning_rate as f32;
        let name = format!("{s}/{a}");
        assert_same_learning(
            &format!("{name} actor"),
            &fast.owned_policy().unwrap(),
            &slow.owned_policy().unwrap(),
            lr,
            steps,
        );
        let critics: Vec<OwnedLayer> = fast
            .critics
            .iter()
            .chain(&fast.targets)
            .flat_map(|n| n.layers.iter().map(mlp::Layer::owned))
            .collect();
        assert_same_learning(
            &format!("{name} critics and targets"),
            &critics,
            &slow.owned_critics().unwrap(),
            lr,
            steps,
        );
        if value {
            assert_same_learning(
                &format!("{name} value"),
                &fast.owned_value().unwrap().unwrap(),
                &slow.owned_value().unwrap().unwrap(),
                lr,
                steps * VALUE_STEPS as u32,
            );
        }
    }
}

/// A checkpoint restores the agent exactly: the next update after saving and loading is
/// the same bit for bit as without.
#[test]
fn saved_agent_resumes_bit_for_bit() {
    let config = SacConfig {
        critic_hidden: 16,
        actor_hidden: 8,
        batch: 32,
        target_entropy: Some(-1.0),
        ..SacConfig::default()
    };
    let mut rng = ChiRng::new(1);
    let data = random_buffer(2, 1, 200, &mut rng);
    let mut sac = Sac::new(config, 2, 1, 0).unwrap();
    sac.add_value(0).unwrap();
    for _ in 0..3 {
        sac.update(&data.sample(32, &mut rng), &mut rng).unwrap();
    }
    let dir = std::env::temp_dir().join(format!("chi-sac-save-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    sac.save(&dir).unwrap();
    let mut back = Sac::new(config, 2, 1, 99).unwrap();
    back.add_value(99).unwrap();
    back.load(&dir).unwrap();
    let batch = data.sample(32, &mut rng);
    let (a, b) = (
        sac.update(&batch, &mut ChiRng::new(5)).unwrap(),
        back.update(&batch, &mut ChiRng::new(5)).unwrap(),
    );
    assert_eq!(a, b);
    assert_eq!(sac.owned_policy().unwrap(), back.owned_policy().unwrap());
    assert_eq!(sac.owned_value().unwrap(), back.owned_value().unwrap());
    // Another shape is refused, naming the tensor.
    let mut wide = Sac::new(
        SacConfig {
            critic_hidden: 17,
            ..config
        },
        2,
        1,
        0,
    )
    .unwrap();
    let err = wide.load(&dir).unwrap_err().to_string();
    assert!(err.contains("q1.l0.weight"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Updates at sizes where the twin critics, the actor's two passes and the optimiser steps
/// run side by side are the same bit for bit on one thread and on two (the value network
/// included), so a run's result does not depend on the machine's cores.
#[test]
fn updates_are_the_same_on_one_thread_and_on_two() {
    let config = SacConfig {
        critic_hidden: 256,
        actor_hidden: 32,
        batch: 64,
        ..SacConfig::default()
    };
    let updated = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut rng = ChiRng::new(4);
            let data = random_buffer(3, 2, 500, &mut rng);
            let mut sac = Sac::new(config, 3, 2, 0).unwrap();
            sac.add_value(0).unwrap();
            assert_eq!(sac.side_by_side(config.batch), threads > 1);
            let losses: Vec<SacLosses> = (0..3)
                .map(|_| sac.update(&data.sample(64, &mut rng), &mut rng).unwrap())
                .collect();
            (sac, losses)
        })
    };
    let ((one, l1), (two, l2)) = (updated(1), updated(2));
    assert_eq!(l1, l2);
    assert_eq!(one.actor.layers, two.actor.layers);
    assert_eq!(one.critics, two.critics);
    assert_eq!(one.targets, two.targets);
    assert_eq!(one.owned_value().unwrap(), two.owned_value().unwrap());
    assert_eq!(one.actor_opt, two.actor_opt);
    assert_eq!(one.critic_opt, two.critic_opt);
}
