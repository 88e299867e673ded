//! Building the firmware for a bundle and a job.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use anyhow::Context;

/// What the firmware image does (one cargo feature each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Job {
    /// One episode of a task the board simulates, reported.
    Selftest,
    /// Serve actions over USART1.
    Hil,
    /// Time kernels and control steps.
    Bench,
}

impl Job {
    fn feature(self) -> &'static str {
        match self {
            Self::Selftest => "selftest",
            Self::Hil => "hil",
            Self::Bench => "bench",
        }
    }
}

/// The firmware crate: `firmware/` beside this crate in the repository.
pub fn firmware_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../firmware")
}

/// Builds the QEMU firmware (release profile) for `job` with `bundle` in flash, and copies
/// the ELF to `out` so that runs never see each other's images.
pub fn build(bundle: &Path, job: Job, out: &Path) -> anyhow::Result<()> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let dir = firmware_dir();
    // The image's sizes follow the bundle's header (the firmware's build script); one whose
    // header does not decode, or that the chip cannot hold, fails the build saying why.
    let features = format!("qemu,{}", job.feature());
    let args = ["--no-default-features", "--features", &features];
    cargo_build(&ONE_AT_A_TIME, &dir, &args, bundle).map_err(|stderr| {
        anyhow::anyhow!(
            "firmware build for {} failed (is the thumbv7em-none-eabihf target installed? `cargo xtask setup`):\n{}",
            bundle.display(),
            firmware_errors(&stderr)
        )
    })?;
    copy_out(
        &dir.join("target/thumbv7em-none-eabihf/release/chi-firmware"),
        out,
    )
}

/// `cargo build --quiet --release ARGS` of the crate in `dir` with `CHI_BUNDLE` naming
/// `bundle`, holding `lock` (builds of one crate share its target directory); cargo's
/// messages if it fails.
pub(crate) fn cargo_build(
    lock: &Mutex<()>,
    dir: &Path,
    args: &[&str],
    bundle: &Path,
) -> Result<(), String> {
    let _one_at_a_time = lock.lock().unwrap_or_else(|e| e.into_inner());
    if !dir.join("Cargo.toml").exists() {
        return Err(format!(
            "no sources at {} (building needs the chi repository)",
            dir.display()
        ));
    }
    let bundle = bundle
        .canonicalize()
        .map_err(|e| format!("bundle {}: {e}", bundle.display()))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["build", "--quiet", "--release"])
        .args(args)
        .current_dir(dir)
        .env("CHI_BUNDLE", &bundle)
        // A host-side RUSTFLAGS (e.g. from a CI job) must not reach these builds.
        .env_remove("RUSTFLAGS")
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// Copies a built image to `out` (its directory made if need be).
pub(crate) fn copy_out(built: &Path, out: &Path) -> anyhow::Result<()> {
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::copy(built, out)
        .with_context(|| format!("copy {} to {}", built.display(), out.display()))?;
    Ok(())
}

/// What of a failed build's output a user needs: the firmware build script's own message
/// when it refused the bundle, else everything.
fn firmware_errors(stderr: &str) -> String {
    let ours: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.trim().strip_prefix("chi-firmware: "))
        .collect();
    if ours.is_empty() {
        stderr.to_string()
    } else {
        ours.join("\n")
    }
}
