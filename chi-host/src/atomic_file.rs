//! Files replaced whole. Each is written beside its final name, flushed to disk and renamed
//! over it, so a full disk, a failing write or a kill mid-write leaves the file that was
//! there before (or none), never half of one.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};

/// A name beside `path` for its new contents while they are written. The extension stays
/// last because some writers (the PNG encoder) choose their format by it.
fn partial(path: &Path) -> PathBuf {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let n = WRITES.fetch_add(1, Ordering::Relaxed);
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let name = match path.extension() {
        Some(ext) => format!(
            ".{stem}.partial-{}-{n}.{}",
            std::process::id(),
            ext.to_string_lossy()
        ),
        None => format!(".{stem}.partial-{}-{n}", std::process::id()),
    };
    path.with_file_name(name)
}

/// Writes `bytes` to `path`, replacing it whole.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    write_through(path, |tmp| {
        let mut f = fs::File::create(tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        Ok(())
    })
}

/// Replaces `path` whole with what `make` writes to the path it is given (a file beside
/// `path` with the same extension). On any error nothing of the new file remains.
pub fn write_through(path: &Path, make: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let tmp = partial(path);
    let result = make(&tmp).and_then(|()| {
        fs::rename(&tmp, path).with_context(|| format!("cannot rename {}", tmp.display()))
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| {
        let before = if path.exists() {
            "the file there before is unchanged"
        } else {
            "nothing was left there"
        };
        format!("cannot write {} ({before})", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("chi-atomic-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_leaves_no_partial_one() {
        let d = dir("fail");
        let path = d.join("bundle.chib");
        write(&path, b"good").unwrap();
        let err = write_through(&path, |tmp| {
            fs::write(tmp, b"ha")?;
            anyhow::bail!("No space left on device")
        })
        .unwrap_err();
        let message = format!("{err:#}");
        assert!(message.contains("bundle.chib"), "{message}");
        assert!(message.contains("No space left"), "{message}");
        assert!(message.contains("unchanged"), "{message}");
        assert_eq!(fs::read(&path).unwrap(), b"good");
        let names: Vec<_> = fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn the_partial_file_keeps_the_extension() {
        let p = partial(Path::new("out/curves.png"));
        assert_eq!(p.extension().unwrap(), "png");
        assert_eq!(p.parent().unwrap(), Path::new("out"));
    }
}
