//! The firmware serving actions over its USART in QEMU: the host runs the task, the board
//! acts, and every action equals the host twin's (chi-embedded on the host) bit for bit. Broken frames
//! get error replies and never cost the next valid frame; a NaN state gets a finite action.

use std::time::Duration;

use chi_e2e::{Job, build_on, build_paced_with, build_with, twin_with};
use chi_embedded::bundle::owned::BundleSpec;
use chi_embedded::bundle::testing::{PolicyKind, point_mass_spec};
use chi_embedded::envs::point_mass::PointMassTask;
use chi_embedded::habit::HabitConfig;
use chi_embedded::link::{self, ErrorKind, MAX_FRAME, Request, Response, Values};
use chi_host::envs::simulated::Simulated;
use chi_host::firmware::client::Client;
use chi_host::firmware::cycles::{Plugin, span};
use chi_host::firmware::flood::flood;
use chi_host::firmware::hil::{HilReport, episode};
use chi_host::firmware::led;
use chi_host::firmware::machine::Machine;
use chi_host::firmware::qemu::{Clock, Serving};
use chi_host::firmware::twin::Twin;

/// The board preset's widths.
const HE: usize = 32;
const HP: usize = 32;

fn serve(name: &str, bytes: &[u8]) -> (Serving, Client) {
    serve_paced(name, bytes, None)
}

fn serve_paced(name: &str, bytes: &[u8], deadline: Option<u64>) -> (Serving, Client) {
    let elf = match deadline {
        None => build_with(name, bytes, Job::Hil),
        Some(_) => build_paced_with(name, bytes, Job::Hil, deadline),
    };
    start(&elf, Clock::Instructions)
}

/// QEMU running `elf` on `clock`, and a client on its serial port.
fn start(elf: &std::path::Path, clock: Clock<'_>) -> (Serving, Client) {
    let serving = Serving::start(elf, clock, Duration::from_secs(30)).unwrap();
    let client = Client::new(
        serving.stream.try_clone().unwrap(),
        serving.stream.try_clone().unwrap(),
    );
    (serving, client)
}

/// A point-mass episode of `steps` from seed 4, the board's every action checked against the
/// twin's.
fn point_mass_episode(client: &mut Client, twin: &mut Twin, bytes: &[u8], steps: u32) -> HilReport {
    let mut env = Simulated::new(PointMassTask::default(), steps);
    let report = episode(client, Some((&mut twin.client, bytes)), bytes, &mut env, 4).unwrap();
    assert_eq!(report.steps, steps);
    assert_eq!(
        report.mismatches, 0,
        "first difference (step, board, host): {:?}",
        report.first_mismatch
    );
    report
}

/// The uncertain point-mass policy in int8 (the planner runs on every step), its run's seed
/// `seed`.
fn uncertain_int8(seed: u64) -> BundleSpec {
    let mut spec = point_mass_spec(HE, HP, PolicyKind::Uncertain).quantised();
    spec.header.seed = seed;
    spec
}

fn frame(request: &Request) -> Vec<u8> {
    let (mut scratch, mut out) = ([0u8; MAX_FRAME], [0u8; MAX_FRAME + 4]);
    link::encode(request, &mut scratch, &mut out)
        .unwrap()
        .to_vec()
}

fn act(seq: u32, state: &[f32]) -> Request {
    Request::Act {
        seq,
        state: Values::from_slice(state).unwrap(),
    }
}

#[test]
fn board_over_usart_acts_as_the_host_and_survives_bad_frames() {
    // An uncertain int8 policy, so the planner runs on every step.
    let spec = uncertain_int8(21);
    let bytes = spec.encode().unwrap();
    let (serving, mut client) = serve("hil-uncertain-i8", bytes.as_bytes());
    let mut twin = twin_with("hil-uncertain-i8", bytes.as_bytes());

    // (a) A whole episode, every action compared with the host twin's.
    let report = point_mass_episode(&mut client, &mut twin, bytes.as_bytes(), 60);
    assert!(
        report.iterations.iter().all(|i| *i > 0),
        "the planner must run"
    );
    assert!(
        report.ticks.iter().all(|t| *t > 0),
        "the board times each decision"
    );

    // (c) Broken frames: each gets an error reply, and the next valid request is answered.
    let valid = frame(&act(1000, &[0.2, 0.3]));
    let mut truncated = valid[..valid.len() / 2].to_vec();
    truncated.push(0);
    let mut corrupt = valid.clone();
    corrupt[4] = corrupt[4].wrapping_add(1).max(1);
    let mut oversized = vec![0x41; 3 * MAX_FRAME];
    oversized.push(0);
    let random: Vec<u8> = (0u32..97)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 1)
        .chain([0])
        .collect();
    let cases = [
        ("truncated", truncated),
        ("corrupt", corrupt),
        ("oversized", oversized),
        ("random", random),
    ];
    for (i, (name, bad)) in cases.into_iter().enumerate() {
        client.send_raw(&bad).unwrap();
        let reply = client.receive(Duration::from_secs(10)).unwrap();
        assert!(
            matches!(reply, Response::Error { seq: None, .. }),
            "{name}: {reply:?}"
        );
        // A bad frame is the host's fault, not the line's: the UART counted nothing.
        assert!(client.hello(Duration::from_secs(10)).unwrap().serial.none());
        if name == "oversized" {
            assert_eq!(
                reply,
                Response::Error {
                    seq: None,
                    kind: ErrorKind::Oversized
                }
            );
        }
        let seq = 2000 + i as u32;
        client.send_raw(&frame(&act(seq, &[0.2, 0.3]))).unwrap();
        match client.receive(Duration::from_secs(10)).unwrap() {
            Response::Action(a) => assert_eq!(a.seq, seq, "{name}"),
            other => panic!("{name}: the next valid frame got {other:?}"),
        }
    }

    // A state of the wrong length is refused by name.
    client
        .send_raw(&frame(&act(3000, &[0.1, 0.2, 0.3])))
        .unwrap();
    assert_eq!(
        client.receive(Duration::from_secs(10)).unwrap(),
        Response::Error {
            seq: Some(3000),
            kind: ErrorKind::StateLength {
                expected: 2,
                got: 3
            }
        }
    );

    // (d) NaN and infinite states get a finite action, flagged as cleaned.
    let reply = client.act(&[f32::NAN, f32::NEG_INFINITY]).unwrap();
    assert!(reply.action.iter().all(|a| a.is_finite() && a.abs() <= 1.0));
    assert!(reply.state_sanitised);

    let run = serving.stop().unwrap();
    assert!(
        run.log.iter().any(|l| l.starts_with("chi: hil serving")),
        "{:?}",
        run.log
    );
}

/// The hil firmware on each chip: the STM32F405, a Cortex-M7 (QEMU's mps2-an500) and a
/// Cortex-M33 (mps2-an505), their UARTs (the HAL's USART, the CMSDK UART; interrupt-driven
/// reception both) behind the same `embedded_io` traits: a whole episode, every action equal
/// to the host twin's, and the status LED lit once for each decision.
#[test]
fn three_chips_serve_actions_as_the_host() {
    let spec = uncertain_int8(21);
    let bytes = spec.encode().unwrap();
    let mut twin = twin_with("hil-chips-i8", bytes.as_bytes());
    for machine in [
        Machine::Netduinoplus2,
        Machine::Mps2An500,
        Machine::Mps2An505,
    ] {
        let elf = build_on(machine, "hil-chips-i8", bytes.as_bytes(), Job::Hil);
        let (serving, mut client) = start(&elf, Clock::Instructions);
        let report = point_mass_episode(&mut client, &mut twin, bytes.as_bytes(), 30);
        // The receive interrupt filled the ring: nothing lost or garbled.
        let serial = client.hello(Duration::from_secs(10)).unwrap().serial;
        assert!(serial.none(), "{machine}: {serial:?}");
        let mean = report.ticks.iter().map(|t| f64::from(*t)).sum::<f64>() / 30.0;
        eprintln!(
            "{machine}: {:.0} instructions a step",
            machine.instructions(mean.round() as u64)
        );
        let run = serving.stop().unwrap();
        assert_eq!(
            led::pulses(machine, &run.qemu),
            led::Pulses {
                lit: 30,
                lit_at_end: false
            },
            "{machine}: the status LED lights once a decision"
        );
    }
}

/// Hostile frames of every kind among valid requests, split and glued as they come: every
/// frame is answered exactly as the host twin answers it, in order, valid requests included.
#[test]
fn a_flood_of_hostile_frames_loses_no_valid_request() {
    let mut spec = point_mass_spec(HE, HP, PolicyKind::Uncertain).quantised();
    spec.header.seed = 23;
    let bytes = spec.encode().unwrap();
    let (_serving, mut client) = serve("hil-flood-i8", bytes.as_bytes());
    let mut twin = twin_with("hil-flood-i8", bytes.as_bytes());
    for c in [&mut client, &mut twin.client] {
        c.hello(Duration::from_secs(20)).unwrap();
        c.reset(5).unwrap();
    }
    let report = flood(&mut client, &mut twin.client, 2, 3000, 32, 5, |_| {}).unwrap();
    assert_eq!(report.hostile_total(), 3000);
    assert_eq!(report.hostile.len(), 7, "every kind: {:?}", report.hostile);
    assert!(report.valid >= 60, "{report:?}");
    for kind in ["Oversized", "Framing", "Checksum", "Malformed"] {
        assert!(
            report.errors.contains_key(kind),
            "{kind}: {:?}",
            report.errors
        );
    }
    assert!(
        report.errors.keys().any(|k| k.starts_with("StateLength")),
        "{:?}",
        report.errors
    );
}

#[test]
fn a_board_with_other_weights_is_refused_by_the_host() {
    let spec = point_mass_spec(HE, HP, PolicyKind::Confident);
    let bytes = spec.encode().unwrap();
    let (_serving, mut client) = serve("hil-confident-f32", bytes.as_bytes());
    let mut other = spec.clone();
    other.header.seed += 1;
    let other = other.encode().unwrap();
    let mut env = Simulated::new(PointMassTask::default(), 5);
    let err = episode(&mut client, None, other.as_bytes(), &mut env, 0).unwrap_err();
    assert!(err.to_string().contains("the board runs bundle"), "{err:#}");
}

/// Requests sent back to back, before the board has answered the first (a host that
/// pipelines its states): every one is answered, in order, each action the host twin's for
/// the same state.
#[test]
fn pipelined_requests_are_answered_in_order() {
    let spec = uncertain_int8(5);
    let bytes = spec.encode().unwrap();
    let (_serving, mut client) = serve("hil-pipelined-i8", bytes.as_bytes());
    let mut twin = twin_with("hil-pipelined-i8", bytes.as_bytes());
    client.hello(Duration::from_secs(20)).unwrap();
    client.reset(3).unwrap();
    twin.client.reset(3).unwrap();
    let states: Vec<[f32; 2]> = (0..6).map(|i| [0.1 * i as f32, 0.3]).collect();
    let mut burst = Vec::new();
    for (i, s) in states.iter().enumerate() {
        burst.extend(frame(&act(500 + i as u32, s)));
    }
    client.send_raw(&burst).unwrap();
    for (i, s) in states.iter().enumerate() {
        let reply = client.receive(Duration::from_secs(30)).unwrap();
        let Response::Action(got) = reply else {
            panic!("request {i}: {reply:?}")
        };
        assert_eq!(got.seq, 500 + i as u32, "answered in order");
        let want = twin.client.act(s).unwrap();
        assert_eq!(
            got.action.iter().map(|a| a.to_bits()).collect::<Vec<_>>(),
            want.action.iter().map(|a| a.to_bits()).collect::<Vec<_>>(),
            "request {i}"
        );
    }
    // Every byte of the burst went through the receive ring: none lost or garbled.
    let serial = client.hello(Duration::from_secs(20)).unwrap().serial;
    assert!(serial.none(), "{serial:?}");
}

/// A deadline shorter than a full plan (four Eq. 4 iterations of the uncertain point-mass
/// bundle, about 1.5 M ticks in QEMU): every step returns within it, some stop planning
/// early, and each action is the host's with the iterations the board completed, bit for
/// bit (the last complete refit's).
#[test]
fn a_deadline_shorter_than_a_plan_holds_and_returns_the_last_complete_refit() {
    const DEADLINE: u64 = 600_000;
    let spec = uncertain_int8(21);
    let declared = spec.header.controller.planner.iterations;
    let bytes = spec.encode().unwrap();
    let (_serving, mut client) = serve_paced("hil-paced-i8", bytes.as_bytes(), Some(DEADLINE));
    let mut twin = twin_with("hil-paced-i8", bytes.as_bytes());
    let report = point_mass_episode(&mut client, &mut twin, bytes.as_bytes(), 30);
    let worst = report.ticks.iter().copied().max().unwrap_or(u32::MAX);
    assert!(
        u64::from(worst) <= DEADLINE,
        "worst step {worst} ticks against a deadline of {DEADLINE}"
    );
    assert!(
        report.iterations.iter().all(|i| u32::from(*i) < declared),
        "every step cut short of {declared} iterations: {:?}",
        report.iterations
    );
    assert!(
        report.iterations.iter().any(|i| *i > 0),
        "the deadline leaves room for some planning: {:?}",
        report.iterations
    );
}

/// The habitual exit on the board: a confident policy the planner agrees with (int8, the
/// paper's exit off) hands over to the policy after two agreeing planned steps and plans
/// every third step to check; the board keeps the same record as the twin, so every action
/// and every skipped step are the twin's. Under the cycle model, read while QEMU runs: one
/// costed decision a step, and a skipped step costs a fraction of a planned one.
#[test]
fn the_habitual_exit_skips_planning_on_the_board_as_on_the_host() {
    let mut spec = point_mass_spec(HE, HP, PolicyKind::Confident).quantised();
    spec.header.seed = 5;
    spec.header.controller.early_exit_sigma = 0.0;
    spec.header.controller.habit = HabitConfig {
        agree_sigmas: 1.0,
        trust_after: 2,
        check_every: 3,
    };
    let bytes = spec.encode().unwrap();
    let elf = build_with("hil-habit-i8", bytes.as_bytes(), Job::Hil);
    let plugin = Plugin::new(&elf, elf.with_extension("cycles")).unwrap();
    let _ = std::fs::remove_file(&plugin.out);
    let (_serving, mut client) = start(&elf, Clock::Modelled(&plugin));
    let mut twin = twin_with("hil-habit-i8", bytes.as_bytes());
    let report = point_mass_episode(&mut client, &mut twin, bytes.as_bytes(), 30);
    let skipped = report.iterations.iter().filter(|i| **i == 0).count();
    assert!(
        (15..=20).contains(&skipped),
        "about two steps in three skip once trusted: {:?}",
        report.iterations
    );
    assert!(
        report.iterations[..2].iter().all(|i| *i > 0),
        "the first two steps plan: {:?}",
        report.iterations
    );

    let marks = plugin.read().unwrap();
    let decisions = marks.span(span::ACT);
    assert_eq!(decisions.len(), 30, "one costed decision a step");
    let mean = |planned: bool| {
        let c: Vec<f64> = decisions
            .iter()
            .zip(&report.iterations)
            .filter(|(_, i)| (**i > 0) == planned)
            .map(|(c, _)| c.cycles as f64)
            .collect();
        c.iter().sum::<f64>() / c.len() as f64
    };
    let (planned, habitual) = (mean(true), mean(false));
    println!("modelled cycles: planned step {planned:.0}, habitual step {habitual:.0}");
    assert!(
        habitual < 0.5 * planned,
        "a skipped step costs {habitual:.0} cycles against {planned:.0} planned"
    );
}

/// Half-Cheetah: MuJoCo on the host, the board's controller at the cheetah sizes (int8,
/// random weights, so the planner runs every step) for a whole 100-step episode, every
/// action equal to the host's, within the 0.2 s control period at 168 MHz.
#[cfg(feature = "mujoco")]
#[test]
fn half_cheetah_episode_over_usart_acts_as_the_host() {
    use chi_embedded::bundle::Precision;
    use chi_embedded::bundle::testing::half_cheetah_spec;
    use chi_host::envs::half_cheetah::{EPISODE_STEPS, HalfCheetah, default_model};

    let bytes = half_cheetah_spec(Precision::I8, 8).encode().unwrap();
    let (_serving, mut client) = serve("hil-cheetah-i8", bytes.as_bytes());
    let mut twin = twin_with("hil-cheetah-i8", bytes.as_bytes());
    let mut env = HalfCheetah::new(&default_model()).unwrap();
    let reference = Some((&mut twin.client, bytes.as_bytes()));
    let report = episode(&mut client, reference, bytes.as_bytes(), &mut env, 2).unwrap();
    assert_eq!(report.steps, EPISODE_STEPS);
    assert_eq!(
        report.mismatches, 0,
        "first difference (step, board, host): {:?}",
        report.first_mismatch
    );
    assert!(report.ret.is_finite());
    assert!(
        report.iterations.iter().all(|i| *i == 1),
        "one Eq. 4 iteration a step"
    );
    let worst = report.ticks.iter().copied().max().unwrap_or(u32::MAX);
    // Instructions under -icount: 0.2 s at 168 MHz is 33.6 M.
    let instructions = chi_host::firmware::instructions(u64::from(worst));
    assert!(
        instructions < 33.6e6,
        "worst step {instructions} instructions"
    );
}

/// gymnasium's Hopper-v5 and Reacher-v5 (MuJoCo on the host) against the board's controller
/// at sizes that fit the STM32F405 within each task's control period (8 ms and 20 ms at
/// 168 MHz, by the cost model; int8, random weights, so the planner runs every step): whole
/// episodes, the hopper's ending when it falls, every action equal to the host's.
#[cfg(feature = "mujoco")]
#[test]
fn hopper_and_reacher_episodes_over_usart_act_as_the_host() {
    use chi_embedded::bundle::Precision;
    use chi_embedded::bundle::testing::random_task_spec;
    use chi_embedded::cost::{StepCost, period_cycles};
    use chi_embedded::envs::{hopper::HopperTask, reacher::ReacherTask};
    use chi_embedded::planner::{Propagation, Weighting};
    use chi_embedded::task::Task;
    use chi_host::env::Env;
    use chi_host::envs::mujoco::{hopper::Hopper, reacher::Reacher};

    fn check<const S: usize, const A: usize, T: Task<S, A>>(
        name: &str,
        sizes: (u32, u32, u32, u32, u32),
        temperature: f32,
        env: &mut impl Env<S, A>,
        ends_early: bool,
    ) {
        let mut spec = random_task_spec(&T::default(), sizes, Precision::F32, 31);
        spec.header.controller.planner.iterations = 1;
        spec.header.controller.planner.propagation = Propagation::OnePerSample;
        spec.header.controller.planner.weighting = Weighting::Eq4 { temperature };
        spec.header.controller.early_exit_sigma = 0.0;
        let spec = spec.quantised();
        let cycles = StepCost::of(&spec.header).with_iterations(1);
        let period = period_cycles(T::CONTROL_PERIOD);
        eprintln!("{name}: {cycles:.0} cycles a step estimated, {period:.0} in the period");
        assert!(cycles < period, "{name}: {cycles} cycles against {period}");
        let bytes = spec.encode().unwrap();
        let (_serving, mut client) = serve(name, bytes.as_bytes());
        let mut twin = twin_with(name, bytes.as_bytes());
        let reference = Some((&mut twin.client, bytes.as_bytes()));
        let report = episode(&mut client, reference, bytes.as_bytes(), env, 3).unwrap();
        assert_eq!(
            report.mismatches, 0,
            "{name}: first difference (step, board, host): {:?}",
            report.first_mismatch
        );
        assert!(report.ret.is_finite());
        assert_eq!(
            report.terminated, ends_early,
            "{name}: {} steps",
            report.steps
        );
        if !ends_early {
            assert_eq!(report.steps, T::EPISODE_STEPS);
        }
        assert!(
            report.iterations.iter().all(|i| *i == 1),
            "{name}: the planner ran"
        );
    }

    check::<11, 3, HopperTask>(
        "hil-hopper-i8",
        (2, 32, 32, 7, 8),
        1.0,
        &mut Hopper::open().unwrap(),
        true,
    );
    check::<10, 2, ReacherTask>(
        "hil-reacher-i8",
        (2, 32, 32, 7, 32),
        0.05,
        &mut Reacher::open().unwrap(),
        false,
    );
}
