//! The `chi` binary as a user meets it: valid bundles work, bad input gets a clear error and
//! the right exit code.

use std::path::PathBuf;
use std::process::{Command, Output};

use chi_embedded::bundle::testing::{PolicyKind, point_mass_spec};

/// The board preset's widths.
const HE: usize = 32;
const HP: usize = 32;

fn chi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chi"))
        .args(args)
        .output()
        .expect("chi runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn reference_bundle(name: &str) -> PathBuf {
    write(
        name,
        point_mass_spec(HE, HP, PolicyKind::Confident)
            .encode()
            .unwrap()
            .as_bytes(),
    )
}

#[test]
fn inspect_reports_a_valid_bundle() {
    let path = reference_bundle("inspect-valid.chib");
    let o = chi(&["inspect", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("valid") && t.contains("S=2 A=2 E=2 HE=32 HP=32 H=7 K=24"),
        "{t}"
    );
    assert!(
        t.contains("task        point-mass (version 1): wall_x = 0.5, opening_centre = 0.4, opening_width = 0.1"),
        "{t}"
    );
    assert!(t.contains("firmware    builds from this bundle"), "{t}");
}

#[test]
fn missing_file_is_a_clear_error() {
    let o = chi(&["inspect", "/nonexistent/bundle.chib"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("cannot read bundle '/nonexistent/bundle.chib'"),
        "{}",
        text(&o)
    );
}

#[test]
fn corrupt_bundle_is_refused_and_the_file_left_alone() {
    let mut bytes = point_mass_spec(HE, HP, PolicyKind::Confident)
        .encode()
        .unwrap()
        .as_bytes()
        .to_vec();
    bytes[100] ^= 0x10;
    let path = write("corrupt.chib", &bytes);
    for cmd in ["inspect", "run"] {
        let o = chi(&[cmd, path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1));
        assert!(text(&o).contains("checksum mismatch"), "{}", text(&o));
    }
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "nothing was written");
}

/// The controller runs at the bundle's own sizes (its twin is built for them); a bundle of
/// a task this chi does not know is refused naming it.
#[test]
fn bundles_of_any_size_run_and_unknown_tasks_are_refused() {
    let path = write(
        "small.chib",
        point_mass_spec(8, 8, PolicyKind::Confident)
            .encode()
            .unwrap()
            .as_bytes(),
    );
    let o = chi(&["run", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("episode of point-mass"), "{}", text(&o));
    let mut foreign = point_mass_spec(8, 8, PolicyKind::Confident);
    foreign.header.task = chi_embedded::task::TaskRecord::new("dc-motor", 1, &[]).unwrap();
    let path = write("foreign.chib", foreign.encode().unwrap().as_bytes());
    let o = chi(&["run", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("no task called 'dc-motor'"),
        "{}",
        text(&o)
    );
    let o = chi(&["inspect", path.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(
        text(&o).contains("needs a binary of your own naming the task type"),
        "{}",
        text(&o)
    );
}

#[test]
fn tasks_lists_every_task_with_sizes_and_period() {
    let o = chi(&["tasks"]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    for line in [
        "point-mass         S=2   A=2  period 0.010 s",
        "pendulum           S=3   A=1  period 0.050 s",
        "cartpole-swingup   S=5   A=1  period 0.040 s",
    ] {
        assert!(t.contains(line), "{line}\n{t}");
    }
    let o = chi(&["train", "--env", "pendulm"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("no task called 'pendulm'"),
        "{}",
        text(&o)
    );
}

#[test]
fn wrong_flag_and_bad_geometry_are_refused() {
    let path = reference_bundle("flags.chib");
    let o = chi(&["run", path.to_str().unwrap(), "--horizon", "9"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("--horizon"), "{}", text(&o));
    let o = chi(&["run", path.to_str().unwrap(), "--param", "wall_x=1.5"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("wall_x"), "{}", text(&o));
    let o = chi(&["train", "--terminal-value", "maybe"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("--terminal-value"), "{}", text(&o));
    let o = chi(&["train", "--habit", "0.5,3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("AGREE,TRUST,CHECK"), "{}", text(&o));
}

#[test]
fn run_controls_the_point_mass() {
    let path = reference_bundle("run.chib");
    let open = chi(&[
        "run",
        path.to_str().unwrap(),
        "--param",
        "opening_width=1",
        "--param",
        "opening_centre=0.5",
    ]);
    assert!(open.status.success(), "{}", text(&open));
    assert!(
        text(&open).contains("reached goal: at step"),
        "{}",
        text(&open)
    );
    // This hand-built policy knows nothing of the wall and runs into it.
    let walled = chi(&["run", path.to_str().unwrap()]);
    assert!(
        text(&walled).contains("reached goal: no"),
        "{}",
        text(&walled)
    );
}

/// Two `chi hil --qemu` side by side (a sweep's board checks): each builds its own image and
/// reads its own cycle counts. With one image and one cycle file for every process, the
/// second build replaced the file the first run's cycle model was writing, and the first
/// run failed ("the cycle model lost decisions"). Needs QEMU and the firmware's target.
#[test]
fn hil_runs_side_by_side_keep_to_their_own_firmware() {
    let bundles = [PolicyKind::Confident, PolicyKind::Uncertain].map(|kind| {
        write(
            &format!("side-by-side-{kind:?}.chib"),
            point_mass_spec(HE, HP, kind).encode().unwrap().as_bytes(),
        )
    });
    // Enough episodes that the first run is still going when the second's build ends.
    let runs: Vec<_> = bundles
        .iter()
        .map(|b| {
            Command::new(env!("CARGO_BIN_EXE_chi"))
                .args(["hil", b.to_str().unwrap(), "--qemu", "--episodes", "5"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("chi runs")
        })
        .collect();
    for run in runs {
        let o = run.wait_with_output().expect("chi ends");
        let t = text(&o);
        assert!(o.status.success(), "{t}");
        assert_eq!(
            t.matches("every action equals the host twin's, bit for bit")
                .count(),
            5,
            "{t}"
        );
    }
}
