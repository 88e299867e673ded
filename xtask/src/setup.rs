//! What the commands install on a fresh machine: QEMU, flip-link, MuJoCo's library and models from
//! PyPI wheels, SLURM and munge, the figures' font and the firmware's rustup targets. Sessions
//! and CI run as root, so installs need no prompt; elsewhere they go through sudo.

use std::env;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use crate::{BOARD_TARGET, M33_TARGET, root, run};

pub fn on_path(program: &str) -> bool {
    env::var_os("PATH")
        .is_some_and(|paths| env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Warns when the disk that holds the build has less than `need_gb` free: a linker that
/// runs out of space mid-write dies of SIGBUS, which says nothing about the disk. A warning,
/// not an error, since a build that reuses `target/` needs far less than a clean one.
pub fn warn_if_disk_short(need_gb: f64) {
    if let Some(free) = free_gb(&root()).filter(|&free| free < need_gb) {
        eprintln!(
            "xtask: warning: {free:.1} GB free on the disk holding {}; a clean build of these \
             checks writes about {need_gb:.0} GB, and a linker that runs out of space dies of SIGBUS",
            root().display()
        );
    }
}

/// Free space on the disk holding `path`, in GB (`df -Pk`'s "available"); `None` if `df`
/// cannot tell.
fn free_gb(path: &Path) -> Option<f64> {
    let out = Command::new("df").arg("-Pk").arg(path).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // POSIX format: a header, then "filesystem blocks used available capacity mount".
    let kb: f64 = text
        .lines()
        .nth(1)?
        .split_whitespace()
        .nth(3)?
        .parse()
        .ok()?;
    Some(kb / (1024.0 * 1024.0))
}

/// Installs QEMU's Cortex-M emulator from Debian's packages when missing (the end-to-end
/// tests run the firmware in it).
pub fn install_qemu() -> Result<()> {
    if on_path("qemu-system-arm") {
        return Ok(());
    }
    eprintln!("xtask: installing qemu-system-arm from Debian's packages (for the firmware tests)");
    apt_install("qemu-system-arm")
}

/// `apt-get install` one package (machines of this kind, CI included, run as root; elsewhere
/// through sudo), after refreshing the package lists.
pub fn apt_install(package: &str) -> Result<()> {
    let sudo = !is_root();
    let apt = |args: &[&str]| -> Command {
        let mut c = Command::new(if sudo { "sudo" } else { "apt-get" });
        if sudo {
            c.arg("apt-get");
        }
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    run(&mut apt(&["update", "-qq"]))?;
    run(&mut apt(&[
        "install",
        "-y",
        "-qq",
        "--no-install-recommends",
        package,
    ]))
    .with_context(|| format!("installing {package} (run `apt-get install {package}` as root)"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// The font the figures' text is drawn with.
const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// MuJoCo for the MuJoCo tasks: the version mujoco-rs 7.0.0 binds, and the models gymnasium
/// uses.
const MUJOCO_WHEEL: &str = "mujoco==3.17.0";
const GYMNASIUM_WHEEL: &str = "gymnasium==1.4.0";
const MUJOCO_SO: &str = "libmujoco.so.3.17.0";
/// The model files of chi's MuJoCo tasks, from gymnasium's wheel (`chi_host::envs::mujoco`).
const MODELS: [&str; 5] = [
    "half_cheetah.xml",
    "hopper.xml",
    "walker2d_v5.xml",
    "reacher.xml",
    "inverted_pendulum.xml",
];

/// Fetches MuJoCo's shared library and gymnasium's model files ([`MODELS`]) from their PyPI wheels
/// into `.cache/mujoco` (git-ignored), where `.cargo/config.toml` points mujoco-rs's build
/// (`MUJOCO_DYNAMIC_LINK_DIR`) and chi-host's build script puts an rpath. The wheels are zip
/// files; pip fetches them (installed from Debian's packages when missing) and Python's
/// zipfile unpacks the files we need: only those missing, each written beside and renamed,
/// so a chi process running on the library meanwhile keeps the file it mapped.
pub fn install_mujoco() -> Result<()> {
    let dir = root().join(".cache/mujoco");
    let lib = dir.join("lib");
    if lib.join(MUJOCO_SO).is_file()
        && lib.join("libmujoco.so").exists()
        && MODELS.iter().all(|m| dir.join(m).is_file())
    {
        return Ok(());
    }
    let has_pip = Command::new("python3")
        .args(["-m", "pip", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_pip {
        eprintln!("xtask: installing python3-pip from Debian's packages (to fetch MuJoCo's wheel)");
        apt_install("python3-pip")?;
    }
    eprintln!(
        "xtask: fetching MuJoCo 3.17.0 and gymnasium 1.4.0's models from PyPI into {}",
        dir.display()
    );
    let wheels = dir.join("wheels");
    // A fixed platform and Python version: the same wheel whatever Python this machine has
    // (only the shared library inside is used).
    run(Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
        ])
        .args([
            "--platform",
            "manylinux_2_28_x86_64",
            "--python-version",
            "3.11",
        ])
        .args(["--implementation", "cp", "--abi", "cp311", "-d"])
        .arg(&wheels)
        .args([MUJOCO_WHEEL, GYMNASIUM_WHEEL]))?;
    std::fs::create_dir_all(&lib)?;
    let script = r#"
import glob, os, shutil, sys, zipfile
wheels, lib, out, models = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
def take(pattern, member, dest):
    if os.path.isfile(dest):
        return
    found = glob.glob(os.path.join(wheels, pattern))
    if not found:
        sys.exit("no wheel " + pattern + " in " + wheels)
    # Written beside and renamed: a running chi keeps the file it mapped.
    with zipfile.ZipFile(found[0]) as z, z.open(member) as src, open(dest + ".part", "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.replace(dest + ".part", dest)
take("mujoco-3.17.0-*.whl", "mujoco/libmujoco.so.3.17.0", os.path.join(lib, "libmujoco.so.3.17.0"))
for m in models:
    take("gymnasium-1.4.0-*.whl", "gymnasium/envs/mujoco/assets/" + m, os.path.join(out, m))
"#;
    run(Command::new("python3")
        .args(["-c", script])
        .arg(&wheels)
        .arg(&lib)
        .arg(&dir)
        .args(MODELS))?;
    let link = lib.join("libmujoco.so");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(MUJOCO_SO, &link).context("linking libmujoco.so")?;
    Ok(())
}

/// Adds what the commands need when missing: QEMU, MuJoCo, SLURM and munge, the figures'
/// font and the firmware's rustup targets (Cortex-M4/M7 and M33).
pub fn setup() -> Result<()> {
    install_qemu()?;
    install_mujoco()?;
    // Daemons live in /usr/sbin, which a user's PATH may lack.
    if !on_path("sbatch") || !Path::new("/usr/sbin/munged").is_file() {
        eprintln!(
            "xtask: installing slurm-wlm and munge from Debian's packages (the sweep test starts a one-node SLURM)"
        );
        apt_install("slurm-wlm")?;
        apt_install("munge")?;
    }
    if !Path::new(FONT).is_file() {
        eprintln!(
            "xtask: installing fonts-dejavu-core from Debian's packages (text in the figures)"
        );
        apt_install("fonts-dejavu-core")?;
    }
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(root())
        .output()
        .context("rustup is needed to add the board target")?;
    // The firmware's linker (firmware/.cargo/config.toml): the stack below the statics.
    if !on_path("flip-link") {
        eprintln!("xtask: installing flip-link from crates.io (the firmware's linker)");
        run(Command::new("cargo").args(["install", "--locked", "flip-link"]))?;
    }
    let installed = String::from_utf8_lossy(&out.stdout).into_owned();
    for target in [BOARD_TARGET, M33_TARGET] {
        if !installed.lines().any(|l| l.trim() == target) {
            eprintln!("xtask: installing the rustup target {target} (for the firmware)");
            run(Command::new("rustup")
                .args(["target", "add", target])
                .current_dir(root()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_free_space_of_the_build_disk_is_read() {
        let free = free_gb(&root()).expect("df -Pk reports the disk holding the repository");
        assert!(free > 0.0 && free < 1e6, "{free} GB");
        assert_eq!(free_gb(Path::new("/no/such/dir")), None);
    }
}
