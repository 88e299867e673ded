//! `cargo xtask fuzz`: cargo-fuzz over the targets in `fuzz/`, with the summary the
//! hardening figures quote (executions, coverage, corpus, crashes per target).

use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use super::{cargo, root, run};

/// The fuzz targets (`fuzz/fuzz_targets`), in the order `fuzz` runs them.
const FUZZ_TARGETS: [&str; 5] = [
    "bundle_bytes",
    "bundle_fields",
    "link_frame",
    "link_stream",
    "host_files",
];

/// What one fuzzing run ended with, from libFuzzer's closing lines.
#[derive(Debug, Default)]
struct FuzzStats {
    executions: u64,
    edges: u64,
    corpus: u64,
    crashed: bool,
}

fn parse_fuzz_log(log: &str) -> FuzzStats {
    let mut stats = FuzzStats::default();
    // "corp: 14/16306b" counts inputs before the slash.
    let number_after = |line: &str, key: &str| -> Option<u64> {
        let rest = &line[line.find(key)? + key.len()..];
        let word = rest.split_whitespace().next()?;
        word.split('/').next()?.parse().ok()
    };
    for line in log.lines() {
        if let Some(n) = number_after(line, "stat::number_of_executed_units:") {
            stats.executions = n;
        }
        if line.starts_with('#') {
            if let Some(n) = number_after(line, "cov:") {
                stats.edges = stats.edges.max(n);
            }
            if let Some(n) = number_after(line, "corp:") {
                stats.corpus = n;
            }
        }
        stats.crashed |= line.contains("SUMMARY: libFuzzer") || line.contains("panicked at");
    }
    stats
}

/// `cargo xtask fuzz`: seeds the empty corpora, runs each target for the given time with
/// cargo-fuzz, minimises its corpus, and prints a table of executions, coverage and crashes.
pub fn fuzz(args: &[String]) -> Result<()> {
    let (mut seconds, mut parallel, mut targets) = (60u64, 1usize, Vec::new());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                seconds = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .context("--seconds takes a whole number")?;
            }
            "--parallel" => {
                parallel = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|p| *p > 0)
                    .context("--parallel takes a number of at least 1")?;
            }
            t if FUZZ_TARGETS.contains(&t) => targets.push(t.to_string()),
            other => bail!(
                "unknown fuzz argument '{other}' (targets: {})",
                FUZZ_TARGETS.join(", ")
            ),
        }
    }
    if targets.is_empty() {
        targets = FUZZ_TARGETS.iter().map(ToString::to_string).collect();
    }
    let nightly = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .context("rustup lists the toolchains")?;
    if !String::from_utf8_lossy(&nightly.stdout).contains("nightly") {
        bail!("fuzzing needs the nightly toolchain (rustup toolchain install nightly)");
    }
    let have_fuzz = Command::new("cargo")
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !have_fuzz {
        eprintln!("xtask: installing cargo-fuzz from crates.io");
        run(Command::new("cargo").args(["install", "--locked", "cargo-fuzz"]))?;
    }
    let dir = root().join("fuzz");
    run(cargo()
        .args([
            "run",
            "--quiet",
            "--release",
            "-p",
            "chi-fuzz",
            "--bin",
            "chi-fuzz-seeds",
            "--",
        ])
        .arg(dir.join("corpus")))?;
    let fuzz_cmd = |args: &[&str]| {
        let mut c = Command::new("cargo");
        c.args(["+nightly", "fuzz"]).args(args).current_dir(root());
        c
    };
    // Build each harness once before the clock starts.
    for t in &targets {
        run(&mut fuzz_cmd(&["build", "--features", "libfuzzer", t]))?;
    }
    let time = format!("-max_total_time={seconds}");
    let mut results = Vec::new();
    for batch in targets.chunks(parallel) {
        let children: Vec<_> = batch
            .iter()
            .map(|t| {
                let log = dir.join(format!("{t}.log"));
                let file = std::fs::File::create(&log)?;
                let child = fuzz_cmd(&[
                    "run",
                    "--features",
                    "libfuzzer",
                    t,
                    "--",
                    &time,
                    "-print_final_stats=1",
                    "-rss_limit_mb=2048",
                ])
                .stdout(file.try_clone()?)
                .stderr(file)
                .spawn()?;
                eprintln!("xtask: fuzzing {t} for {seconds} s (log {})", log.display());
                Ok::<_, std::io::Error>((t.clone(), log, child))
            })
            .collect::<std::result::Result<_, _>>()
            .context("cannot start cargo fuzz")?;
        for (t, log, mut child) in children {
            child.wait()?;
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            results.push((t, parse_fuzz_log(&text)));
        }
    }
    for (t, _) in &results {
        run(&mut fuzz_cmd(&["cmin", "--features", "libfuzzer", t]))?;
    }
    println!("| target | seconds | executions | coverage (edges) | corpus | crashes kept |");
    println!("|---|---|---|---|---|---|");
    let mut crashed = Vec::new();
    for (t, s) in &results {
        let kept = std::fs::read_dir(dir.join("artifacts").join(t)).map_or(0, |d| d.count());
        println!(
            "| {t} | {seconds} | {} | {} | {} | {kept} |",
            s.executions, s.edges, s.corpus
        );
        if s.crashed {
            crashed.push(t.as_str());
        }
    }
    if !crashed.is_empty() {
        bail!(
            "crashes in {} (inputs in fuzz/artifacts; logs in fuzz/*.log)",
            crashed.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libfuzzers_closing_lines() {
        let log = "#2\tINITED cov: 900 ft: 922 corp: 5/1427b exec/s: 0 rss: 36Mb\n\
                   #8388608\tpulse  cov: 1052 ft: 1294 corp: 14/16306b lim: 4096 exec/s: 26546\n\
                   Done 29654775 runs in 1801 second(s)\n\
                   stat::number_of_executed_units: 29654775\n";
        let s = parse_fuzz_log(log);
        assert_eq!((s.executions, s.edges, s.corpus), (29_654_775, 1052, 14));
        assert!(!s.crashed);
        assert!(parse_fuzz_log("thread '<unnamed>' panicked at src/x.rs:1:1:\n").crashed);
    }
}
