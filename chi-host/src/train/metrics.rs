//! What a training episode did: one row of a run's metrics.csv, written here and read back
//! by name ([`MetricsTable`]) for reports and figures.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, Result, bail};

use crate::config::AgentKind;

/// What one episode did (one CSV row).
#[derive(Clone, Debug, PartialEq)]
pub struct EpisodeMetrics {
    /// 0-based episode.
    pub episode: u32,
    /// Environment steps so far, this episode included.
    pub env_steps: u64,
    /// Return of the episode (with training noise).
    pub ret: f32,
    /// First step inside the goal region, 0 if never.
    pub first_success: u32,
    /// Closest distance to the goal.
    pub closest: f32,
    /// Mean over steps of the RMS distance between amortised and final plan means.
    pub plan_shift: f32,
    /// Mean over steps of KL(amortised || final posterior).
    pub plan_kl: f32,
    /// Mean std of the amortised first action.
    pub amortised_std: f32,
    /// Fraction of steps that exited early.
    pub early_exit: f32,
    /// Mean planner iterations per step.
    pub iterations: f32,
    /// Ensemble NLL after the refit that followed the episode.
    pub model_nll: f32,
    /// Mean SAC losses over the episode.
    pub critic_loss: f32,
    /// Mean actor loss.
    pub actor_loss: f32,
    /// Seconds the episode took (acting and learning).
    pub seconds: f32,
}

pub(super) const CSV_HEADER: &str = "agent,seed,episode,env_steps,return,first_success,closest,plan_shift,plan_kl,amortised_std,early_exit,iterations,model_nll,critic_loss,actor_loss,seconds";

impl EpisodeMetrics {
    pub(super) fn csv(&self, agent: AgentKind, seed: u64) -> String {
        format!(
            "{},{seed},{},{},{:.5},{},{:.5},{:.5},{:.5},{:.5},{:.4},{:.3},{:.5},{:.5},{:.5},{:.3}",
            agent.name(),
            self.episode,
            self.env_steps,
            self.ret,
            self.first_success,
            self.closest,
            self.plan_shift,
            self.plan_kl,
            self.amortised_std,
            self.early_exit,
            self.iterations,
            self.model_nll,
            self.critic_loss,
            self.actor_loss,
            self.seconds
        )
    }
}

/// The label of a run directory named `<label>-seed<N>`: runs are reported and drawn by it,
/// so that variants of one agent (`chi-nocf-seed0` beside `chi-seed0`) are told apart.
pub fn run_label(name: &str) -> Option<&str> {
    let (label, seed) = name.rsplit_once("-seed")?;
    (!label.is_empty() && !seed.is_empty() && seed.bytes().all(|b| b.is_ascii_digit()))
        .then_some(label)
}

/// A run's metrics.csv read back, its columns looked up by name so that files from before a
/// column was added still read where that column is not needed.
#[derive(Clone, Debug)]
pub struct MetricsTable {
    path: PathBuf,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl MetricsTable {
    /// Reads the metrics.csv of every subdirectory of `dir` that holds one (a task
    /// directory's runs), in the order of their names.
    pub fn read_all(dir: &Path) -> Result<Vec<Self>> {
        let entries = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read runs in '{}'", dir.display()))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| Some(e.ok()?.path().join("metrics.csv")))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        files.iter().map(|f| Self::read(f)).collect()
    }

    /// Reads `path` (a run's metrics.csv).
    pub fn read(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut lines = text.lines();
        let header = lines
            .next()
            .unwrap_or_default()
            .split(',')
            .map(str::to_string)
            .collect();
        let rows = lines
            .filter(|l| !l.is_empty())
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect();
        Ok(Self {
            path: path.to_path_buf(),
            header,
            rows,
        })
    }

    /// Where it was read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Episodes recorded.
    pub fn episodes(&self) -> usize {
        self.rows.len()
    }

    /// The agent of the first episode; `None` if no episode has finished.
    pub fn agent(&self) -> Result<Option<String>> {
        Ok(self.column::<String>("agent")?.into_iter().next())
    }

    /// The name the run is reported and drawn under: [`run_label`] of its directory, or else
    /// the agent of its first episode; `None` if no episode has finished.
    pub fn label(&self) -> Result<Option<String>> {
        let Some(agent) = self.agent()? else {
            return Ok(None);
        };
        let named = self
            .path
            .parent()
            .and_then(Path::file_name)
            .and_then(|n| n.to_str())
            .and_then(run_label);
        Ok(Some(named.map_or(agent, str::to_string)))
    }

    /// Whether it has a column `name`.
    pub fn has(&self, name: &str) -> bool {
        self.header.iter().any(|h| h == name)
    }

    /// Every episode's value in column `name`.
    pub fn column<T: FromStr>(&self, name: &str) -> Result<Vec<T>> {
        let at = self
            .header
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("{} has no '{name}' column", self.path.display()))?;
        self.rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let line = i + 2;
                let Some(cell) = row.get(at) else {
                    bail!(
                        "{} line {line} has {} cells",
                        self.path.display(),
                        row.len()
                    );
                };
                cell.parse().ok().with_context(|| {
                    format!(
                        "{} line {line}: {name} '{cell}' is not a number",
                        self.path.display()
                    )
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_labelled_by_its_directory_else_by_its_agent() {
        let root = std::env::temp_dir().join(format!("chi-metrics-label-{}", std::process::id()));
        let label = |dir: &str, body: &str| {
            let path = root.join(dir).join("metrics.csv");
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, body).unwrap();
            MetricsTable::read(&path).unwrap().label().unwrap()
        };
        let one = "agent,episode,return\nchi,0,1.5\n";
        assert_eq!(label("chi-nocf-seed3", one).as_deref(), Some("chi-nocf"));
        assert_eq!(label("sac-seed10", one).as_deref(), Some("sac"));
        for unnamed in ["run", "chi-seed", "-seed0", "chi-seedx"] {
            assert_eq!(label(unnamed, one).as_deref(), Some("chi"), "{unnamed}");
        }
        assert_eq!(label("cem-seed0", "agent,episode,return\n"), None);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn columns_are_read_by_name_and_bad_cells_named() {
        let dir = std::env::temp_dir().join(format!("chi-metrics-table-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("metrics.csv");
        std::fs::write(&path, "agent,episode,return\nchi,0,1.5\nchi,1,x\nchi\n").unwrap();
        let t = MetricsTable::read(&path).unwrap();
        assert_eq!(t.episodes(), 3);
        assert_eq!(t.agent().unwrap().as_deref(), Some("chi"));
        assert!(t.has("return") && !t.has("seconds"));
        let err = t.column::<f64>("return").unwrap_err().to_string();
        assert!(err.ends_with("line 3: return 'x' is not a number"), "{err}");
        let err = t.column::<u32>("episode").unwrap_err().to_string();
        assert!(err.ends_with("line 4 has 1 cells"), "{err}");
        let err = t.column::<f64>("seconds").unwrap_err().to_string();
        assert!(err.ends_with("has no 'seconds' column"), "{err}");
        std::fs::write(&path, "agent,episode,return\n").unwrap();
        assert_eq!(MetricsTable::read(&path).unwrap().agent().unwrap(), None);
        assert!(MetricsTable::read(&dir.join("missing.csv")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
