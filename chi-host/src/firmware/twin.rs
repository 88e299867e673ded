//! The board's twin on the workstation: `chi-host/twin`, built for one bundle (its sizes
//! from the bundle's header, as the firmware's), serving the link protocol over its stdin and
//! stdout. Its actions are the board's bit for bit, so the host checks a board against it and
//! runs any bundle's controller as the board would, whatever its sizes.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

use anyhow::{Context, bail};

use super::client::Client;

/// The twin's crate, beside this one in the repository.
pub fn twin_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("twin")
}

/// Builds the twin of `bundle` and copies it to `out`.
pub fn build(bundle: &Path, out: &Path) -> anyhow::Result<()> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let target = twin_dir().join("../../target/twin");
    let target = target.to_string_lossy();
    super::build::cargo_build(
        &ONE_AT_A_TIME,
        &twin_dir(),
        &["--target-dir", &target],
        bundle,
    )
    .map_err(|stderr| {
        anyhow::anyhow!(
            "building the host twin of {} failed:\n{stderr}",
            bundle.display()
        )
    })?;
    super::build::copy_out(&twin_dir().join("../../target/twin/release/chi-twin"), out)
}

/// A running twin; killed when dropped.
pub struct Twin {
    child: Child,
    /// The link to it.
    pub client: Client,
}

impl Twin {
    /// Builds the twin of `bundle` (into `dir`) and starts it.
    pub fn start(bundle: &Path, dir: &Path) -> anyhow::Result<Self> {
        let stem = bundle
            .file_stem()
            .map_or_else(|| "bundle".into(), |s| s.to_string_lossy().into_owned());
        let exe = dir.join(format!("chi-twin-{stem}-{}", std::process::id()));
        build(bundle, &exe)?;
        Self::spawn(&exe)
    }

    /// Starts a built twin.
    pub fn spawn(exe: &Path) -> anyhow::Result<Self> {
        let mut child = Command::new(exe)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            bail!("the twin's stdio is not piped");
        };
        Ok(Self {
            child,
            client: Client::new(stdout, stdin),
        })
    }
}

impl Drop for Twin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
