//! Writes each target's seeds into `<dir>/<target>/seed-<i>` where that corpus is empty, so
//! a first fuzzing run starts from valid bundles, frames and files rather than from nothing.
//!
//!     chi-fuzz-seeds fuzz/corpus

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: chi-fuzz-seeds CORPUS_DIR");
        return ExitCode::from(2);
    };
    for target in chi_fuzz::TARGETS {
        let corpus = dir.join(target.name);
        let empty = std::fs::read_dir(&corpus).map_or(true, |mut d| d.next().is_none());
        if !empty {
            continue;
        }
        let written = std::fs::create_dir_all(&corpus).and_then(|()| {
            (target.seeds)()
                .iter()
                .enumerate()
                .try_for_each(|(i, bytes)| std::fs::write(corpus.join(format!("seed-{i}")), bytes))
        });
        if let Err(e) = written {
            eprintln!("chi-fuzz-seeds: cannot write {}: {e}", corpus.display());
            return ExitCode::FAILURE;
        }
        eprintln!("chi-fuzz-seeds: seeded {}", corpus.display());
    }
    ExitCode::SUCCESS
}
