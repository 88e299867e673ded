//! Places `memory.x` for cortex-m-rt and copies the weight bundle named by `CHI_BUNDLE` into
//! the build, so `include_bytes!` picks it up and a changed bundle rebuilds the firmware.

use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy("memory.x", out.join("memory.x")).expect("memory.x is next to build.rs");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-env-changed=CHI_BUNDLE");

    let Some(bundle) = env::var_os("CHI_BUNDLE") else {
        panic!(
            "CHI_BUNDLE is not set: point it at a weight bundle (`chi export` writes one; \
             `cargo xtask size` builds with a hand-built reference bundle)"
        );
    };
    let bundle = PathBuf::from(bundle);
    println!("cargo:rerun-if-changed={}", bundle.display());
    if let Err(e) = fs::copy(&bundle, out.join("bundle.chib")) {
        panic!("cannot read CHI_BUNDLE={}: {e}", bundle.display());
    }
}
