//! Generates the controller's sizes from the header of the bundle `CHI_BUNDLE` names, as the
//! firmware's build script does (`chi_embedded::codegen`); the twin reads the bundle it runs
//! when it starts.

use std::{env, fs, path::PathBuf, process::ExitCode};

fn main() -> ExitCode {
    println!("cargo:rerun-if-env-changed=CHI_BUNDLE");
    let (Some(out), Some(bundle)) = (env::var_os("OUT_DIR"), env::var_os("CHI_BUNDLE")) else {
        eprintln!("chi-twin: CHI_BUNDLE is not set: point it at a weight bundle");
        return ExitCode::FAILURE;
    };
    let (out, bundle) = (PathBuf::from(out), PathBuf::from(bundle));
    println!("cargo:rerun-if-changed={}", bundle.display());
    let generated = fs::read(&bundle)
        .map_err(|e| format!("cannot read CHI_BUNDLE={}: {e}", bundle.display()))
        .and_then(|bytes| {
            let g = chi_embedded::codegen::generate(&bytes)?;
            fs::write(out.join("sizes.rs"), g.source).map_err(|e| e.to_string())
        });
    match generated {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chi-twin: {e}");
            ExitCode::FAILURE
        }
    }
}
