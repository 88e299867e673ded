//! `cargo xtask <command>`: the project's set-up as code. Each command first installs what it
//! needs on a fresh machine of this project's kind (the board's rustup target; later QEMU and
//! MuJoCo), then runs cargo. Sessions and CI run as root, so installs need no prompt.

use std::env;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chi_embedded::bundle::testing::{PolicyKind, half_cheetah_spec, point_mass_spec, random_spec};
use chi_embedded::bundle::{Dims, Precision};
use chi_embedded::task::TaskRecord;

mod fuzz;
mod setup;

use setup::setup;

/// Widths of the hand-built point-mass bundles the firmware is checked with: the board
/// preset's.
const HE: usize = 32;
const HP: usize = 32;

const BOARD_TARGET: &str = "thumbv7em-none-eabihf";
/// The Cortex-M33's (QEMU's mps2-an505; ARMv8-M Mainline).
const M33_TARGET: &str = "thumbv8m.main-none-eabihf";

const USAGE: &str = "\
usage: cargo xtask <command>

  test    install what is missing, then run every check and test: rustfmt, clippy (host and
          board), the board build of chi-embedded and of the firmware, and cargo test
  demo    the main job: train CHI on the point mass at the board's sizes (about 3 minutes),
          export f32 and int8 bundles, run the int8 one on the firmware in QEMU
  bench   criterion benches of the dense kernels and of one control step (not part of test)
  size    flash and RAM of the firmware at opt-level s and 3
  fuzz    [--seconds N] [--parallel P] [TARGET...]: coverage-guided fuzzing of the decoders
          (cargo-fuzz on the nightly toolchain, installed if missing), N seconds per target
          (default 60), P targets at a time (default 1); the corpora and any crash land in
          fuzz/corpus and fuzz/artifacts, which `test` replays on stable
  setup   only install what is missing: the rustup targets thumbv7em-none-eabihf and
          thumbv8m.main-none-eabihf, flip-link, from Debian's packages qemu-system-arm,
          fonts-dejavu-core, slurm-wlm and munge, and MuJoCo with gymnasium's model files
          (from their PyPI wheels into .cache/mujoco)
";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let started = Instant::now();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup(),
        Some("test") => setup().and_then(|()| test()),
        Some("demo") => setup().and_then(|()| demo()),
        Some("bench") => bench(&args[1..]),
        Some("size") => setup().and_then(|()| size()),
        Some("fuzz") => fuzz::fuzz(&args[1..]),
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprint!("xtask: unknown command '{other}'\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => {
            eprintln!("xtask: done in {:.1} s", started.elapsed().as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

fn cargo() -> Command {
    let mut c = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(root());
    c
}

fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("xtask: $ {}", show(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {}", show(cmd)))?;
    if !status.success() {
        bail!("{} failed ({status})", show(cmd));
    }
    Ok(())
}

fn show(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Writes the hand-built reference bundle the firmware is built with when no trained one is
/// given; returns its path.
fn reference_bundle() -> Result<PathBuf> {
    let spec = point_mass_spec(HE, HP, PolicyKind::Confident);
    let bytes = spec.encode().context("reference bundle")?;
    let dir = root().join("target/bundles");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("reference-hand-built.chib");
    std::fs::write(&path, bytes.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    // An untrained-looking policy, so the planner runs on every step: what `chi bench`
    // measures the planner with, in both precisions.
    let uncertain = point_mass_spec(HE, HP, PolicyKind::Uncertain);
    for (name, spec) in [("f32", uncertain.clone()), ("i8", uncertain.quantised())] {
        let file = dir.join(format!("reference-uncertain-{name}.chib"));
        let bytes = spec.encode().context("reference bundle")?;
        std::fs::write(&file, bytes.as_bytes())
            .with_context(|| format!("writing {}", file.display()))?;
    }
    // The out-of-tree example's task (examples/dc-motor), random weights: its firmware
    // binary is linted with it.
    let mut motor = random_spec(
        Dims {
            state: 2,
            action: 1,
            members: 2,
            ensemble_hidden: 32,
            policy_hidden: 32,
            horizon: 7,
            samples: 24,
        },
        Precision::I8,
        3,
    );
    motor.header.task = TaskRecord::new("dc-motor", 1, &[0.01, 0.1]).map_err(anyhow::Error::msg)?;
    let file = dir.join("reference-dc-motor-i8.chib");
    std::fs::write(&file, motor.encode().context("dc-motor bundle")?.as_bytes())
        .with_context(|| format!("writing {}", file.display()))?;
    // Half-Cheetah at the board's sizes, random weights (no trained run needed to measure).
    for (name, precision) in [("f32", Precision::F32), ("i8", Precision::I8)] {
        let file = dir.join(format!("reference-cheetah-{name}.chib"));
        let bytes = half_cheetah_spec(precision, 1)
            .encode()
            .context("cheetah bundle")?;
        std::fs::write(&file, bytes.as_bytes())
            .with_context(|| format!("writing {}", file.display()))?;
    }
    Ok(path)
}

/// The firmware's feature sets (where it runs, and its job), each built with the point-mass
/// reference bundle or the Half-Cheetah one: every job on QEMU, and the real-board build
/// (untestable here, kept compiling). The sizes come from the bundle, so the cheetah bundle
/// checks a second set of them.
const FIRMWARE_BUILDS: [(&str, &str, bool); 12] = [
    ("qemu,selftest,stm32f405", BOARD_TARGET, false),
    ("qemu,hil,stm32f405", BOARD_TARGET, false),
    ("qemu,bench,stm32f405", BOARD_TARGET, false),
    ("board,hil", BOARD_TARGET, false),
    ("board,selftest", BOARD_TARGET, false),
    ("qemu,bench,stm32f405", BOARD_TARGET, true),
    ("board,hil", BOARD_TARGET, true),
    ("qemu,hil,mps2-an500", BOARD_TARGET, false),
    ("qemu,bench,mps2-an500", BOARD_TARGET, false),
    ("qemu,hil,mps2-an505", M33_TARGET, false),
    ("qemu,bench,mps2-an505", M33_TARGET, false),
    (
        "qemu,selftest,stack-overflow,stm32f405",
        BOARD_TARGET,
        false,
    ),
];

fn firmware_build(profile: &str, features: &str, bundle: &Path) -> Result<PathBuf> {
    firmware_build_for(BOARD_TARGET, profile, features, bundle)
}

/// [`firmware_build`] for `target` (the chip's feature is among `features`).
fn firmware_build_for(
    target: &str,
    profile: &str,
    features: &str,
    bundle: &Path,
) -> Result<PathBuf> {
    let manifest = root().join("firmware/Cargo.toml");
    run(cargo()
        .args([
            "build",
            "--quiet",
            "--profile",
            profile,
            "--no-default-features",
        ])
        .args([
            "--target",
            target,
            "--features",
            features,
            "--manifest-path",
        ])
        .arg(&manifest)
        .current_dir(root().join("firmware"))
        // The firmware is a workspace of its own: its artefacts are in firmware/target.
        .env_remove("CARGO_TARGET_DIR")
        .env("CHI_BUNDLE", bundle))?;
    Ok(root().join(format!("firmware/target/{target}/{profile}/chi-firmware")))
}

/// What a clean `test` leaves on disk: a fresh clone came to 2.7 GB after it, target directories
/// and all.
const TEST_BUILD_GB: f64 = 3.0;

fn test() -> Result<()> {
    setup::warn_if_disk_short(TEST_BUILD_GB);
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--quiet",
        "--workspace",
        "--all-targets",
        "--features",
        "chi-host/mujoco,chi-e2e/mujoco",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cargo().args([
        "clippy",
        "--quiet",
        "-p",
        "chi-embedded",
        "--features",
        "defmt,cortex-m4,nalgebra",
        "--target",
        BOARD_TARGET,
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cargo().args([
        "build",
        "--quiet",
        "-p",
        "chi-embedded",
        "--release",
        "--target",
        BOARD_TARGET,
    ]))?;
    let bundle = reference_bundle()?;
    let cheetah = root().join("target/bundles/reference-cheetah-i8.chib");
    for (features, target, is_cheetah) in FIRMWARE_BUILDS {
        run(cargo()
            .args(["clippy", "--quiet", "--release", "--no-default-features"])
            .args([
                "--target",
                target,
                "--features",
                features,
                "--",
                "-D",
                "warnings",
            ])
            .current_dir(root().join("firmware"))
            .env("CHI_BUNDLE", if is_cheetah { &cheetah } else { &bundle }))?;
    }
    run(cargo()
        .args(["fmt", "--check"])
        .current_dir(root().join("firmware")))?;
    // The out-of-tree example's firmware binary.
    let motor = root().join("examples/dc-motor/firmware");
    run(cargo().args(["fmt", "--check"]).current_dir(&motor))?;
    run(cargo()
        .args(["clippy", "--quiet", "--release", "--", "-D", "warnings"])
        .current_dir(&motor)
        .env(
            "CHI_BUNDLE",
            root().join("target/bundles/reference-dc-motor-i8.chib"),
        ))?;
    // The board's twin on the host (its own workspace, built per bundle like the firmware).
    let twin = root().join("chi-host/twin");
    run(cargo().args(["fmt", "--check"]).current_dir(&twin))?;
    run(cargo()
        .args(["clippy", "--quiet", "--release", "--target-dir"])
        .arg(root().join("target/twin"))
        .args(["--", "-D", "warnings"])
        .current_dir(&twin)
        .env("CHI_BUNDLE", &bundle))?;
    // The cycle model's QEMU plugin (its own workspace, built on demand like the twin).
    let cycles = root().join("chi-host/cycles");
    run(cargo().args(["fmt", "--check"]).current_dir(&cycles))?;
    for verb in ["clippy", "test"] {
        let mut c = cargo();
        c.args([
            verb,
            "--quiet",
            "--release",
            "--all-targets",
            "--target-dir",
        ])
        .arg(root().join("target/cycles"))
        .current_dir(&cycles);
        if verb == "clippy" {
            c.args(["--", "-D", "warnings"]);
        }
        run(&mut c)?;
    }
    firmware_build("release", "qemu,hil,stm32f405", &bundle)?;
    cargo_test()
}

/// `cargo test --workspace`, its output passed through, then one closing line that adds up
/// every test binary's result (the last binary cargo runs is often a doc-test with 0 tests).
fn cargo_test() -> Result<()> {
    let mut cmd = cargo();
    cmd.args([
        "test",
        "--workspace",
        "--features",
        "chi-host/mujoco,chi-e2e/mujoco",
    ])
    .stdout(Stdio::piped());
    eprintln!("xtask: $ {}", show(&cmd));
    let mut child = cmd.spawn().context("cannot start cargo test")?;
    let (mut passed, mut failed) = (0u64, 0u64);
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines() {
            let line = line?;
            println!("{line}");
            if let Some(rest) = line.strip_prefix("test result: ") {
                let count = |word: &str| -> u64 {
                    rest.split(';')
                        .find_map(|part| {
                            part.trim()
                                .trim_start_matches("ok. ")
                                .trim_start_matches("FAILED. ")
                                .strip_suffix(word)
                        })
                        .and_then(|n| n.trim().parse().ok())
                        .unwrap_or(0)
                };
                passed += count(" passed");
                failed += count(" failed");
            }
        }
    }
    let status = child.wait()?;
    println!("tests: {passed} passed, {failed} failed");
    if !status.success() {
        bail!("cargo test failed ({status})");
    }
    Ok(())
}

/// Episodes of the main job's training run: about 3.5 s each on 2 cores at the board sizes.
const DEMO_EPISODES: &str = "40";

/// The main job: train CHI on the point mass at the sizes the board runs, export the bundles,
/// run the int8 one on the firmware in QEMU, say where everything is.
/// Re-running resumes the run; a finished run is only exported again.
fn demo() -> Result<()> {
    let out = root().join("runs/demo");
    let chi = |args: &[&str]| -> Command {
        let mut c = cargo();
        c.args(["run", "--quiet", "--release", "-p", "chi-host", "--"])
            .args(args);
        c
    };
    let out_arg = out.to_string_lossy().into_owned();
    run(&mut chi(&[
        "train",
        "--env",
        "point-mass",
        "--agent",
        "chi",
        "--preset",
        "board",
        "--seeds",
        "0",
        "--episodes",
        DEMO_EPISODES,
        "--out",
        &out_arg,
    ]))?;
    let run_dir = out.join("chi-seed0");
    let run_arg = run_dir.to_string_lossy().into_owned();
    // The board's planner of the run's preset (one Eq. 4 iteration, each sample through one
    // member), its samples fitted into the task's 10 ms on the STM32F405 by the cost model.
    run(&mut chi(&["export", "--run", &run_arg]))?;
    let figures = root().join("figures");
    let figures_arg = figures.to_string_lossy().into_owned();
    run(&mut chi(&[
        "plot",
        "--runs",
        &out_arg,
        "--out",
        &figures_arg,
    ]))?;
    // The trained bundle on the firmware in QEMU: the point mass on the host, every action
    // from the board (and checked against the host's), its cost counted by -icount, and its
    // return against the host's CHI at the paper's settings.
    // int8: the smaller bundle (8 KB against 24.5) and, with the four-sample SMLAD kernel,
    // the faster one on the M4 (1.29 M against 1.40 M instructions a step).
    let board_bundle = run_dir.join("bundle-int8.chib");
    run(chi(&["hil"])
        .arg(&board_bundle)
        .args(["--qemu", "--episodes", "3", "--run", &run_arg]))?;
    println!("\nmain job done:");
    println!(
        "  learning curve (one row an episode): {}",
        run_dir.join("metrics.csv").display()
    );
    println!(
        "  bundles for the board:               {}",
        run_dir.join("bundle-{f32,int8}.chib").display()
    );
    println!(
        "  figures (PNG and SVG):               {}",
        figures.display()
    );
    println!(
        "  checkpoint (resumes):                {}",
        run_dir.join("checkpoint").display()
    );
    println!(
        "  firmware with it: CHI_BUNDLE={} cargo build --release --no-default-features --features board,hil (in firmware/)",
        board_bundle.display()
    );
    Ok(())
}

/// Criterion benches; arguments after `--` go to criterion (e.g. `--measurement-time 3`).
fn bench(extra: &[String]) -> Result<()> {
    let extra = extra.strip_prefix(&["--".to_string()]).unwrap_or(extra);
    run(cargo()
        .args([
            "bench",
            "-p",
            "chi-embedded",
            "--features",
            "std",
            "--benches",
            "--",
        ])
        .args(extra))
}

fn size() -> Result<()> {
    let bundle = reference_bundle()?;
    let bundle_len = std::fs::metadata(&bundle)?.len();
    println!("firmware (reference sizes, bundle of {bundle_len} bytes in flash)");
    println!(
        "{:<14} {:<14} {:<14} {:>10} {:>12} {:>12} {:>12}",
        "chip", "profile", "features", "flash", "ram(static)", "code+rodata", "less bundle"
    );
    let chips = [
        ("stm32f405", ",stm32f405", BOARD_TARGET),
        ("mps2-an500", ",mps2-an500", BOARD_TARGET),
        ("mps2-an505", ",mps2-an505", M33_TARGET),
    ];
    let builds = chips.into_iter().flat_map(|chip| {
        ["release", "release-size"]
            .into_iter()
            .flat_map(move |p| ["qemu,hil", "qemu,selftest"].map(move |f| (chip, p, f)))
    });
    for ((chip, chip_feature, target), profile, job) in builds {
        let features = format!("{job}{chip_feature}");
        let elf = firmware_build_for(target, profile, &features, &bundle)?;
        let out = Command::new("size")
            .arg("-A")
            .arg(&elf)
            .output()
            .context("binutils `size`")?;
        let text = String::from_utf8_lossy(&out.stdout);
        let section = |name: &str| -> u64 {
            text.lines()
                .find(|l| l.split_whitespace().next() == Some(name))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
                .unwrap_or(0)
        };
        let (vt, tx, ro, da, bss) = (
            section(".vector_table"),
            section(".text"),
            section(".rodata"),
            section(".data"),
            section(".bss"),
        );
        let flash = vt + tx + ro + da;
        anyhow::ensure!(
            flash > bundle_len,
            "{}: `size -A` shows {flash} bytes of flash, less than the bundle's {bundle_len}",
            elf.display()
        );
        println!(
            "{:<14} {:<14} {:<14} {:>10} {:>12} {:>12} {:>12}",
            chip,
            profile,
            job,
            flash,
            da + bss,
            tx + ro,
            flash - bundle_len
        );
    }
    Ok(())
}
