//! With the `mujoco` feature: the test binaries load MuJoCo's library (through chi-host), so
//! they carry the same rpath chi-host's build script gives `chi` (a link argument reaches
//! only the package that emits it).

fn main() {
    println!("cargo:rerun-if-env-changed=MUJOCO_DYNAMIC_LINK_DIR");
    if std::env::var_os("CARGO_FEATURE_MUJOCO").is_none() {
        return;
    }
    // chi-host's build script has already checked that the library is there.
    if let Some(dir) = std::env::var_os("MUJOCO_DYNAMIC_LINK_DIR") {
        println!(
            "cargo:rustc-link-arg=-Wl,-rpath,{}",
            std::path::Path::new(&dir).display()
        );
    }
}
