//! `chi sweep`: a grid of runs (tasks x agents x seeds x variants, from a TOML file) as one
//! `chi train` command a run. The commands run here, a few at a time, or become a SLURM array
//! job with one task a run. Every run checkpoints after each episode and resumes, so a sweep
//! that was cut short (a node lost, a time limit hit) is finished by starting it again.
//!
//! ```toml
//! out = "runs/sweep"          # runs go to OUT/<task>/<variant>/<agent>-seed<N>
//! episodes = 100
//! preset = "paper"            # optional
//! tasks = ["point-mass", "half-cheetah"]
//! agents = ["chi", "sac", "cem"]
//! seeds = [0, 1, 2, 3, 4]
//!
//! [[variant]]                 # optional; without any, one variant named "default"
//! name = "no-counterfactual"
//! args = ["--no-counterfactual"]
//! agents = ["chi"]            # optional: the variant's own agents
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// A sweep as its file gives it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    /// Where the runs go.
    pub out: PathBuf,
    /// Episodes of every run.
    pub episodes: u32,
    /// The preset every run starts from.
    #[serde(default)]
    pub preset: Option<String>,
    /// Tasks.
    pub tasks: Vec<String>,
    /// Agents.
    pub agents: Vec<String>,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// Variants of the settings; none means one with no extra arguments.
    #[serde(default, rename = "variant")]
    pub variants: Vec<Variant>,
}

/// Settings that differ between runs of a sweep.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// Its directory below each task's.
    pub name: String,
    /// Extra `chi train` arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// The agents this variant runs, if not the sweep's.
    #[serde(default)]
    pub agents: Option<Vec<String>>,
}

/// One run of a sweep: the `chi train` arguments that make it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunCommand {
    /// Where its run goes (`--out`; the run itself is `<agent>-seed<N>` below it).
    pub out: PathBuf,
    /// The arguments after `chi`.
    pub args: Vec<String>,
}

impl Sweep {
    /// Reads a sweep file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the sweep {}", path.display()))?;
        let sweep: Self =
            toml::from_str(&text).with_context(|| format!("{} is not a sweep", path.display()))?;
        if sweep.tasks.is_empty() || sweep.agents.is_empty() || sweep.seeds.is_empty() {
            bail!("{}: a sweep needs tasks, agents and seeds", path.display());
        }
        let mut names: Vec<&str> = sweep.variants.iter().map(|v| v.name.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            bail!("{}: two variants are named '{}'", path.display(), w[0]);
        }
        if let Some(v) = sweep
            .variants
            .iter()
            .find(|v| v.name.is_empty() || v.name.contains(['/', '\\']) || v.name.starts_with('.'))
        {
            bail!("{}: '{}' cannot name a directory", path.display(), v.name);
        }
        Ok(sweep)
    }

    /// Every run, task by task, variant by variant, agent by agent, seed by seed.
    pub fn commands(&self) -> Vec<RunCommand> {
        let default = [Variant {
            name: "default".into(),
            args: Vec::new(),
            agents: None,
        }];
        let variants = if self.variants.is_empty() {
            &default[..]
        } else {
            &self.variants[..]
        };
        let mut out = Vec::new();
        for task in &self.tasks {
            for v in variants {
                let dir = self.out.join(task).join(&v.name);
                for agent in v.agents.as_ref().unwrap_or(&self.agents) {
                    for seed in &self.seeds {
                        let mut args: Vec<String> = [
                            "train",
                            "--env",
                            task,
                            "--agent",
                            agent,
                            "--seeds",
                            &seed.to_string(),
                            "--episodes",
                            &self.episodes.to_string(),
                        ]
                        .map(String::from)
                        .into();
                        if let Some(p) = &self.preset {
                            args.extend(["--preset".to_string(), p.clone()]);
                        }
                        args.extend(v.args.iter().cloned());
                        args.extend(["--out".to_string(), dir.display().to_string()]);
                        out.push(RunCommand {
                            out: dir.clone(),
                            args,
                        });
                    }
                }
            }
        }
        out
    }
}

/// `word` quoted for a POSIX shell where it needs it.
pub fn shell_quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// One shell line a run: `chi` (the executable at `chi`) and its arguments.
pub fn command_lines(chi: &Path, commands: &[RunCommand]) -> String {
    let chi = shell_quote(&chi.display().to_string());
    commands
        .iter()
        .map(|c| {
            let args: Vec<String> = c.args.iter().map(|a| shell_quote(a)).collect();
            format!("{chi} {}\n", args.join(" "))
        })
        .collect()
}

/// How a SLURM array job is asked for.
#[derive(Clone, Debug)]
pub struct Slurm {
    /// `--partition`, if any.
    pub partition: Option<String>,
    /// `--time` of each run.
    pub time: String,
    /// `--cpus-per-task`.
    pub cpus: u32,
    /// Most runs at once (`--array=...%N`), if limited.
    pub at_once: Option<u32>,
}

/// An `sbatch` script running line `SLURM_ARRAY_TASK_ID + 1` of `commands_file` as one array
/// task, logs in `logs`.
pub fn sbatch_script(slurm: &Slurm, runs: usize, commands_file: &Path, logs: &Path) -> String {
    let limit = slurm.at_once.map(|n| format!("%{n}")).unwrap_or_default();
    let mut s = String::from("#!/bin/bash\n");
    s += "#SBATCH --job-name=chi-sweep\n";
    s += &format!("#SBATCH --array=0-{}{limit}\n", runs.saturating_sub(1));
    s += &format!("#SBATCH --cpus-per-task={}\n", slurm.cpus);
    s += &format!("#SBATCH --time={}\n", slurm.time);
    if let Some(p) = &slurm.partition {
        s += &format!("#SBATCH --partition={p}\n");
    }
    s += &format!(
        "#SBATCH --output={}\n",
        shell_quote(&logs.join("run-%a.log").display().to_string())
    );
    s += "# One run a task; a run resumes from its checkpoint, so resubmitting finishes a sweep.\n";
    s += "set -euo pipefail\n";
    s += &format!("export RAYON_NUM_THREADS={}\n", slurm.cpus);
    s += &format!(
        "line=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" {})\n",
        shell_quote(&commands_file.display().to_string())
    );
    s += "echo \"chi sweep task $SLURM_ARRAY_TASK_ID: $line\"\n";
    s += "eval \"$line\"\n";
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sweep(text: &str) -> Result<Sweep> {
        let dir = std::env::temp_dir().join(format!("chi-sweep-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{:x}.toml", text.len()));
        std::fs::write(&path, text).unwrap();
        Sweep::read(&path)
    }

    const GRID: &str = r#"
out = "runs/s"
episodes = 5
preset = "board"
tasks = ["point-mass", "pendulum"]
agents = ["chi", "sac"]
seeds = [0, 1, 2]

[[variant]]
name = "default"

[[variant]]
name = "no-cf"
args = ["--no-counterfactual"]
agents = ["chi"]
"#;

    #[test]
    fn a_grid_is_one_command_a_run() {
        let s = sweep(GRID).unwrap();
        let c = s.commands();
        // 2 tasks x (2 agents + 1) x 3 seeds.
        assert_eq!(c.len(), 18);
        assert_eq!(
            c[0].args.join(" "),
            "train --env point-mass --agent chi --seeds 0 --episodes 5 --preset board --out runs/s/point-mass/default"
        );
        let no_cf: Vec<_> = c
            .iter()
            .filter(|r| r.args.contains(&"--no-counterfactual".into()))
            .collect();
        assert_eq!(no_cf.len(), 6);
        assert!(no_cf.iter().all(|r| r.args.contains(&"chi".into())));
        let lines = command_lines(Path::new("/opt/my chi/chi"), &c);
        assert_eq!(lines.lines().count(), 18);
        assert!(
            lines.starts_with("'/opt/my chi/chi' train --env point-mass"),
            "{lines}"
        );
    }

    #[test]
    fn bad_sweeps_are_refused_by_name() {
        let twice = GRID.replace("name = \"no-cf\"", "name = \"default\"");
        let err = format!("{:#}", sweep(&twice).unwrap_err());
        assert!(err.contains("two variants are named 'default'"), "{err}");
        let err = format!(
            "{:#}",
            sweep("out = \"x\"\nepisodes = 1\ntasks = []\nagents = [\"chi\"]\nseeds = [0]\n")
                .unwrap_err()
        );
        assert!(err.contains("needs tasks, agents and seeds"), "{err}");
        let err = format!(
            "{:#}",
            sweep(&GRID.replace("episodes", "episode")).unwrap_err()
        );
        assert!(err.contains("is not a sweep"), "{err}");
        let err = format!(
            "{:#}",
            sweep(&GRID.replace("\"no-cf\"", "\"../x\"")).unwrap_err()
        );
        assert!(err.contains("cannot name a directory"), "{err}");
    }

    #[test]
    fn the_array_job_runs_line_task_id_plus_one() {
        let slurm = Slurm {
            partition: Some("cpu".into()),
            time: "02:00:00".into(),
            cpus: 1,
            at_once: Some(4),
        };
        let s = sbatch_script(
            &slurm,
            18,
            Path::new("sweep/commands.txt"),
            Path::new("sweep/logs"),
        );
        assert!(s.contains("#SBATCH --array=0-17%4\n"), "{s}");
        assert!(s.contains("#SBATCH --partition=cpu\n"), "{s}");
        assert!(
            s.contains("sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" sweep/commands.txt"),
            "{s}"
        );
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
