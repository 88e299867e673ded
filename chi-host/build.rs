//! With the `mujoco` feature: checks that MuJoCo's library is where `cargo xtask setup` puts
//! it, and records that directory as an rpath so `chi` finds it at run time without
//! `LD_LIBRARY_PATH`.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=MUJOCO_DYNAMIC_LINK_DIR");
    if std::env::var_os("CARGO_FEATURE_MUJOCO").is_none() {
        return;
    }
    let Some(dir) = std::env::var_os("MUJOCO_DYNAMIC_LINK_DIR").map(PathBuf::from) else {
        panic!(
            "MUJOCO_DYNAMIC_LINK_DIR is not set (the repository's .cargo/config.toml sets it): \
             build from the repository, after `cargo xtask setup`"
        );
    };
    let lib = dir.join("libmujoco.so.3.17.0");
    println!("cargo:rerun-if-changed={}", lib.display());
    if !lib.is_file() {
        panic!(
            "MuJoCo 3.17.0 is not set up: {} is missing. Run `cargo xtask setup` (it fetches the \
             library from the mujoco wheel on PyPI), or build without the `mujoco` feature.",
            lib.display()
        );
    }
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
}
