//! Faults a long training run meets, as a user meets them: a checkpoint that is corrupt or
//! cut short, a network that diverges, and a disk that fills while a checkpoint, a bundle or
//! a figure is written. Each stops with a message that says what happened and what is kept,
//! and loses nothing that was already saved.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chi_host::config::{AgentKind, TrainConfig};
use chi_host::train::PointMassRun as Run;

mod common;
use common::chi;

fn tmp(name: &str) -> PathBuf {
    common::tmp(&format!("faults-{name}"))
}

fn quick() -> TrainConfig {
    common::quick(3)
}

/// Every metric but the wall-clock seconds.
fn metrics(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("metrics.csv"))
        .unwrap()
        .lines()
        .map(|r| r.rsplit_once(',').unwrap().0.to_string())
        .collect()
}

fn open_error(dir: &Path) -> String {
    let err = Run::open(AgentKind::Chi, 5, quick(), dir)
        .err()
        .expect("refused");
    format!("{err:#}")
}

#[test]
fn a_corrupt_checkpoint_is_refused_and_the_one_before_resumes_bit_for_bit() {
    let straight = tmp("straight");
    let mut run = Run::open(AgentKind::Chi, 5, quick(), &straight).unwrap();
    for _ in 0..3 {
        run.episode().unwrap();
    }

    let dir = tmp("corrupt");
    let mut first = Run::open(AgentKind::Chi, 5, quick(), &dir).unwrap();
    first.episode().unwrap();
    first.episode().unwrap();
    drop(first);
    let newest = dir.join("checkpoint");
    assert!(
        dir.join("checkpoint.prev/state.toml").exists(),
        "two generations"
    );

    // A flipped bit in the replay buffer, then a weight file cut short.
    let real = newest.join("real.bin");
    let mut bytes = std::fs::read(&real).unwrap();
    bytes[100] ^= 0x10;
    std::fs::write(&real, &bytes).unwrap();
    let err = open_error(&dir);
    assert!(err.contains("real.bin is corrupt"), "{err}");
    assert!(err.contains("after episode 1) is intact"), "{err}");
    assert!(err.contains("--from-previous"), "{err}");
    bytes[100] ^= 0x10;
    std::fs::write(&real, &bytes).unwrap();
    let critic = newest.join("critic.safetensors");
    let weights = std::fs::read(&critic).unwrap();
    std::fs::write(&critic, &weights[..weights.len() / 2]).unwrap();
    let err = open_error(&dir);
    assert!(err.contains("critic.safetensors"), "{err}");
    assert!(err.contains("--from-previous"), "{err}");

    // What --from-previous does: back to episode 1, and on as if nothing had happened.
    assert_eq!(chi_host::train::use_previous(&dir).unwrap(), 1);
    assert!(
        dir.join("checkpoint.refused/critic.safetensors").exists(),
        "kept aside"
    );
    let mut resumed = Run::open(AgentKind::Chi, 5, quick(), &dir).unwrap();
    assert_eq!(resumed.episodes_done(), 1);
    resumed.episode().unwrap();
    resumed.episode().unwrap();
    assert_eq!(metrics(&straight), metrics(&dir));
    assert_eq!(run.spec(32).unwrap(), resumed.spec(32).unwrap());

    // Killed between the two renames of a save: the one before is taken, with a word.
    std::fs::rename(dir.join("checkpoint"), dir.join("checkpoint.tmp")).unwrap();
    let again = Run::open(AgentKind::Chi, 5, quick(), &dir).unwrap();
    assert_eq!(again.episodes_done(), 2);

    // A config.toml that is no longer TOML.
    std::fs::write(dir.join("config.toml"), "episodes = [\n").unwrap();
    let err = open_error(&dir);
    assert!(
        err.contains("not a configuration this build reads"),
        "{err}"
    );
}

#[test]
fn a_diverging_network_stops_the_run_by_name_and_keeps_the_last_good_checkpoint() {
    let dir = tmp("diverging");
    let mut config = quick();
    config.sac.learning_rate = 1e30;
    config.episodes = 6;
    let mut run = Run::open(AgentKind::Sac, 2, config.clone(), &dir).unwrap();
    let err = loop {
        match run.episode() {
            Ok(_) => assert!(run.episodes_done() < 6, "a learning rate of 1e30 diverges"),
            Err(e) => break format!("{e:#}"),
        }
    };
    let stopped_at = run.episodes_done();
    drop(run);
    eprintln!("what the user sees: {err}");
    assert!(err.contains(&format!("episode {stopped_at}")), "{err}");
    assert!(
        ["critic 1", "critic 2", "actor"]
            .iter()
            .any(|n| err.contains(n)),
        "names the network: {err}"
    );
    assert!(
        err.contains("environment step") || err.contains("weight that is not finite"),
        "{err}"
    );
    if stopped_at > 0 {
        let again = Run::open(AgentKind::Sac, 2, config, &dir).unwrap();
        assert_eq!(
            again.episodes_done(),
            stopped_at,
            "the last good checkpoint"
        );
    }
}

/// `chi` with files limited to `bytes` (as a full disk would stop them) and the signal that
/// limit raises ignored, so a write past it fails with an error the program must handle.
fn chi_limited(bytes: u64) -> Command {
    let mut c = Command::new("bash");
    c.args(["-c", r#"trap '' XFSZ; exec prlimit --fsize="$0" "$@""#])
        .arg(bytes.to_string())
        .arg(env!("CARGO_BIN_EXE_chi"));
    c
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("partial") || n.ends_with(".tmp"))
        .collect()
}

#[test]
fn a_full_disk_fails_each_write_clearly_and_leaves_the_previous_file() {
    // Small networks and long episodes, so the replay buffer is the largest file and grows
    // past the limit in the second episode's checkpoint.
    let out = tmp("full-disk");
    std::fs::create_dir_all(&out).unwrap();
    let config = out.join("small.toml");
    std::fs::write(
        &config,
        "episode_steps = 400\n[sac]\ncritic_hidden = 8\nactor_hidden = 8\nbatch = 32\n",
    )
    .unwrap();
    let train = |c: &mut Command, episodes: &str| {
        let o = c
            .args([
                "train", "--agent", "sac", "--preset", "board", "--seeds", "3",
            ])
            .args(["--episodes", episodes, "--config"])
            .arg(&config)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        (o.status.success(), text(&o))
    };
    let (ok, said) = train(&mut chi_limited(20_000), "2");
    assert!(!ok, "{said}");
    assert!(
        said.contains("cannot save the checkpoint after episode 2"),
        "{said}"
    );
    assert!(said.contains("File too large"), "{said}");
    assert!(
        said.contains("the checkpoint after episode 1 is unchanged"),
        "{said}"
    );
    let run = out.join("sac-seed3");
    assert!(leftovers(&run).is_empty(), "{:?}", leftovers(&run));
    // With room again the run resumes at episode 1 and ends as one never stopped.
    let (ok, said) = train(&mut chi(), "2");
    assert!(ok && said.contains("resuming"), "{said}");
    let straight = tmp("full-disk-straight");
    std::fs::create_dir_all(&straight).unwrap();
    let o = chi()
        .args([
            "train", "--agent", "sac", "--preset", "board", "--seeds", "3",
        ])
        .args(["--episodes", "2", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&straight)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(metrics(&run), metrics(&straight.join("sac-seed3")));

    // A bundle and a figure: the ones written before stay whole.
    let export = |c: &mut Command| {
        let o = c
            .args(["export", "--no-check", "--run"])
            .arg(&run)
            .output()
            .unwrap();
        (o.status.success(), text(&o))
    };
    let (ok, said) = export(&mut chi());
    assert!(ok, "{said}");
    let bundle = run.join("bundle-f32.chib");
    let good = std::fs::read(&bundle).unwrap();
    let (ok, said) = export(&mut chi_limited(2_000));
    assert!(!ok, "{said}");
    assert!(
        said.contains("bundle-f32.chib") && said.contains("unchanged"),
        "{said}"
    );
    assert_eq!(std::fs::read(&bundle).unwrap(), good);
    assert!(leftovers(&run).is_empty(), "{:?}", leftovers(&run));

    let figures = out.join("figures");
    let plot = |c: &mut Command| {
        let o = c
            .args(["plot", "--runs"])
            .arg(&out)
            .arg("--out")
            .arg(&figures)
            .output()
            .unwrap();
        (o.status.success(), text(&o))
    };
    let (ok, said) = plot(&mut chi());
    assert!(ok, "{said}");
    let png = std::fs::read_dir(&figures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "png"))
        .expect("a figure");
    let good = std::fs::read(&png).unwrap();
    let (ok, said) = plot(&mut chi_limited(2_000));
    assert!(!ok, "{said}");
    assert!(
        said.contains("cannot write") && said.contains("unchanged"),
        "{said}"
    );
    assert_eq!(std::fs::read(&png).unwrap(), good);
    assert!(leftovers(&figures).is_empty(), "{:?}", leftovers(&figures));
}
