//! The `chi` binary as a user meets it: valid bundles work, bad input gets a clear error and
//! the right exit code.

use std::path::PathBuf;
use std::process::{Command, Output};

use chi_embedded::bundle::testing::{PolicyKind, point_mass_spec};
use chi_embedded::reference::point_mass::{HE, HP};

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
        t.contains("runs on the reference point-mass controller: yes"),
        "{t}"
    );
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

#[test]
fn bundle_of_other_sizes_is_refused_naming_the_size() {
    let path = write(
        "small.chib",
        point_mass_spec(8, 8, PolicyKind::Confident)
            .encode()
            .unwrap()
            .as_bytes(),
    );
    let o = chi(&["run", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("bundle was built for ensemble hidden width (HE) = 8, this controller is compiled for 32"),
        "{}",
        text(&o)
    );
    // inspect still describes it, and says why it cannot run here.
    let o = chi(&["inspect", path.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(
        text(&o).contains("runs on the reference point-mass controller: no"),
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
    let o = chi(&["run", path.to_str().unwrap(), "--wall-x", "1.5"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("wall_x"), "{}", text(&o));
    let o = chi(&["train", "--terminal-value", "maybe"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("--terminal-value"), "{}", text(&o));
}

#[test]
fn run_controls_the_point_mass() {
    let path = reference_bundle("run.chib");
    let open = chi(&["run", path.to_str().unwrap(), "--open"]);
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
