//! The board's twin on the workstation: `chi-host/twin`, built for one set of sizes (from
//! a bundle's header, as the firmware's), serving the link protocol over its stdin and
//! stdout for the bundle it is started on. Its actions are the board's bit for bit, so the host checks a board against it and
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

/// The twin for bundles of `bundle`'s sizes and task, built if need be. One executable
/// serves every bundle of the same sizes (it reads the bundle when it starts), so the f32 and
/// int8 bundles of a run, or a run's bundles after more training, share one build: it lives
/// at `target/twin/bin/chi-twin-<key>`, the key a CRC of the sizes the bundle's header gives
/// and of the bundle format's version.
pub fn executable(bundle: &Path) -> anyhow::Result<PathBuf> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let bytes =
        std::fs::read(bundle).with_context(|| format!("cannot read {}", bundle.display()))?;
    let sizes = chi_embedded::codegen::generate(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", bundle.display()))?
        .source;
    // The format version is part of the key: the build reads its own copy of a bundle,
    // which a newer chi would refuse.
    let mut keyed = sizes.into_bytes();
    keyed.extend_from_slice(&chi_embedded::bundle::frame::VERSION.to_le_bytes());
    let key = format!("{:08x}", chi_embedded::checksum::CRC32.checksum(&keyed));
    let target = twin_dir().join("../../target/twin");
    let exe = target.join(format!("bin/chi-twin-{key}"));
    // The build reads its sizes from a bundle of its own that never changes, so a second
    // build of the same sizes is cargo's no-op (its sources unchanged), not a recompile.
    let sizes_bundle = target.join(format!("sizes/{key}.chib"));
    if !sizes_bundle.exists() {
        super::build::write_new(&sizes_bundle, &bytes)?;
    }
    let target = target.to_string_lossy();
    super::build::cargo_build(
        &ONE_AT_A_TIME,
        &twin_dir(),
        &["--target-dir", &target],
        &[],
        &sizes_bundle,
        &twin_dir().join("../../target/twin/release/chi-twin"),
        &exe,
    )
    .map_err(|stderr| {
        anyhow::anyhow!(
            "building the host twin of {} failed:\n{stderr}",
            bundle.display()
        )
    })?;
    Ok(exe)
}

/// A running twin; killed when dropped.
pub struct Twin {
    child: Child,
    /// The link to it.
    pub client: Client,
}

impl Twin {
    /// Starts the twin of `bundle`, built first if need be ([`executable`]).
    pub fn start(bundle: &Path) -> anyhow::Result<Self> {
        Self::spawn(&executable(bundle)?, bundle)
    }

    /// Starts a built twin `exe` on `bundle`.
    pub fn spawn(exe: &Path, bundle: &Path) -> anyhow::Result<Self> {
        let mut child = Command::new(exe)
            .arg(bundle)
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
