//! `chi report`: the runs of each agent in a directory summarised as RL results are now
//! reported, with interval estimates over runs instead of a mean and a standard deviation.
//!
//! A run's score is its mean return over its last episodes (the final return) and over all
//! its episodes (the area under its learning curve, divided by its length). Each directory
//! holds the runs of one task; per agent it gets the IQM, mean and median of both scores with
//! 95% bootstrap intervals, and the probability that CHI improves on each other agent.

pub mod stats;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chi_embedded::rng::ChiRng;

use stats::{Interval, Scores};

/// What a report is computed with.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Episodes at the end whose mean return is a run's final return.
    pub last: usize,
    /// Bootstrap resamples.
    pub reps: usize,
    /// Seed of the resampling.
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            last: 10,
            reps: 50_000,
            seed: 0,
        }
    }
}

/// One run's returns, episode by episode.
#[derive(Clone, Debug)]
pub struct RunReturns {
    /// Where it was read.
    pub dir: PathBuf,
    /// The agent (`chi`, `sac`, `cem`, ...).
    pub agent: String,
    /// Return of each episode.
    pub returns: Vec<f64>,
}

/// Every run below `dir` (its subdirectories that hold a metrics.csv).
pub fn read_runs(dir: &Path) -> Result<Vec<RunReturns>> {
    let mut runs = Vec::new();
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read runs in {}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.join("metrics.csv").is_file())
        .collect();
    paths.sort();
    for path in paths {
        runs.push(read_run(&path)?);
    }
    if runs.is_empty() {
        bail!(
            "{} holds no runs (directories with a metrics.csv)",
            dir.display()
        );
    }
    Ok(runs)
}

fn read_run(dir: &Path) -> Result<RunReturns> {
    let csv = dir.join("metrics.csv");
    let text =
        std::fs::read_to_string(&csv).with_context(|| format!("reading {}", csv.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .with_context(|| format!("{} has no '{name}' column", csv.display()))
    };
    let (agent_at, return_at) = (column("agent")?, column("return")?);
    let mut agent = None;
    let mut returns = Vec::new();
    for (i, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        let cell = |at: usize| {
            cells.get(at).copied().with_context(|| {
                format!("{} line {} has {} cells", csv.display(), i + 2, cells.len())
            })
        };
        let r: f64 = cell(return_at)?.parse().with_context(|| {
            format!(
                "{} line {}: the return is not a number",
                csv.display(),
                i + 2
            )
        })?;
        if !r.is_finite() {
            bail!("{} line {}: the return is {r}", csv.display(), i + 2);
        }
        agent.get_or_insert_with(|| cell(agent_at).map(str::to_string));
        returns.push(r);
    }
    let Some(agent) = agent.transpose()? else {
        bail!("{} has no finished episode", csv.display());
    };
    Ok(RunReturns {
        dir: dir.to_path_buf(),
        agent,
        returns,
    })
}

/// The two scores of every agent's runs on one task.
#[derive(Clone, Debug)]
pub struct TaskScores {
    /// The directory the runs were read from.
    pub dir: PathBuf,
    /// Episodes every run has.
    pub episodes: usize,
    /// Final return of each run, by agent.
    pub final_return: BTreeMap<String, Vec<f64>>,
    /// Mean return over all episodes of each run, by agent.
    pub auc: BTreeMap<String, Vec<f64>>,
}

/// The scores of the runs in `dir`. Every run must have as many episodes as the others: a
/// curve's area depends on its length.
pub fn task_scores(dir: &Path, runs: &[RunReturns], last: usize) -> Result<TaskScores> {
    let episodes = runs[0].returns.len();
    if let Some(other) = runs.iter().find(|r| r.returns.len() != episodes) {
        bail!(
            "{} has {} episodes and {} has {episodes}: compare runs of the same length (train the shorter on with --episodes)",
            other.dir.display(),
            other.returns.len(),
            runs[0].dir.display()
        );
    }
    if episodes < last {
        bail!(
            "the runs in {} have {episodes} episodes, fewer than the last {last} that make a final return",
            dir.display()
        );
    }
    let mut t = TaskScores {
        dir: dir.to_path_buf(),
        episodes,
        final_return: BTreeMap::new(),
        auc: BTreeMap::new(),
    };
    for r in runs {
        let tail = &r.returns[episodes - last..];
        let fin = tail.iter().sum::<f64>() / last as f64;
        let auc = r.returns.iter().sum::<f64>() / episodes as f64;
        t.final_return.entry(r.agent.clone()).or_default().push(fin);
        t.auc.entry(r.agent.clone()).or_default().push(auc);
    }
    Ok(t)
}

/// One agent's estimates on one score.
#[derive(Clone, Debug)]
pub struct AgentSummary {
    /// The agent.
    pub agent: String,
    /// Its runs.
    pub runs: usize,
    /// Interquartile mean.
    pub iqm: Interval,
    /// Mean.
    pub mean: Interval,
    /// Median (with one task: its mean, as rliable's).
    pub median: Interval,
}

/// Which score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Score {
    /// Mean return of the last episodes.
    Final,
    /// Mean return over all episodes.
    Auc,
}

impl Score {
    fn name(self) -> &'static str {
        match self {
            Self::Final => "final return",
            Self::Auc => "area under the curve",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Self::Final => "final",
            Self::Auc => "auc",
        }
    }
}

/// A task's report: per score, every agent's estimates, and CHI's probability of improving
/// on each other agent.
#[derive(Clone, Debug)]
pub struct TaskReport {
    /// The scores it was computed from.
    pub scores: TaskScores,
    /// Per score: the agents' estimates.
    pub agents: Vec<(Score, Vec<AgentSummary>)>,
    /// Per score: (agent, probability that CHI improves on it).
    pub improvement: Vec<(Score, Vec<(String, Interval)>)>,
}

/// The report of one task's scores.
pub fn report(scores: TaskScores, settings: Settings) -> Result<TaskReport> {
    let mut rng = ChiRng::new(settings.seed);
    let mut agents = Vec::new();
    let mut improvement = Vec::new();
    for score in [Score::Final, Score::Auc] {
        let by_agent = match score {
            Score::Final => &scores.final_return,
            Score::Auc => &scores.auc,
        };
        let matrix = |runs: &Vec<f64>| {
            Scores::new(vec![runs.clone()]).context("an agent's scores are not finite")
        };
        let mut rows = Vec::new();
        for (agent, runs) in by_agent {
            let s = matrix(runs)?;
            rows.push(AgentSummary {
                agent: agent.clone(),
                runs: runs.len(),
                iqm: stats::bootstrap(&s, stats::iqm, settings.reps, &mut rng),
                mean: stats::bootstrap(&s, stats::mean, settings.reps, &mut rng),
                median: stats::bootstrap(&s, stats::median, settings.reps, &mut rng),
            });
        }
        agents.push((score, rows));
        if let Some(chi) = by_agent.get("chi") {
            let x = matrix(chi)?;
            let mut over = Vec::new();
            for (agent, runs) in by_agent.iter().filter(|(a, _)| *a != "chi") {
                let y = matrix(runs)?;
                over.push((
                    agent.clone(),
                    stats::bootstrap_improvement(&x, &y, settings.reps, &mut rng),
                ));
            }
            improvement.push((score, over));
        }
    }
    Ok(TaskReport {
        scores,
        agents,
        improvement,
    })
}

fn show(i: &Interval) -> String {
    format!("{:.2} [{:.2}, {:.2}]", i.point, i.low, i.high)
}

impl TaskReport {
    /// The report as markdown: a table per score and the probabilities of improvement.
    pub fn markdown(&self, settings: Settings) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "### {} ({} episodes a run; final return: the mean of the last {})\n",
            self.scores.dir.display(),
            self.scores.episodes,
            settings.last
        );
        for (score, rows) in &self.agents {
            let _ = writeln!(
                out,
                "| {} | runs | IQM [95% CI] | mean [95% CI] | median [95% CI] |\n|---|---|---|---|---|",
                score.name()
            );
            for r in rows {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    r.agent,
                    r.runs,
                    show(&r.iqm),
                    show(&r.mean),
                    show(&r.median)
                );
            }
            out.push('\n');
        }
        for (score, over) in &self.improvement {
            for (agent, p) in over {
                let _ = writeln!(out, "- P(chi > {agent}), {}: {}", score.name(), show(p));
            }
        }
        let _ = writeln!(
            out,
            "\nIntervals: percentile bootstrap over runs, {} resamples, seed {}.",
            settings.reps, settings.seed
        );
        out
    }

    /// The report as CSV rows (`task,score,agent,statistic,point,low,high`), without header.
    pub fn csv_rows(&self) -> String {
        let mut out = String::new();
        let task = self.scores.dir.display();
        for (score, rows) in &self.agents {
            for r in rows {
                for (name, i) in [("iqm", &r.iqm), ("mean", &r.mean), ("median", &r.median)] {
                    let _ = writeln!(
                        out,
                        "{task},{},{},{name},{:.6},{:.6},{:.6}",
                        score.key(),
                        r.agent,
                        i.point,
                        i.low,
                        i.high
                    );
                }
            }
        }
        for (score, over) in &self.improvement {
            for (agent, p) in over {
                let _ = writeln!(
                    out,
                    "{task},{},chi>{agent},probability_of_improvement,{:.6},{:.6},{:.6}",
                    score.key(),
                    p.point,
                    p.low,
                    p.high
                );
            }
        }
        out
    }
}

/// The header of [`TaskReport::csv_rows`].
pub const CSV_HEADER: &str = "task,score,agent,statistic,point,low,high";

#[cfg(test)]
mod tests {
    use super::*;

    fn run(agent: &str, returns: &[f64]) -> RunReturns {
        RunReturns {
            dir: PathBuf::from(format!("runs/{agent}")),
            agent: agent.to_string(),
            returns: returns.to_vec(),
        }
    }

    #[test]
    fn scores_are_the_last_episodes_and_the_whole_curve() {
        let runs = [
            run("chi", &[0.0, 1.0, 2.0, 3.0]),
            run("sac", &[0.0, 0.0, 1.0, 1.0]),
        ];
        let t = task_scores(Path::new("runs"), &runs, 2).unwrap();
        assert_eq!(t.final_return["chi"], [2.5]);
        assert_eq!(t.auc["sac"], [0.5]);
        let short = [run("chi", &[0.0, 1.0]), run("sac", &[0.0, 0.0, 1.0])];
        let err = task_scores(Path::new("runs"), &short, 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("the same length"), "{err}");
        let err = task_scores(Path::new("runs"), &runs[..1], 5)
            .unwrap_err()
            .to_string();
        assert!(err.contains("fewer than the last 5"), "{err}");
    }

    #[test]
    fn chi_is_compared_with_every_other_agent() {
        let runs: Vec<RunReturns> = (0..5)
            .flat_map(|i| {
                let x = f64::from(i);
                [
                    run("chi", &[x + 10.0; 3]),
                    run("sac", &[x; 3]),
                    run("cem", &[x + 20.0; 3]),
                ]
            })
            .collect();
        let t = task_scores(Path::new("runs"), &runs, 3).unwrap();
        let settings = Settings {
            reps: 500,
            ..Settings::default()
        };
        let r = report(t, settings).unwrap();
        let (_, over) = &r.improvement[0];
        let p: BTreeMap<_, _> = over.iter().map(|(a, p)| (a.as_str(), p.point)).collect();
        assert_eq!(p["sac"], 1.0);
        assert_eq!(p["cem"], 0.0);
        let md = r.markdown(settings);
        assert!(md.contains("| chi | 5 | 12.00 ["), "{md}");
        assert!(md.contains("P(chi > sac), final return: 1.00"), "{md}");
        assert_eq!(r.csv_rows().lines().count(), 2 * (3 * 3 + 2));
    }
}
