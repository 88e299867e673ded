//! The motor end to end, as a user with a plant of their own does it, through chi's public
//! API and nothing else: train CHI a few episodes, export the int8 bundle, build chi's
//! firmware for it (this crate's `firmware/` binary names the task), run the board's
//! closed-loop self-test in QEMU, and check that every action equals the host's.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use chi_embedded::budget::Unlimited;
use chi_embedded::bundle::Bundle;
use chi_embedded::controller::BundleController;
use chi_embedded::episode;
use chi_embedded::task::Task;
use chi_host::config::{AgentKind, Preset};
use chi_host::firmware::{qemu, selftest};
use chi_host::train::Run;
use chi_host::world::World;
use dc_motor::DcMotor;
use dc_motor::host::Motor;

/// The board's sizes of the preset: 2 members of 3 x 32, policy 32, H = 7, K = 24.
type MotorBundle<'a> = Bundle<'a, 2, 1, 3, 2, 32, 32, 7, 24>;
type MotorController<'a> = BundleController<'a, DcMotor, 2, 1, 3, 2, 32, 32, 7, 24>;

fn work() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e/dc-motor");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_task_of_ones_own_trains_exports_and_runs_on_the_board_bit_for_bit() {
    let dir = work();
    // Train: chi's trainer on the motor, short and small.
    let mut config = Motor::preset(Preset::Board);
    config.episodes = 3;
    config.sac.critic_hidden = 32;
    config.sac.batch = 32;
    config.ensemble.epochs = 2;
    config.updates_per_step = 1;
    let mut run =
        Run::<2, 1, Motor>::open(AgentKind::Chi, 1, config, &dir.join("chi-seed1")).unwrap();
    for _ in 0..3 {
        let m = run.episode().unwrap();
        assert!(m.ret.is_finite(), "{m:?}");
    }

    // Export: the bundle records the motor and its parameters.
    let mut spec = run.spec(24).unwrap();
    spec.header.controller.planner.iterations = 1;
    spec.header.controller.early_exit_sigma = 0.0;
    let bytes = spec.quantised().encode().unwrap();
    let bundle_path = dir.join("bundle-int8.chib");
    std::fs::write(&bundle_path, bytes.as_bytes()).unwrap();
    let bundle = MotorBundle::parse(bytes.as_bytes()).unwrap();
    assert_eq!(bundle.header.task.name(), "dc-motor");
    let task: DcMotor = bundle.task().unwrap();
    assert_eq!(task, DcMotor::default());

    // The firmware for it, in QEMU: its own closed loop.
    let firmware = Path::new(env!("CARGO_MANIFEST_DIR")).join("firmware");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--quiet", "--release"])
        .current_dir(&firmware)
        .env("CHI_BUNDLE", &bundle_path)
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let elf = firmware.join("target/thumbv7em-none-eabihf/release/dc-motor-firmware");
    let board = qemu::run(&elf, qemu::Clock::Wall, Duration::from_secs(120)).unwrap();
    assert_eq!(board.code, Some(0), "{:?}", board.log);
    let got: episode::Episode<2> = selftest::parse(&board.log).unwrap();

    // The same episode on the host, with chi-embedded's controller of the same sizes.
    let mut chi = MotorController::from_bundle(&bundle, task, bundle.header.seed);
    let mut planned = 0;
    let want = episode::run(&task, 0, DcMotor::EPISODE_STEPS, |s| {
        let d = chi.act(s, &mut Unlimited);
        planned += u32::from(d.refinement.iterations > 0);
        d.action
    });
    assert_eq!(
        planned,
        DcMotor::EPISODE_STEPS,
        "the planner runs on every step"
    );
    assert_eq!(got.steps, want.steps);
    assert_eq!(
        got.actions_crc, want.actions_crc,
        "board {:?}\nhost {want:?}",
        board.log
    );
    assert_eq!(got.ret.to_bits(), want.ret.to_bits());
    assert_eq!(
        got.final_state.map(f32::to_bits),
        want.final_state.map(f32::to_bits)
    );
}

#[test]
fn the_motor_turns_to_the_set_point_under_a_pd_law() {
    // The plant is a plant: a hand-tuned PD law brings it from 2 rad to rest near 0.
    let task = DcMotor::default();
    let mut s = [2.0f32, 0.0];
    for _ in 0..100 {
        let a = (-(1.5 * s[0] + 0.1 * s[1])).clamp(-1.0, 1.0);
        s = task.transition(&s, &[a]);
    }
    assert!(s[0].abs() < 0.05 && s[1].abs() < 0.5, "{s:?}");
}
