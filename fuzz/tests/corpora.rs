//! Every input the fuzzers kept (`corpus/<target>/`) and every crash they ever found
//! (`artifacts/<target>/`, fixed since) run through the targets on stable Rust: a decoder
//! that regresses fails here without nightly or libFuzzer. The seeds run too, so a target
//! whose corpus is still empty is exercised.

use std::fs;
use std::path::Path;

#[test]
fn every_stored_input_and_every_crash_found_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for target in chi_fuzz::TARGETS {
        let mut inputs: Vec<(String, Vec<u8>)> = (target.seeds)()
            .into_iter()
            .enumerate()
            .map(|(i, b)| (format!("seed {i}"), b))
            .collect();
        assert!(!inputs.is_empty(), "{} has seeds", target.name);
        for dir in ["corpus", "artifacts"] {
            let Ok(entries) = fs::read_dir(root.join(dir).join(target.name)) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_file() {
                    inputs.push((path.display().to_string(), fs::read(&path).unwrap()));
                }
            }
        }
        for (name, bytes) in &inputs {
            let run = std::panic::catch_unwind(|| (target.run)(bytes));
            assert!(run.is_ok(), "{}: {name} fails", target.name);
        }
        eprintln!("{}: {} inputs", target.name, inputs.len());
    }
}
