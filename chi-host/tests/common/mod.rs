//! What the integration tests share: a fresh scratch directory, a quick training
//! configuration and the `chi` binary.

#![allow(dead_code)] // each test file uses its own share of these

use std::path::PathBuf;
use std::process::Command;

use chi_host::config::{Preset, TrainConfig};
use chi_host::tasks::point_mass::PointMass;
use chi_host::world::World;

/// An empty directory `name` in the tests' scratch space.
pub fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A small, quick point-mass configuration at the board's sizes: `episodes` of 20 steps.
pub fn quick(episodes: u32) -> TrainConfig {
    let mut c = PointMass::preset(Preset::Board);
    c.episodes = episodes;
    c.episode_steps = 20;
    c.sac.batch = 32;
    c.sac.critic_hidden = 32;
    c.ensemble.epochs = 2;
    c
}

/// The `chi` binary.
pub fn chi() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chi"))
}
