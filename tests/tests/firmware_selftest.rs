//! The firmware in QEMU acts exactly as the host says it should: for the same bundle and
//! seed, the board's closed-loop episode of a task it simulates equals chi-embedded's on the
//! host bit for bit (every action, through a CRC of their bits, the return and the final
//! state), for the point mass and the classic-control tasks. The firmware's sizes come from
//! each bundle. A corrupt bundle makes the firmware refuse to act; a bundle the chip cannot
//! hold, or of a task the firmware does not know, is refused when the firmware is built.

use chi_e2e::{Job, build_on, build_with, run, tmp};
use chi_embedded::bundle::owned::BundleSpec;
use chi_embedded::bundle::testing::{
    PolicyKind, point_mass_spec, random_spec, random_task_spec, with_distance_value,
};
use chi_embedded::bundle::{Bundle, Dims, Precision};
use chi_embedded::controller::BundleController;
use chi_embedded::envs::cartpole::CartPoleTask;
use chi_embedded::envs::pendulum::PendulumTask;
use chi_embedded::envs::point_mass::{GOAL_RADIUS, Geometry, PointMassTask, distance_to_goal};
use chi_embedded::episode::{self, Episode};
use chi_embedded::nn::Activation;
use chi_embedded::planner::Propagation;
use chi_embedded::task::Task;
use chi_host::firmware::machine::Machine;
use chi_host::firmware::{build, led, qemu, selftest};

/// The board preset's point-mass sizes.
const E: usize = 2;
const HE: usize = 32;
const HP: usize = 32;
const H: usize = 7;
const K: usize = chi_embedded::bundle::testing::POINT_MASS_SAMPLES;

/// Builds the self-test firmware with `bytes`, runs it in QEMU, and returns its report.
fn board(name: &str, bytes: &[u8]) -> qemu::Run {
    run(&build_with(name, bytes, Job::Selftest))
}

/// The host's episode of `spec` at sizes `IN = S + A`, `E`, `HE`, `HP`, `H`, `K`: the
/// controller the board runs, compiled for x86, through the episode loop the board runs.
fn host<
    T: Task<S, A>,
    const S: usize,
    const A: usize,
    const IN: usize,
    const E: usize,
    const HE: usize,
    const HP: usize,
    const H: usize,
    const K: usize,
>(
    spec: &BundleSpec,
) -> (Episode<S>, u32) {
    let bytes = spec.encode().unwrap();
    let bundle = Bundle::<S, A, IN, E, HE, HP, H, K>::parse(bytes.as_bytes()).unwrap();
    let task: T = bundle.task().unwrap();
    let mut chi = BundleController::<T, S, A, IN, E, HE, HP, H, K>::from_bundle(
        &bundle,
        task,
        bundle.header.seed,
    );
    let mut iterations = 0;
    let e = episode::run(&task, 0, T::EPISODE_STEPS, |s| {
        let d = chi.act(s, &mut chi_embedded::budget::Unlimited);
        iterations += d.refinement.iterations;
        d.action
    });
    (e, iterations)
}

fn point_mass_host(spec: &BundleSpec) -> (Episode<2>, u32) {
    host::<PointMassTask, 2, 2, 4, E, HE, HP, H, K>(spec)
}

fn reference_dims() -> Dims {
    Dims {
        state: 2,
        action: 2,
        members: E as u32,
        ensemble_hidden: HE as u32,
        policy_hidden: HP as u32,
        horizon: H as u32,
        samples: K as u32,
    }
}

/// The board's episode equals the host's bit for bit.
fn assert_same<const S: usize>(name: &str, want: &Episode<S>, run: &qemu::Run) {
    assert_eq!(run.code, Some(0), "{name}: firmware failed:\n{:?}", run.log);
    let got: Episode<S> = selftest::parse(&run.log).unwrap();
    assert_eq!(got.steps, want.steps, "{name}");
    assert_eq!(
        got.actions_crc, want.actions_crc,
        "{name}: the board chose other actions than the host\nboard: {:?}\nhost: {want:?}",
        run.log
    );
    assert_eq!(
        got.ret.to_bits(),
        want.ret.to_bits(),
        "{name}: return {} vs {}",
        got.ret,
        want.ret
    );
    assert_eq!(
        got.final_state.map(f32::to_bits),
        want.final_state.map(f32::to_bits),
        "{name}"
    );
}

/// Point-mass bundles chosen so that every part of the controller runs on the board: early
/// exit and planning, f32 and int8, all three activations (libm's expf and tanhf), both
/// propagations, with and without the value network past the horizon.
fn cases() -> Vec<(&'static str, BundleSpec)> {
    let confident = point_mass_spec(HE, HP, PolicyKind::Confident);
    let uncertain = point_mass_spec(HE, HP, PolicyKind::Uncertain);
    let mut uncertain = with_distance_value(uncertain, 1.0, 0.93).quantised();
    uncertain.header.seed = 11;
    let wrong = point_mass_spec(HE, HP, PolicyKind::Wrong);
    let mut wrong = with_distance_value(wrong, 2.0, 0.93);
    wrong.header.controller.early_exit_sigma = 0.0;
    wrong.header.seed = 3;
    let mut random = random_spec(reference_dims(), Precision::I8, 5);
    random.header.ensemble_activation = Activation::Silu;
    random.header.policy_activation = Activation::Tanh;
    random.header.controller.planner.propagation = Propagation::OnePerSample;
    random.header.controller.early_exit_sigma = 0.0;
    vec![
        ("confident-f32", confident),
        ("uncertain-i8-value", uncertain),
        ("wrong-f32-value", wrong),
        ("random-i8-silu-tanh", random),
    ]
}

#[test]
fn board_selftest_equals_host_bit_for_bit() {
    let mut planned = 0;
    for (name, spec) in cases() {
        let (want, iterations) = point_mass_host(&spec);
        assert_same(name, &want, &board(name, spec.encode().unwrap().as_bytes()));
        planned += u32::from(iterations > 0);
    }
    assert!(
        planned >= 3,
        "the planner must run on the board in most cases, ran in {planned}"
    );
}

/// A stack overflow faults instead of corrupting memory: flip-link (the firmware's linker)
/// puts the stack below the statics, so a recursion without end runs off the bottom of RAM
/// and the core locks up at once, with QEMU saying so; under the default layout the stack
/// grows into the statics and the firmware, watching a word there, exits with failure.
#[test]
fn a_stack_overflow_faults_before_it_reaches_the_statics() {
    let spec = point_mass_spec(HE, HP, PolicyKind::Confident);
    let elf = build_with("overflow", spec.encode().unwrap().as_bytes(), Job::Overflow);
    let r = run(&elf);
    assert_eq!(r.code, None, "QEMU must stop on the fault, not exit: {r:?}");
    assert!(r.qemu.contains("Lockup"), "QEMU said: {}", r.qemu);
}

/// The same firmware source on the STM32F405 (Cortex-M4F), a Cortex-M7 (QEMU's mps2-an500)
/// and a Cortex-M33 (mps2-an505, built for ARMv8-M): each chip's episode equals the host's
/// bit for bit, with the int8 DSP kernels (SXTB16, SMLAD) and the f32 ones (VLDM, VMLA),
/// and the status LED lit once for each decision.
#[test]
fn three_chips_run_the_selftest_bit_for_bit() {
    let cases = cases();
    for machine in [
        Machine::Netduinoplus2,
        Machine::Mps2An500,
        Machine::Mps2An505,
    ] {
        for (name, spec) in cases.iter().filter(|(n, _)| n.contains("value")) {
            let (want, iterations) = point_mass_host(spec);
            assert!(iterations > 0, "{name}: the planner runs");
            let elf = build_on(
                machine,
                name,
                spec.encode().unwrap().as_bytes(),
                Job::Selftest,
            );
            // Under -icount, so the ticks count instructions the same way on every run.
            let r = qemu::run(&elf, qemu::Clock::Instructions, chi_e2e::TIMEOUT).unwrap();
            assert_same(&format!("{name} on {machine}"), &want, &r);
            assert_eq!(
                led::pulses(machine, &r.qemu),
                led::Pulses {
                    lit: want.steps as usize,
                    lit_at_end: false
                },
                "{name} on {machine}: the status LED lights once a decision"
            );
            let ticks = selftest::ticks(&r.log).unwrap();
            eprintln!(
                "{name} on {machine}: {:.0} instructions a step",
                machine.instructions(ticks) / f64::from(want.steps.max(1))
            );
        }
    }
}

/// Other tasks, other sizes, from one firmware source: the pendulum (three states, one
/// action, 200 steps; f32, every sample through every member) and the cart-pole swing-up
/// (five states; int8, one member a sample), random networks so the planner runs every step.
#[test]
fn board_selftest_runs_the_classic_control_tasks_bit_for_bit() {
    let mut pendulum = random_task_spec(
        &PendulumTask::default(),
        (2, 16, 16, 7, 16),
        Precision::F32,
        4,
    );
    pendulum.header.controller.early_exit_sigma = 0.0;
    pendulum.header.controller.planner.iterations = 1;
    let (want, iterations) = host::<PendulumTask, 3, 1, 4, 2, 16, 16, 7, 16>(&pendulum);
    assert_eq!((want.steps, iterations), (200, 200));
    assert_same(
        "pendulum-f32",
        &want,
        &board("pendulum-f32", pendulum.encode().unwrap().as_bytes()),
    );

    let mut cartpole = random_task_spec(&CartPoleTask, (3, 24, 16, 7, 24), Precision::I8, 6);
    cartpole.header.controller.early_exit_sigma = 0.0;
    cartpole.header.controller.planner.iterations = 1;
    cartpole.header.controller.planner.propagation = Propagation::OnePerSample;
    let (want, _) = host::<CartPoleTask, 5, 1, 6, 3, 24, 16, 7, 24>(&cartpole);
    assert_eq!(want.steps, 150);
    assert_same(
        "cartpole-i8",
        &want,
        &board("cartpole-i8", cartpole.encode().unwrap().as_bytes()),
    );
}

#[test]
fn corrupt_bundle_is_refused_by_the_board() {
    let mut bytes = point_mass_spec(HE, HP, PolicyKind::Confident)
        .encode()
        .unwrap()
        .as_bytes()
        .to_vec();
    bytes[200] ^= 0x04;
    let run = board("corrupt", &bytes);
    assert_eq!(run.code, Some(1), "{:?}", run.log);
    assert!(
        run.log
            .iter()
            .any(|l| l.starts_with("chi: bundle refused: checksum mismatch")),
        "{:?}",
        run.log
    );
    assert!(
        !run.log.iter().any(|l| l.contains("selftest")),
        "it must not act: {:?}",
        run.log
    );
}

/// The build refuses what the chip cannot hold, with the numbers, and a task the firmware
/// does not know, naming it.
#[test]
fn bundles_the_firmware_cannot_take_are_refused_at_build_time() {
    let build_err = |name: &str, spec: &BundleSpec| {
        let path = tmp(&format!("{name}.chib"));
        std::fs::write(&path, spec.encode().unwrap().as_bytes()).unwrap();
        let elf = tmp(&format!("{name}.elf"));
        format!(
            "{:#}",
            build::build(&path, build::Job::Selftest, &elf).unwrap_err()
        )
    };
    // 2 048 samples of 7 steps: 2 048 x (7 x 2 + 1 + 2 x 2 + 2) x 4 bytes of planner scratch.
    let mut huge = point_mass_spec(8, 8, PolicyKind::Uncertain);
    huge.header.dims.samples = 2048;
    let err = build_err("too-many-samples", &huge);
    assert!(
        err.contains("does not fit the chip's RAM")
            && err.contains("K = 2048")
            && err.contains("128 KB available"),
        "{err}"
    );
    // The hil job (real time) refuses a bundle whose amortised phase alone outlasts the
    // point mass's 10 ms: 128-wide int8 networks, about 2.5 M cycles at 168 MHz.
    let wide = point_mass_spec(128, 128, PolicyKind::Uncertain).quantised();
    let path = tmp("too-slow.chib");
    std::fs::write(&path, wide.encode().unwrap().as_bytes()).unwrap();
    let cost = chi_embedded::cost::StepCost::of(&wide.header);
    assert!(cost.amortise > 1.68e6, "{cost:?}");
    let err = format!(
        "{:#}",
        build::build(&path, build::Job::Hil, &tmp("too-slow.elf")).unwrap_err()
    );
    assert!(
        err.contains("amortised phase alone does not fit the task's control period"),
        "{err}"
    );
    let mut foreign = point_mass_spec(8, 8, PolicyKind::Uncertain);
    foreign.header.task = chi_embedded::task::TaskRecord::new("dc-motor", 1, &[]).unwrap();
    let err = build_err("foreign-task", &foreign);
    assert!(
        err.contains("'dc-motor' is not built into chi-embedded"),
        "{err}"
    );
}

/// The board's own closed loop reaches the goal: a converged (hand-built) policy in an
/// arena without the wall, simulated and judged on the board.
#[test]
fn board_selftest_reaches_the_goal() {
    let mut spec = point_mass_spec(HE, HP, PolicyKind::Confident);
    spec.header.task = PointMassTask {
        geometry: Geometry::OPEN,
    }
    .record();
    let run = board("confident-open", spec.encode().unwrap().as_bytes());
    let (want, _) = point_mass_host(&spec);
    assert_same("confident-open", &want, &run);
    assert!(
        distance_to_goal(&want.final_state) < GOAL_RADIUS,
        "the board ends at the goal: {:?}",
        want.final_state
    );
}
