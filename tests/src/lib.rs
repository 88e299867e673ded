//! Support for the end-to-end tests: a place for each test's files, building plus running
//! the firmware for a bundle, and the board's twin on the host (chi-host's `firmware` module does the work, as for
//! `chi hil` and `chi bench`). The tests themselves are in `tests/`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chi_host::firmware::machine::Machine;
use chi_host::firmware::{build, qemu, twin};

pub use build::Job;

/// How long one QEMU run may take (a 60-step episode takes a few seconds).
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// A file of this test run, under `target/e2e`.
pub fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e");
    let _ = std::fs::create_dir_all(&dir);
    dir.join(name)
}

/// Writes `bytes` as a bundle file and builds the firmware for `job` with it.
pub fn build_with(name: &str, bytes: &[u8], job: Job) -> PathBuf {
    build_paced_with(name, bytes, job, None)
}

/// [`build_with`], each hil step paced to `deadline` SysTick ticks if given.
pub fn build_paced_with(name: &str, bytes: &[u8], job: Job, deadline: Option<u64>) -> PathBuf {
    let bundle = tmp(&format!("{name}.chib"));
    std::fs::write(&bundle, bytes).expect("writing the test bundle");
    let elf = tmp(&format!("{name}-{job:?}.elf"));
    build::build_paced(&bundle, job, deadline, &elf).expect("building the firmware");
    elf
}

/// [`build_with`] for the chip of QEMU's `machine`.
pub fn build_on(machine: Machine, name: &str, bytes: &[u8], job: Job) -> PathBuf {
    let bundle = tmp(&format!("{name}-{machine}.chib"));
    std::fs::write(&bundle, bytes).expect("writing the test bundle");
    let elf = tmp(&format!("{name}-{machine}-{job:?}.elf"));
    build::build_for(machine, &bundle, job, None, &elf).expect("building the firmware");
    elf
}

/// Runs a firmware image to its exit.
pub fn run(elf: &Path) -> qemu::Run {
    qemu::run(elf, qemu::Clock::Wall, TIMEOUT).expect("running QEMU")
}

/// Writes `bytes` as a bundle file and starts the board's twin on the host for it: the
/// reference every board action is checked against.
pub fn twin_with(name: &str, bytes: &[u8]) -> twin::Twin {
    let bundle = tmp(&format!("{name}.chib"));
    std::fs::write(&bundle, bytes).expect("writing the test bundle");
    twin::Twin::start(&bundle).expect("building and starting the twin")
}
