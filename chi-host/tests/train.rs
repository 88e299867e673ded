//! Training runs as a user drives them: short runs write their metrics and checkpoints, a
//! killed run resumes and ends exactly where an uninterrupted one does, and export writes
//! bundles the board's controller accepts.

use std::process::Command;

use chi_host::config::{AgentKind, Preset, TrainConfig};
use chi_host::train::PointMassRun as Run;
use chi_host::world::World;

/// The board preset's point-mass bundle.
type Bundle<'a> = chi_embedded::bundle::Bundle<'a, 2, 2, 4, 2, 32, 32, 7, 24>;

mod common;
use common::tmp;

/// Four quick episodes, one SAC update a step.
fn quick() -> TrainConfig {
    TrainConfig {
        updates_per_step: 1,
        ..common::quick(4)
    }
}

fn rows(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("metrics.csv"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn resumed_and_extended_run_ends_where_an_uninterrupted_one_does() {
    // CHI with its value network past the horizon (the board preset's), which has weights
    // and an optimiser of its own to carry across, and without (the paper's Eq. 4).
    let paper = || {
        let mut c = quick();
        c.chi.terminal_value = false;
        c
    };
    let runs = [
        (AgentKind::Chi, quick as fn() -> TrainConfig, "chi"),
        (AgentKind::Chi, paper, "chi-paper"),
        (AgentKind::Sac, quick, "sac"),
        (AgentKind::Cem, quick, "cem"),
    ];
    for (agent, quick, name) in runs {
        let straight = tmp(&format!("straight-{name}"));
        let mut run = Run::open(agent, 7, quick(), &straight).unwrap();
        for _ in 0..4 {
            run.episode().unwrap();
        }
        let resumed = tmp(&format!("resumed-{name}"));
        // Started as a 2-episode run, then extended to 4 (`chi train --episodes 4` again).
        let short = TrainConfig {
            episodes: 2,
            ..quick()
        };
        let mut first = Run::open(agent, 7, short, &resumed).unwrap();
        first.episode().unwrap();
        first.episode().unwrap();
        drop(first); // the "kill": nothing but the files survives
        let mut second = Run::open(agent, 7, quick(), &resumed).unwrap();
        assert_eq!(second.episodes_done(), 2);
        let saved = std::fs::read_to_string(resumed.join("config.toml")).unwrap();
        assert!(
            saved.contains("episodes = 4\n"),
            "config.toml not extended:\n{saved}"
        );
        second.episode().unwrap();
        second.episode().unwrap();
        // Every metric but the wall-clock seconds, and every learned weight, agree to the bit.
        let (a, b) = (rows(&straight), rows(&resumed));
        assert_eq!(a.len(), 5);
        let strip = |r: &String| r.rsplit_once(',').unwrap().0.to_string();
        assert_eq!(
            a.iter().map(strip).collect::<Vec<_>>(),
            b.iter().map(strip).collect::<Vec<_>>(),
            "{name}"
        );
        let spec = run.spec(32).unwrap();
        assert_eq!(spec, second.spec(32).unwrap(), "{name}: weights differ");
        assert_eq!(spec.value.is_some(), name == "chi", "{name}");
    }
}

#[test]
fn a_step_budget_ends_the_run_after_the_episode_that_reaches_it() {
    // 20-step episodes, a budget of 50 steps: the third episode reaches it (60 steps).
    let dir = tmp("step-budget");
    let budget = |n| TrainConfig {
        episodes: 100,
        step_budget: Some(n),
        ..quick()
    };
    let mut run = Run::open(AgentKind::Sac, 3, budget(50), &dir).unwrap();
    while !run.finished() {
        run.episode().unwrap();
    }
    assert_eq!((run.episodes_done(), run.env_steps()), (3, 60));
    drop(run);
    // A larger budget extends the run, as --episodes does; its config.toml says so.
    let mut run = Run::open(AgentKind::Sac, 3, budget(70), &dir).unwrap();
    assert!(!run.finished());
    while !run.finished() {
        run.episode().unwrap();
    }
    assert_eq!((run.episodes_done(), run.env_steps()), (4, 80));
    let saved = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(saved.contains("step_budget = 70\n"), "{saved}");
    // The episodes still cap a run with a budget; a run without one writes no budget.
    let capped = TrainConfig {
        episodes: 2,
        step_budget: Some(1000),
        ..quick()
    };
    let mut run = Run::open(AgentKind::Sac, 3, capped, &tmp("step-budget-capped")).unwrap();
    while !run.finished() {
        run.episode().unwrap();
    }
    assert_eq!(run.episodes_done(), 2);
    let plain = tmp("no-step-budget");
    Run::open(AgentKind::Sac, 3, quick(), &plain).unwrap();
    let saved = std::fs::read_to_string(plain.join("config.toml")).unwrap();
    assert!(!saved.contains("step_budget"), "{saved}");
}

#[test]
fn resume_with_other_settings_is_refused() {
    let dir = tmp("other-settings");
    let mut run = Run::open(AgentKind::Sac, 1, quick(), &dir).unwrap();
    run.episode().unwrap();
    let mut other = quick();
    other.ensemble.hidden = 64;
    // The point mass reads its wall: another wall is another run.
    let mut wall = quick();
    wall.task.insert("opening_centre".into(), 0.85);
    let mut paper = quick();
    paper.chi.terminal_value = false;
    let cases = [
        (other, "ensemble.hidden: the run has 32, now 64"),
        (wall, "task.opening_centre: the run has 0.4, now 0.85"),
        (paper, "chi.terminal_value: the run has true, now (none)"),
    ];
    for (config, names) in cases {
        let err = Run::open(AgentKind::Sac, 1, config, &dir)
            .err()
            .expect("refused");
        let err = err.to_string();
        assert!(err.contains("another configuration"), "{err}");
        assert!(err.contains(names), "{err}");
    }
}

#[test]
fn cli_trains_exports_and_the_board_controller_accepts_the_bundles() {
    let out = tmp("cli");
    let config = out.join("quick.toml");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        &config,
        "episode_steps = 20\nupdates_per_step = 1\n[sac]\nbatch = 32\ncritic_hidden = 32\n[ensemble]\nepochs = 2\n",
    )
    .unwrap();
    let chi = env!("CARGO_BIN_EXE_chi");
    let o = Command::new(chi)
        .args([
            "train",
            "--agent",
            "chi",
            "--preset",
            "board",
            "--episodes",
            "2",
            "--seeds",
            "3",
        ])
        .arg("--config")
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let run = out.join("chi-seed3");
    assert_eq!(rows(&run).len(), 3);
    // By default the board's step is fitted into nine tenths of the task's period on the
    // STM32F405 (the cost model): the board preset's K = 24 becomes fewer samples.
    let o = Command::new(chi)
        .args(["export", "--no-check", "--run"])
        .arg(&run)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = chi_host::bundle_file::read(&run.join("bundle-int8.chib")).unwrap();
    let header = chi_embedded::bundle::inspect(bytes.as_bytes()).unwrap();
    let cost = chi_embedded::cost::StepCost::of(&header)
        .with_iterations(header.controller.planner.iterations);
    assert!(cost <= 0.9 * 0.01 * 168e6, "{cost} cycles");
    assert!(header.dims.samples < 24, "{:?}", header.dims);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("exporting K ="),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // K asked for is exported as asked (the board paces the step to its period).
    let o = Command::new(chi)
        .args(["export", "--samples", "24", "--run"])
        .arg(&run)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        text.contains("int8 against f32 on the board's kernels"),
        "{text}"
    );
    for name in ["bundle-f32.chib", "bundle-int8.chib"] {
        let bytes = chi_host::bundle_file::read(&run.join(name)).unwrap();
        let bundle = Bundle::parse(bytes.as_bytes()).unwrap();
        assert_eq!(bundle.header.seed, 3);
        // The board preset plans with the value past the horizon, so the board gets it.
        assert!(bundle.value.is_some() && bundle.header.terminal_value.is_some());
    }
    assert!(text.contains("value      value head"), "{text}");
    let o = Command::new(chi)
        .args(["eval", "--episodes", "2", "--run"])
        .arg(&run)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && text.contains("noise-free episodes") && text.contains("episode 1:"),
        "{text}"
    );
    // Planners compared on the run's model: a row per agent and iteration count.
    let o = Command::new(chi)
        .args(["eval", "--episodes", "1", "--iterations", "1,2", "--run"])
        .arg(&run)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for row in [
        "chi             1",
        "cem             1",
        "chi             2",
        "cem             2",
    ] {
        assert!(text.contains(row), "no '{row}' in:\n{text}");
    }
    let figures = out.join("figures");
    let o = Command::new(chi)
        .args(["plot", "--runs"])
        .arg(&out)
        .arg("--out")
        .arg(&figures)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in ["learning_curves", "figure1_planner_share", "figure1_kl"] {
        let png = std::fs::read(figures.join(format!("{name}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name}.png is a PNG");
        let svg = std::fs::read_to_string(figures.join(format!("{name}.svg"))).unwrap();
        assert!(
            svg.contains("<svg") && svg.contains("episode"),
            "{name}.svg has axes"
        );
    }
    let o = Command::new(chi)
        .args(["plot", "--runs", "/nonexistent/runs"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read runs in '/nonexistent/runs'"));
    // A bad seed list is a usage error.
    let o = Command::new(chi)
        .args(["train", "--seeds", "5..2"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("empty seed range"));
}

/// A short CHI run on Half-Cheetah through the same trainer: one random episode, then the
/// controller (planner and policy) acts for a whole episode; metrics and checkpoint are
/// written, and the run is refused where a point-mass run is expected.
#[cfg(feature = "mujoco")]
#[test]
fn chi_trains_on_half_cheetah_and_its_run_is_not_taken_for_a_point_mass_one() {
    use chi_host::envs::half_cheetah::{ACT, EPISODE_STEPS, OBS};
    use chi_host::tasks::half_cheetah::HalfCheetah;
    use chi_host::train::Run as AnyRun;

    let dir = tmp("half-cheetah-chi");
    let mut c = HalfCheetah::preset(Preset::Paper);
    c.episodes = 2;
    c.ensemble.members = 2;
    c.ensemble.hidden = 32;
    c.ensemble.epochs = 1;
    c.sac.actor_hidden = 32;
    c.sac.critic_hidden = 32;
    c.sac.batch = 32;
    c.updates_per_step = 1;
    c.chi.planner.iterations = 1;
    let mut run = AnyRun::<OBS, ACT, HalfCheetah>::open(AgentKind::Chi, 5, c, &dir).unwrap();
    let random = run.episode().unwrap();
    let chi = run.episode().unwrap();
    assert_eq!(chi.env_steps, 2 * u64::from(EPISODE_STEPS));
    for m in [&random, &chi] {
        assert!(m.ret.is_finite() && m.model_nll.is_finite(), "{m:?}");
    }
    // The planner ran on every step of the CHI episode (the early exit needs a confident
    // policy, which two episodes do not make).
    assert!(chi.iterations > 0.5, "{chi:?}");
    assert_eq!(rows(&dir).len(), 3);
    let spec = run.spec(500).unwrap();
    assert_eq!((spec.header.dims.state, spec.header.dims.action), (17, 6));
    assert_eq!(spec.header.task.name(), "half-cheetah");
    let err = Run::reopen(&dir).err().expect("refused");
    assert!(err.to_string().contains("half-cheetah run"), "{err}");
    drop(run);
    let resumed = AnyRun::<OBS, ACT, HalfCheetah>::reopen(&dir).unwrap();
    assert_eq!(resumed.episodes_done(), 2);
}

/// A task whose episodes end when the body falls: CHI and SAC on Hopper-v5 (MuJoCo) through
/// the same trainer; an untrained hopper falls long before the 1000-step limit, so every
/// episode ends early, the planner runs, and the run's bundle records the task.
#[cfg(feature = "mujoco")]
#[test]
fn chi_and_sac_train_on_hopper_whose_episodes_end_on_a_fall() {
    use chi_embedded::envs::hopper::{ACT, OBS};
    use chi_host::tasks::hopper::Hopper;

    for agent in [AgentKind::Chi, AgentKind::Sac] {
        let mut c = Hopper::preset(Preset::Board);
        c.episodes = 3;
        c.sac.batch = 32;
        c.sac.critic_hidden = 32;
        c.ensemble.epochs = 1;
        c.updates_per_step = 1;
        c.chi.planner.iterations = 1;
        let dir = tmp(&format!("hopper-{}", agent.name()));
        let mut run = chi_host::train::Run::<OBS, ACT, Hopper>::open(agent, 4, c, &dir).unwrap();
        let mut steps = 0;
        for e in 0..3 {
            let m = run.episode().unwrap();
            let length = m.env_steps - steps;
            steps = m.env_steps;
            eprintln!("{agent:?} episode {e}: {length} steps, return {}", m.ret);
            assert!(m.ret.is_finite(), "{agent:?} episode {e}: {m:?}");
            assert!(
                (1..1000).contains(&length),
                "{agent:?} episode {e} lasted {length} steps: it should end on a fall"
            );
            if agent == AgentKind::Chi && e > 0 {
                assert!(m.iterations > 0.5, "the planner ran: {m:?}");
            }
        }
        let spec = run.spec(16).unwrap();
        assert_eq!(spec.header.task.name(), "hopper");
        assert_eq!((spec.header.dims.state, spec.header.dims.action), (11, 3));
    }
}

/// Every simulated task trains through the same trainer: CHI (planning, the value past the
/// horizon), SAC and CEM-MPC a couple of short episodes on the pendulum and the cart-pole
/// swing-up, and the run's bundle records its task.
#[test]
fn every_simulated_task_trains_each_agent() {
    use chi_host::tasks::cartpole::CartPole;
    use chi_host::tasks::pendulum::Pendulum;

    fn short<const S: usize, const A: usize, W: World<S, A>>(name: &str) {
        for agent in [AgentKind::Chi, AgentKind::Sac, AgentKind::Cem] {
            let mut c = W::preset(Preset::Board);
            c.episodes = 2;
            c.episode_steps = 16;
            c.sac.batch = 16;
            c.sac.critic_hidden = 16;
            c.ensemble.epochs = 1;
            c.updates_per_step = 1;
            c.chi.planner.iterations = 1;
            c.cem.planner.iterations = 1;
            let dir = tmp(&format!("{name}-{}", agent.name()));
            let mut run = chi_host::train::Run::<S, A, W>::open(agent, 3, c, &dir).unwrap();
            for _ in 0..2 {
                let m = run.episode().unwrap();
                assert!(
                    m.ret.is_finite() && m.env_steps > 0,
                    "{name} {agent:?}: {m:?}"
                );
            }
            assert_eq!(rows(&dir).len(), 3);
            assert_eq!(run.spec(24).unwrap().header.task.name(), name);
        }
    }
    short::<3, 1, Pendulum>("pendulum");
    short::<5, 1, CartPole>("cartpole-swingup");
}
