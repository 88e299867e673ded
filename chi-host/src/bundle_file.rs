//! Bundles on disk: read into 4-byte-aligned memory (the decoder borrows weights in place),
//! with errors that name the file.

use std::path::Path;

use anyhow::{Context, Result, bail};
use chi_embedded::bundle::owned::AlignedBytes;

/// Bundles larger than this are refused before reading: the board has 1 MB of flash.
pub const MAX_BUNDLE_BYTES: u64 = 64 << 20;

/// Reads a bundle file. Decoding (and its typed errors) is the caller's next step.
pub fn read(path: &Path) -> Result<AlignedBytes> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read bundle '{}'", path.display()))?;
    if !meta.is_file() {
        bail!("bundle '{}' is not a file", path.display());
    }
    if meta.len() > MAX_BUNDLE_BYTES {
        bail!(
            "bundle '{}' is {} bytes, more than any bundle can be ({MAX_BUNDLE_BYTES})",
            path.display(),
            meta.len()
        );
    }
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read bundle '{}'", path.display()))?;
    Ok(AlignedBytes::from_bytes(&bytes))
}
