//! Running a firmware image in QEMU's `netduinoplus2` (STM32F405) with semihosting.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chi_embedded::envs::point_mass::EpisodeSummary;

/// What a run printed and how it exited.
#[derive(Debug)]
pub struct Run {
    /// Semihosting output.
    pub stdout: String,
    /// Exit code set through semihosting (0 success, 1 failure).
    pub code: Option<i32>,
}

/// Runs `elf` until it exits through semihosting, or fails after `timeout`.
pub fn run(elf: &Path, timeout: Duration) -> Result<Run, String> {
    let mut child = Command::new("qemu-system-arm")
        .args([
            "-cpu",
            "cortex-m4",
            "-machine",
            "netduinoplus2",
            "-nographic",
        ])
        .args(["-semihosting-config", "enable=on,target=native", "-kernel"])
        .arg(elf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!("cannot start qemu-system-arm (`cargo xtask setup` installs it): {e}")
        })?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("firmware did not exit within {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout).map_err(|e| e.to_string())?;
    }
    Ok(Run {
        stdout,
        code: status.code(),
    })
}

/// Reads the self-test's report line
/// `chi: selftest steps N return R first_success F final_state X Y actions_crc 0x...`.
pub fn parse_selftest(stdout: &str) -> Result<EpisodeSummary, String> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("chi: selftest "))
        .ok_or_else(|| format!("no self-test report in:\n{stdout}"))?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let after = |key: &str, n: usize| -> Result<&str, String> {
        let at = words
            .iter()
            .position(|w| *w == key)
            .ok_or_else(|| format!("no '{key}' in '{line}'"))?;
        words
            .get(at + n)
            .copied()
            .ok_or_else(|| format!("'{key}' has no value in '{line}'"))
    };
    let float = |key: &str, n: usize| -> Result<f32, String> {
        after(key, n)?
            .parse()
            .map_err(|e| format!("{key}: {e} in '{line}'"))
    };
    let steps: u32 = after("steps", 1)?
        .parse()
        .map_err(|e| format!("steps: {e}"))?;
    let first: u32 = after("first_success", 1)?
        .parse()
        .map_err(|e| format!("first_success: {e}"))?;
    let crc = after("actions_crc", 1)?;
    let crc = u32::from_str_radix(crc.trim_start_matches("0x"), 16)
        .map_err(|e| format!("actions_crc: {e}"))?;
    Ok(EpisodeSummary {
        ret: float("return", 1)?,
        first_success: (first > 0).then_some(first),
        closest: f32::NAN,
        final_state: [float("final_state", 1)?, float("final_state", 2)?],
        steps,
        actions_crc: crc,
    })
}
