//! Building the firmware for a bundle.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// Builds share one target directory and one output path: one at a time.
static BUILD: Mutex<()> = Mutex::new(());

/// Builds the firmware (release profile) with `bundle` in flash and copies the ELF to
/// `out`, so parallel tests never run each other's images.
pub fn build(bundle: &Path, out: &Path) -> Result<(), String> {
    let _one_at_a_time = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let dir = root().join("firmware");
    let output = Command::new(cargo)
        .args(["build", "--quiet", "--release"])
        .current_dir(&dir)
        .env("CHI_BUNDLE", bundle)
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "firmware build failed (is the thumbv7em-none-eabihf target installed? `cargo xtask setup`):\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let elf = dir.join("target/thumbv7em-none-eabihf/release/chi-firmware");
    std::fs::copy(&elf, out).map_err(|e| format!("cannot copy {}: {e}", elf.display()))?;
    Ok(())
}
