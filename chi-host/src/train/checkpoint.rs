//! A run's checkpoint: networks, optimiser states, replay buffers and counters, written
//! after every episode and swapped in whole, so a killed run resumes bit for bit; and the
//! check that a resumed run has the configuration it was started with.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::Run;
use crate::atomic_file;
use crate::config::TrainConfig;
use crate::figure1;
use crate::replay::ReplayBuffer;
use crate::world::World;

/// The newest checkpoint, the one before it, and one being written.
const CURRENT: &str = "checkpoint";
const PREVIOUS: &str = "checkpoint.prev";
const WRITING: &str = "checkpoint.tmp";
/// The CRC-32 of every file of a checkpoint, so a flipped bit is refused rather than
/// resumed from.
const MANIFEST: &str = "manifest.toml";

/// Whether `dir` holds a checkpoint to resume from.
pub fn saved(dir: &Path) -> bool {
    [CURRENT, PREVIOUS]
        .iter()
        .any(|g| dir.join(g).join("state.toml").exists())
}

/// The episodes the checkpoint in `checkpoint` has done, if it is one.
fn episode_of(checkpoint: &Path) -> Option<i64> {
    let text = fs::read_to_string(checkpoint.join("state.toml")).ok()?;
    toml::from_str::<toml::Table>(&text)
        .ok()?
        .get("episodes_done")?
        .as_integer()
}

/// Sets the run in `dir` back to its checkpoint before the newest (which is kept aside as
/// `checkpoint.refused`), and returns the episodes that one had done.
pub fn use_previous(dir: &Path) -> Result<i64> {
    let (current, previous) = (dir.join(CURRENT), dir.join(PREVIOUS));
    let Some(n) = episode_of(&previous) else {
        bail!("{} has no checkpoint before the newest", dir.display());
    };
    check_manifest(&previous)
        .with_context(|| format!("the previous checkpoint in {}", previous.display()))?;
    let refused = dir.join("checkpoint.refused");
    if refused.exists() {
        fs::remove_dir_all(&refused)?;
    }
    if current.exists() {
        fs::rename(&current, &refused)?;
    }
    fs::rename(&previous, &current)?;
    Ok(n)
}

fn write_manifest(dir: &Path) -> Result<()> {
    let mut table = toml::Table::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        if name != MANIFEST {
            let crc = chi_embedded::checksum::CRC32.checksum(&fs::read(&path)?);
            table.insert(name, toml::Value::Integer(i64::from(crc)));
        }
    }
    let path = dir.join(MANIFEST);
    fs::write(&path, toml::to_string(&table)?)
        .with_context(|| format!("writing {}", path.display()))
}

/// Every file the manifest lists is there with its CRC. Checkpoints written before there
/// was a manifest have none and are read as they are.
fn check_manifest(dir: &Path) -> Result<()> {
    let path = dir.join(MANIFEST);
    let Ok(text) = fs::read_to_string(&path) else {
        return Ok(());
    };
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is corrupt", path.display()))?;
    for (name, crc) in &table {
        let file = dir.join(name);
        let bytes = fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        let got = i64::from(chi_embedded::checksum::CRC32.checksum(&bytes));
        if crc.as_integer() != Some(got) {
            bail!(
                "{} is corrupt (its CRC-32 is {got:#010x}, the checkpoint recorded {crc})",
                file.display()
            );
        }
    }
    Ok(())
}

impl<const S: usize, const A: usize, W: World<S, A>> Run<S, A, W> {
    pub(super) fn save(&mut self) -> Result<()> {
        let tmp = self.dir.join(WRITING);
        if tmp.exists() {
            // What a save that failed or was killed left.
            fs::remove_dir_all(&tmp).with_context(|| format!("cannot remove {}", tmp.display()))?;
        }
        if let Err(e) = self.write_checkpoint(&tmp) {
            let _ = fs::remove_dir_all(&tmp);
            let kept = match episode_of(&self.dir.join(CURRENT)) {
                Some(n) => format!("the checkpoint after episode {n} is unchanged"),
                None => "no checkpoint was written".to_string(),
            };
            return Err(e.context(format!(
                "cannot save the checkpoint after episode {} in {} ({kept})",
                self.episodes_done,
                self.dir.display()
            )));
        }
        // Swap in whole, keeping the generation before: a kill mid-save leaves both intact,
        // a kill between the renames leaves the previous one, which `resume` then takes.
        let (current, previous) = (self.dir.join(CURRENT), self.dir.join(PREVIOUS));
        if current.exists() {
            if previous.exists() {
                fs::remove_dir_all(&previous)?;
            }
            fs::rename(&current, &previous)?;
        }
        fs::rename(&tmp, &current)?;
        Ok(())
    }

    fn write_checkpoint(&self, dir: &Path) -> Result<()> {
        fs::create_dir_all(dir)?;
        // What the agent does not train stays as `open` seeded it, so it is not written: a
        // SAC run's untrained ensemble at the paper's sizes is 15 MB an episode.
        if self.agent.learns_policy() {
            self.sac.save(dir)?;
        }
        if self.agent.learns_model() {
            self.ensemble.save(dir)?;
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
        let path = dir.join("state.toml");
        fs::write(&path, toml::to_string(&state)?)
            .with_context(|| format!("writing {}", path.display()))?;
        write_manifest(dir)
    }

    /// Resumes from the newest checkpoint that is whole, or says which one to take.
    pub(super) fn resume(&mut self) -> Result<()> {
        let saved_config = self.check_config()?;
        let (current, previous) = (self.dir.join(CURRENT), self.dir.join(PREVIOUS));
        if !current.join("state.toml").exists() {
            eprintln!(
                "chi: {} has no current checkpoint (a save was cut short); resuming from the one before",
                self.dir.display()
            );
            fs::rename(&previous, &current)?;
        }
        if let Err(e) = self.load(&current) {
            let offer = match episode_of(&previous) {
                Some(n) => format!(
                    "the checkpoint before it (after episode {n}) is intact: rerun with --from-previous to resume from it"
                ),
                None => "there is no checkpoint before it".to_string(),
            };
            return Err(e.context(format!(
                "the checkpoint in {} cannot be read; {offer}",
                current.display()
            )));
        }
        // Drop metric rows of episodes after the checkpoint (a kill between the two writes).
        let csv = fs::read_to_string(self.dir.join("metrics.csv"))?;
        let keep: Vec<&str> = csv.lines().take(1 + self.episodes_done as usize).collect();
        atomic_file::write(
            &self.dir.join("metrics.csv"),
            (keep.join("\n") + "\n").as_bytes(),
        )?;
        figure1::truncate(&self.dir, self.episodes_done)?;
        let stop = |c: &TrainConfig| (c.episodes, c.step_budget);
        if saved_config.as_ref().map(stop) != Some(stop(&self.config)) {
            atomic_file::write(
                &self.dir.join("config.toml"),
                toml::to_string(&self.config)?.as_bytes(),
            )?;
        }
        Ok(())
    }

    /// The configuration the run was started with, if it is this one (where it stops aside).
    fn check_config(&self) -> Result<Option<TrainConfig>> {
        // The text must be exactly what this build writes: a run made before a setting
        // existed would otherwise read it as today's default and resume behaving differently.
        // Only `episodes` and `step_budget` may differ: they say where the run stops, not
        // how it learns, so `--episodes` and `--steps` extend (or cut short) a run.
        let saved =
            fs::read_to_string(self.dir.join("config.toml")).context("the run's config.toml")?;
        let saved_config = toml::from_str::<TrainConfig>(&saved).ok();
        let difference = match &saved_config {
            Some(c) => {
                let now = toml::to_string(&TrainConfig {
                    episodes: c.episodes,
                    step_budget: c.step_budget,
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
                "{} holds a run with another configuration ({difference}; only --episodes and --steps may change); use a new --out or the same settings",
                self.dir.display()
            );
        }
        Ok(saved_config)
    }

    /// Restores networks, optimisers, buffers and counters from checkpoint `dir`.
    fn load(&mut self, dir: &Path) -> Result<()> {
        check_manifest(dir)?;
        if self.agent.learns_policy() {
            self.sac.load(dir)?;
        }
        if self.agent.learns_model() {
            self.ensemble.load(dir)?;
        }
        self.real = load_buffer::<S, A>(&dir.join("real.bin"), self.config.replay_capacity)?;
        self.model = load_buffer::<S, A>(&dir.join("model.bin"), self.config.replay_capacity)?;
        let state_path = dir.join("state.toml");
        let state: toml::Table = toml::from_str(
            &fs::read_to_string(&state_path)
                .with_context(|| format!("reading {}", state_path.display()))?,
        )
        .with_context(|| format!("{} is not a checkpoint's state", state_path.display()))?;
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
