//! Places `memory.x` for cortex-m-rt, copies the weight bundle named by `CHI_BUNDLE` into the
//! build (so `include_bytes!` picks it up and a changed bundle rebuilds the firmware), and
//! generates the controller's sizes from the bundle's header (`chi_embedded::codegen`).
//!
//! A bundle the chip cannot hold is refused here, with the numbers: its tensors in flash
//! beside the code, and the planner's scratch on the stack beside the rest of a control
//! step's working memory.

use std::{env, fs, path::PathBuf, process::ExitCode};

/// Code beside the bundle: the largest image (the self-test's, which also simulates its
/// task) is 135 KB at opt-level 3 without the bundle (`cargo xtask size`); 160 KB leaves room
/// for growth.
const CODE: usize = 160 * 1024;
/// What a control step needs on the stack beside the planner's scratch: measured 5.7 KB for
/// the point mass and 10 KB for Half-Cheetah at the board's sizes (stack high-water less the
/// scratch), so 16 KB.
const STACK_BESIDES_PLANNER: usize = 16 * 1024;

/// A chip the firmware builds for: its cargo feature (in cargo's environment spelling), the
/// name of its `chip` cfg and memory layout (`memory/<name>.x`), and the flash and RAM that
/// layout gives (the stack may use all of RAM).
struct Chip {
    feature: &'static str,
    name: &'static str,
    flash: usize,
    ram: usize,
}

/// The chips.
const CHIPS: [Chip; 3] = [
    Chip {
        feature: "STM32F405",
        name: "stm32f405",
        flash: 1024 * 1024,
        ram: 128 * 1024,
    },
    Chip {
        feature: "MPS2_AN500",
        name: "mps2-an500",
        flash: 4 * 1024 * 1024,
        ram: 4 * 1024 * 1024,
    },
    Chip {
        feature: "MPS2_AN505",
        name: "mps2-an505",
        flash: 4 * 1024 * 1024,
        ram: 4 * 1024 * 1024,
    },
];

/// The chip the features name (exactly one).
fn chip() -> Result<&'static Chip, String> {
    let named: Vec<&Chip> = CHIPS
        .iter()
        .filter(|c| env::var_os(format!("CARGO_FEATURE_{}", c.feature)).is_some())
        .collect();
    let choices: Vec<&str> = CHIPS.iter().map(|c| c.name).collect();
    match named.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "choose the chip: one feature of {}",
            choices.join(", ")
        )),
        _ => Err(format!(
            "choose one chip, not {}: `board` is the STM32F405; the others run in QEMU only",
            named
                .iter()
                .map(|c| c.name)
                .collect::<Vec<_>>()
                .join(" and ")
        )),
    }
}

fn main() -> ExitCode {
    match build() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chi-firmware: {e}");
            ExitCode::FAILURE
        }
    }
}

fn build() -> Result<(), String> {
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("cargo sets OUT_DIR")?);
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("no manifest dir")?);
    let chip = chip()?;
    let names: Vec<String> = CHIPS.iter().map(|c| format!("\"{}\"", c.name)).collect();
    println!(
        "cargo:rustc-check-cfg=cfg(chip, values({}))",
        names.join(", ")
    );
    println!("cargo:rustc-cfg=chip=\"{}\"", chip.name);
    let layout = manifest.join(format!("memory/{}.x", chip.name));
    fs::copy(&layout, out.join("memory.x")).map_err(|e| format!("{}: {e}", layout.display()))?;
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory");
    println!("cargo:rerun-if-env-changed=CHI_BUNDLE");
    println!("cargo:rerun-if-env-changed=CHI_DEADLINE_TICKS");
    let deadline = match env::var("CHI_DEADLINE_TICKS") {
        Ok(text) => match text.trim().parse::<u64>() {
            Ok(ticks) if ticks > 0 => format!("Some({ticks})"),
            _ => {
                return Err(format!(
                    "CHI_DEADLINE_TICKS={text} is not a positive number of SysTick ticks"
                ));
            }
        },
        Err(_) => "None".into(),
    };
    fs::write(
        out.join("deadline.rs"),
        format!(
            "/// A step's deadline in SysTick ticks set at build time (`CHI_DEADLINE_TICKS`), if any.\npub const DEADLINE_TICKS: Option<u64> = {deadline};\n"
        ),
    )
    .map_err(|e| format!("deadline.rs: {e}"))?;

    let bundle = PathBuf::from(env::var_os("CHI_BUNDLE").ok_or(
        "CHI_BUNDLE is not set: point it at a weight bundle (`chi export` writes one; \
         `cargo xtask size` builds with a hand-built reference bundle)",
    )?);
    println!("cargo:rerun-if-changed={}", bundle.display());
    let bytes = fs::read(&bundle)
        .map_err(|e| format!("cannot read CHI_BUNDLE={}: {e}", bundle.display()))?;
    let generated = chi_embedded::codegen::generate(&bytes)
        .map_err(|e| format!("CHI_BUNDLE={} cannot be built: {e}", bundle.display()))?;
    let flash = bytes.len() + CODE;
    if flash > chip.flash {
        return Err(format!(
            "CHI_BUNDLE={} does not fit the chip's flash: {} KB of tensors + {} KB of code = {} KB needed, {} KB available",
            bundle.display(),
            bytes.len() / 1024,
            CODE / 1024,
            flash / 1024,
            chip.flash / 1024
        ));
    }
    let ram = generated.planner_bytes + STACK_BESIDES_PLANNER;
    if ram > chip.ram {
        return Err(format!(
            "CHI_BUNDLE={} does not fit the chip's RAM: the planner's scratch ({} KB for K = {}, H = {}) + {} KB for the rest of a control step = {} KB of stack needed, {} KB available",
            bundle.display(),
            generated.planner_bytes / 1024,
            generated.header.dims.samples,
            generated.header.dims.horizon,
            STACK_BESIDES_PLANNER / 1024,
            ram / 1024,
            chip.ram / 1024
        ));
    }
    fs::write(out.join("bundle.chib"), &bytes).map_err(|e| format!("bundle.chib: {e}"))?;
    // The macro is used from the binary, so the library exports it.
    let mut source = generated.source.replace(
        "macro_rules! builtin_task",
        "#[macro_export]\nmacro_rules! builtin_task",
    );
    // The step's cost on the F405 (`chi_embedded::cost`), which the hil job checks against
    // its task's control period when it is compiled (the task is a type only the binary
    // names, so the check cannot be made here).
    let cost = chi_embedded::cost::StepCost::of(&generated.header);
    let iterations = generated.header.controller.planner.iterations;
    source.push_str(&format!(
        "\n/// Estimated cycles of the amortised phase on the STM32F405 (`chi_embedded::cost`).\n\
         pub const AMORTISE_CYCLES: f64 = {:.1};\n\
         /// Estimated cycles of a step that plans all the bundle's iterations.\n\
         pub const FULL_STEP_CYCLES: f64 = {:.1};\n",
        cost.amortise,
        cost.with_iterations(iterations)
    ));
    fs::write(out.join("sizes.rs"), source).map_err(|e| format!("sizes.rs: {e}"))?;
    Ok(())
}
