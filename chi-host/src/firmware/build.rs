//! Building the firmware for a bundle and a job.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use anyhow::Context;

use super::machine::Machine;

/// What the firmware image does (one cargo feature each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Job {
    /// One episode of a task the board simulates, reported.
    Selftest,
    /// Serve actions over USART1.
    Hil,
    /// Time kernels and control steps.
    Bench,
    /// The self-test, after recursing until the stack overflows: a check that the overflow
    /// faults (flip-link puts the stack below the statics) rather than overwrite them.
    Overflow,
}

impl Job {
    fn feature(self) -> &'static str {
        match self {
            Self::Selftest => "selftest",
            Self::Hil => "hil",
            Self::Bench => "bench",
            Self::Overflow => "selftest,stack-overflow",
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
    build_paced(bundle, job, None, out)
}

/// [`build`], the hil job's steps paced to `deadline` SysTick ticks instead of the task's
/// control period at 168 MHz (under QEMU's `-icount shift=0` a tick is 1/0.168
/// instructions, so the task's own period allows far more work there than on a board).
pub fn build_paced(
    bundle: &Path,
    job: Job,
    deadline: Option<u64>,
    out: &Path,
) -> anyhow::Result<()> {
    build_for(Machine::default(), bundle, job, deadline, out)
}

/// [`build_paced`] for the chip of QEMU's `machine`.
pub fn build_for(
    machine: Machine,
    bundle: &Path,
    job: Job,
    deadline: Option<u64>,
    out: &Path,
) -> anyhow::Result<()> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let dir = firmware_dir();
    // The image's sizes follow the bundle's header (the firmware's build script); one whose
    // header does not decode, or that the chip cannot hold, fails the build saying why.
    let features = format!("qemu,{},{}", job.feature(), machine.feature());
    let target = machine.target();
    let args = [
        "--no-default-features",
        "--features",
        &features,
        "--target",
        target,
    ];
    let built = dir.join(format!("target/{target}/release/chi-firmware"));
    let deadline = deadline.map(|t| t.to_string());
    let env: Vec<(&str, &str)> = deadline
        .iter()
        .map(|t| ("CHI_DEADLINE_TICKS", t.as_str()))
        .collect();
    cargo_build(&ONE_AT_A_TIME, &dir, &args, &env, bundle, &built, out).map_err(|stderr| {
        anyhow::anyhow!(
            "firmware build for {} on {machine} failed (is the {target} target installed? `cargo xtask setup`):\n{}",
            bundle.display(),
            firmware_errors(&stderr)
        )
    })
}

/// `cargo build --quiet --release ARGS` of the crate in `dir` with `CHI_BUNDLE` naming
/// `bundle`, then the artefact `built` copied to `out`; cargo's messages if it fails. Builds
/// of one crate share its target directory, so the build and the copy hold `lock` (threads
/// of this process) and a file lock in `dir` (other processes): no build can replace
/// `built` before it is copied.
pub(crate) fn cargo_build(
    lock: &Mutex<()>,
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    bundle: &Path,
    built: &Path,
    out: &Path,
) -> Result<(), String> {
    let _one_at_a_time = lock.lock().unwrap_or_else(|e| e.into_inner());
    if !dir.join("Cargo.toml").exists() {
        return Err(format!(
            "no sources at {} (building needs the chi repository)",
            dir.display()
        ));
    }
    let lock_file = std::fs::File::create(dir.join("target/.chi-build.lock"))
        .or_else(|_| {
            std::fs::create_dir_all(dir.join("target"))?;
            std::fs::File::create(dir.join("target/.chi-build.lock"))
        })
        .map_err(|e| format!("cannot create the build lock in {}: {e}", dir.display()))?;
    lock_file
        .lock()
        .map_err(|e| format!("cannot take the build lock in {}: {e}", dir.display()))?;
    let bundle = bundle
        .canonicalize()
        .map_err(|e| format!("bundle {}: {e}", bundle.display()))?;
    cargo_release(dir, args, env, Some(&bundle))?;
    copy_out(built, out).map_err(|e| format!("{e:#}"))
}

/// `cargo build --quiet --release ARGS` of the crate in `dir`, with `CHI_BUNDLE` naming
/// `bundle` if given and the build settings `env` (`CHI_DEADLINE_TICKS` from no other
/// place); cargo's messages if it fails.
pub(crate) fn cargo_release(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    bundle: Option<&Path>,
) -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--quiet", "--release"])
        .args(args)
        .current_dir(dir)
        // A host-side RUSTFLAGS (e.g. from a CI job) must not reach these builds, nor a
        // CARGO_TARGET_DIR: the crate is a workspace of its own, its artefacts read from its
        // own target directory (or the one `args` names).
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CHI_DEADLINE_TICKS")
        .envs(env.iter().copied());
    if let Some(bundle) = bundle {
        command.env("CHI_BUNDLE", bundle);
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(())
}

/// Copies a built image to `out` (its directory made if need be) through a temporary file
/// and a rename, so a process still running the old `out` keeps it and no reader ever sees
/// half a file.
pub(crate) fn copy_out(built: &Path, out: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(built).with_context(|| format!("cannot read {}", built.display()))?;
    write_new(out, &bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(out, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", out.display()))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` (its directory made if need be) through a temporary file beside
/// it and a rename.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    crate::atomic_file::write(path, bytes)
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
