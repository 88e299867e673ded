//! The firmware in QEMU acts exactly as the host says it should: for the same bundle and
//! seed, the board's closed-loop point-mass episode equals chi-embedded's on the host bit for
//! bit (every action, through a CRC of their bits, and the return). A corrupt bundle makes
//! the firmware refuse to act.

use chi_e2e::{Job, build_with, run};
use chi_embedded::bundle::owned::BundleSpec;
use chi_embedded::bundle::testing::{
    PolicyKind, point_mass_spec, random_spec, with_distance_value,
};
use chi_embedded::bundle::{Dims, Precision, Task};
use chi_embedded::envs::point_mass::GoalReward;
use chi_embedded::nn::Activation;
use chi_embedded::planner::Propagation;
use chi_embedded::reference::point_mass::{Bundle, Controller, E, H, HE, HP, K};
use chi_host::firmware::{qemu, selftest};

const STEPS: u32 = 60;

/// Builds the self-test firmware with `bytes`, runs it in QEMU, and returns its report.
fn board(name: &str, bytes: &[u8]) -> qemu::Run {
    run(&build_with(name, bytes, Job::Selftest))
}

fn host(spec: &BundleSpec) -> chi_host::episode::EpisodeReport {
    let bytes = spec.encode().unwrap();
    let bundle = Bundle::parse(bytes.as_bytes()).unwrap();
    let Task::PointMass(geometry) = bundle.header.task else {
        panic!("point-mass bundle")
    };
    let mut chi = Controller::from_bundle(&bundle, GoalReward, bundle.header.seed);
    chi_host::episode::run(&mut chi, geometry, STEPS)
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

/// Bundles chosen so that every part of the controller runs on the board: early exit and
/// planning, f32 and int8, all three activations (libm's expf and tanhf), both propagations,
/// with and without the value network past the horizon.
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
        let expected = host(&spec);
        let run = board(name, spec.encode().unwrap().as_bytes());
        assert_eq!(run.code, Some(0), "{name}: firmware failed:\n{:?}", run.log);
        let got = selftest::parse(&run.log).unwrap();
        let want = expected.summary;
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
        assert_eq!(got.first_success, want.first_success, "{name}");
        planned += u32::from(expected.iterations > 0);
    }
    assert!(
        planned >= 3,
        "the planner must run on the board in most cases, ran in {planned}"
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

#[test]
fn bundle_of_other_sizes_is_refused_by_the_board_naming_the_size() {
    let spec = point_mass_spec(8, 8, PolicyKind::Confident);
    let run = board("other-sizes", spec.encode().unwrap().as_bytes());
    assert_eq!(run.code, Some(1), "{:?}", run.log);
    assert!(
        run.log.iter().any(|l| l.contains("bundle was built for ensemble hidden width (HE) = 8, this controller is compiled for 32")),
        "{:?}",
        run.log
    );
}

/// (b) The board's own closed loop reaches the goal: a converged (hand-built) policy in an
/// arena without the wall, simulated and judged on the board.
#[test]
fn board_selftest_reaches_the_goal() {
    let mut spec = point_mass_spec(HE, HP, PolicyKind::Confident);
    spec.header.task = Task::PointMass(chi_embedded::envs::point_mass::Geometry::OPEN);
    let run = board("confident-open", spec.encode().unwrap().as_bytes());
    assert_eq!(run.code, Some(0), "{:?}", run.log);
    let got = selftest::parse(&run.log).unwrap();
    let step = got.first_success.expect("the board must reach the goal");
    assert!(step <= 40, "reached the goal only at step {step}");
    let want = host(&spec).summary;
    assert_eq!(got.actions_crc, want.actions_crc);
    assert_eq!(got.first_success, want.first_success);
}
