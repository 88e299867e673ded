//! A run's checkpoint: networks, optimiser states, replay buffers and counters, written
//! after every episode and swapped in whole, so a killed run resumes bit for bit; and the
//! check that a resumed run has the configuration it was started with.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::Run;
use crate::config::TrainConfig;
use crate::figure1;
use crate::replay::ReplayBuffer;
use crate::world::World;

impl<const S: usize, const A: usize, W: World<S, A>> Run<S, A, W> {
    pub(super) fn save(&mut self) -> Result<()> {
        let dir = self.dir.join("checkpoint.tmp");
        fs::create_dir_all(&dir)?;
        // What the agent does not train stays as `open` seeded it, so it is not written: a
        // SAC run's untrained ensemble at the paper's sizes is 15 MB an episode.
        if self.agent.learns_policy() {
            self.sac.save(&dir)?;
        }
        if self.agent.learns_model() {
            self.ensemble.save(&dir)?;
        }
        save_buffer(&self.real, &dir.join("real.bin"))?;
        save_buffer(&self.model, &dir.join("model.bin"))?;
        let norm = self.ensemble.normalisation();
        let state = toml::toml! {
            episodes_done = (self.episodes_done)
            env_steps = (self.env_steps as i64)
            in_mean = (norm.in_mean.clone())
            in_inv_std = (norm.in_inv_std.clone())
            out_mean = (norm.out_mean.clone())
            out_std = (norm.out_std.clone())
        };
        fs::write(dir.join("state.toml"), toml::to_string(&state)?)?;
        // Swap in whole: a kill mid-save leaves the previous checkpoint intact.
        let done = self.dir.join("checkpoint");
        if done.exists() {
            fs::remove_dir_all(&done)?;
        }
        fs::rename(&dir, &done)?;
        Ok(())
    }

    pub(super) fn load(&mut self) -> Result<()> {
        // The text must be exactly what this build writes: a run made before a setting
        // existed would otherwise read it as today's default and resume behaving differently.
        // Only `episodes` may differ: it says where the run stops, not how it learns, so
        // `--episodes` extends (or cuts short) a run.
        let saved =
            fs::read_to_string(self.dir.join("config.toml")).context("the run's config.toml")?;
        let saved_config = toml::from_str::<TrainConfig>(&saved).ok();
        let difference = match &saved_config {
            Some(c) => {
                let now = toml::to_string(&TrainConfig {
                    episodes: c.episodes,
                    ..self.config.clone()
                })?;
                (saved != now).then(|| {
                    crate::config::first_difference(&saved, &now)
                        .unwrap_or_else(|| "the same settings, written differently".to_string())
                })
            }
            None => {
                Some("the run's config.toml is not a configuration this build reads".to_string())
            }
        };
        if let Some(difference) = difference {
            bail!(
                "{} holds a run with another configuration ({difference}; only --episodes may change); use a new --out or the same settings",
                self.dir.display()
            );
        }
        let dir = self.dir.join("checkpoint");
        if self.agent.learns_policy() {
            self.sac.load(&dir)?;
        }
        if self.agent.learns_model() {
            self.ensemble.load(&dir)?;
        }
        self.real = load_buffer::<S, A>(&dir.join("real.bin"), self.config.replay_capacity)?;
        self.model = load_buffer::<S, A>(&dir.join("model.bin"), self.config.replay_capacity)?;
        let state: toml::Table = toml::from_str(&fs::read_to_string(dir.join("state.toml"))?)?;
        let floats = |k: &str| -> Result<Vec<f32>> {
            state
                .get(k)
                .and_then(|v| v.as_array())
                .with_context(|| format!("state.toml lacks {k}"))?
                .iter()
                .map(|v| {
                    v.as_float()
                        .map(|f| f as f32)
                        .with_context(|| format!("{k} holds a non-number"))
                })
                .collect()
        };
        self.ensemble
            .set_normalisation(crate::ensemble_trainer::Normalisation {
                in_mean: floats("in_mean")?,
                in_inv_std: floats("in_inv_std")?,
                out_mean: floats("out_mean")?,
                out_std: floats("out_std")?,
            })?;
        let int = |k: &str| {
            state
                .get(k)
                .and_then(|v| v.as_integer())
                .with_context(|| format!("state.toml lacks {k}"))
        };
        self.episodes_done = u32::try_from(int("episodes_done")?)?;
        self.env_steps = u64::try_from(int("env_steps")?)?;
        // Drop metric rows of episodes after the checkpoint (a kill between the two writes).
        let csv = fs::read_to_string(self.dir.join("metrics.csv"))?;
        let keep: Vec<&str> = csv.lines().take(1 + self.episodes_done as usize).collect();
        fs::write(self.dir.join("metrics.csv"), keep.join("\n") + "\n")?;
        figure1::truncate(&self.dir, self.episodes_done)?;
        if saved_config.map(|c| c.episodes) != Some(self.config.episodes) {
            fs::write(self.dir.join("config.toml"), toml::to_string(&self.config)?)?;
        }
        Ok(())
    }
}

fn save_buffer(b: &ReplayBuffer, path: &Path) -> Result<()> {
    fs::write(path, b.encode()).with_context(|| format!("writing {}", path.display()))
}

fn load_buffer<const S: usize, const A: usize>(
    path: &Path,
    capacity: usize,
) -> Result<ReplayBuffer> {
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    ReplayBuffer::decode(&bytes, S, A, capacity, path)
}
