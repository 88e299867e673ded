//! `chi report`: the runs of each agent in a directory summarised as RL results are now
//! reported, with interval estimates over runs instead of a mean and a standard deviation.
//!
//! A run's score is its mean return over its last episodes (the final return) and over all
//! its episodes (the area under its learning curve, divided by its length). Where episodes
//! end early, runs are compared at the same number of environment steps instead
//! ([`Budget::Steps`], [`steps`]). Each directory holds the runs of one task; per agent it
//! gets the IQM, mean and median run of both scores with 95% bootstrap intervals, and the
//! probability that CHI improves on each other agent.

mod runs;
pub mod stats;
pub mod steps;

pub use runs::{RunReturns, read_noise_free, read_runs};

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
    /// How much of each run is compared.
    pub budget: Budget,
    /// Bootstrap resamples.
    pub reps: usize,
    /// Seed of the resampling.
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            last: 10,
            budget: Budget::Episodes,
            reps: 50_000,
            seed: 0,
        }
    }
}

/// How much of each run is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// Every episode; every run must have as many (episodes of one length).
    Episodes,
    /// The first `n` environment steps of each run, which must have taken at least `n`
    /// (episodes that end early): the final return is the mean of the last episodes ended by
    /// step `n`, the area the curve's mean over 100 points of `(0, n]`.
    Steps(u64),
}

/// Points of `(0, n]` at which a [`Budget::Steps`] curve is read for its area.
pub const AREA_POINTS: usize = 100;

/// The two scores of every agent's runs on one task.
#[derive(Clone, Debug)]
pub struct TaskScores {
    /// The directory the runs were read from.
    pub dir: PathBuf,
    /// Episodes every run has (with [`Budget::Episodes`]).
    pub episodes: usize,
    /// How much of each run was compared.
    pub budget: Budget,
    /// Final return of each run, by agent.
    pub final_return: BTreeMap<String, Vec<f64>>,
    /// Mean return over all episodes of each run, by agent.
    pub auc: BTreeMap<String, Vec<f64>>,
    /// Each run's noise-free return as trained, by agent, where the directory holds an
    /// `eval.csv` ([`read_noise_free`]); empty otherwise.
    pub noise_free: BTreeMap<String, Vec<f64>>,
}

/// The scores of the runs in `dir` within `budget`.
pub fn task_scores(
    dir: &Path,
    runs: &[RunReturns],
    last: usize,
    budget: Budget,
) -> Result<TaskScores> {
    match budget {
        Budget::Episodes => episode_scores(dir, runs, last),
        Budget::Steps(n) => step_scores(dir, runs, last, n),
    }
}

/// Every run must have as many episodes as the others: a curve's area depends on its length.
fn episode_scores(dir: &Path, runs: &[RunReturns], last: usize) -> Result<TaskScores> {
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
        budget: Budget::Episodes,
        final_return: BTreeMap::new(),
        auc: BTreeMap::new(),
        noise_free: BTreeMap::new(),
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

/// Every run must have taken at least `n` steps.
fn step_scores(dir: &Path, runs: &[RunReturns], last: usize, n: u64) -> Result<TaskScores> {
    if n == 0 {
        bail!("a step budget must be at least 1 step");
    }
    let mut t = TaskScores {
        dir: dir.to_path_buf(),
        episodes: 0,
        budget: Budget::Steps(n),
        final_return: BTreeMap::new(),
        auc: BTreeMap::new(),
        noise_free: BTreeMap::new(),
    };
    for r in runs {
        let curve = steps::StepCurve::new(&r.ends, &r.returns)
            .with_context(|| format!("{} has no step curve", r.dir.display()))?;
        if curve.total() < n {
            bail!(
                "{} has taken {} environment steps, fewer than the {n} compared (the shortest run below {} has {}): train it on or compare fewer",
                r.dir.display(),
                curve.total(),
                dir.display(),
                runs.iter()
                    .filter_map(|r| r.ends.last())
                    .min()
                    .unwrap_or(&0)
            );
        }
        let agent = r.agent.clone();
        t.final_return
            .entry(agent.clone())
            .or_default()
            .push(curve.final_by(n, last));
        t.auc
            .entry(agent)
            .or_default()
            .push(curve.mean_to(n, AREA_POINTS));
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
    /// The median run ([`stats::median_run`]).
    pub median: Interval,
}

/// Which score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Score {
    /// Mean return of the last episodes.
    Final,
    /// Mean return over all episodes.
    Auc,
    /// Return without exploration noise, of each run as trained.
    NoiseFree,
}

impl Score {
    fn name(self) -> &'static str {
        match self {
            Self::Final => "final return",
            Self::Auc => "area under the curve",
            Self::NoiseFree => "noise-free return, as trained",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Self::Final => "final",
            Self::Auc => "auc",
            Self::NoiseFree => "noise_free",
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
    let stream = |score: Score, what: &str| ChiRng::new(stream_seed(settings.seed, score, what));
    let mut agents = Vec::new();
    let mut improvement = Vec::new();
    for score in [Score::Final, Score::Auc, Score::NoiseFree] {
        let by_agent = match score {
            Score::Final => &scores.final_return,
            Score::Auc => &scores.auc,
            Score::NoiseFree => &scores.noise_free,
        };
        // No eval.csv, no noise-free score.
        if by_agent.is_empty() {
            continue;
        }
        let matrix = |runs: &Vec<f64>| {
            Scores::new(vec![runs.clone()]).context("an agent's scores are not finite")
        };
        let mut rows = Vec::new();
        for (agent, runs) in by_agent {
            let s = matrix(runs)?;
            let mut rng = stream(score, agent);
            rows.push(AgentSummary {
                agent: agent.clone(),
                runs: runs.len(),
                iqm: stats::bootstrap(&s, stats::iqm, settings.reps, &mut rng),
                mean: stats::bootstrap(&s, stats::mean, settings.reps, &mut rng),
                median: stats::bootstrap(&s, stats::median_run, settings.reps, &mut rng),
            });
        }
        agents.push((score, rows));
        if let Some(chi) = by_agent.get("chi") {
            let x = matrix(chi)?;
            let mut over = Vec::new();
            for (agent, runs) in by_agent.iter().filter(|(a, _)| *a != "chi") {
                let y = matrix(runs)?;
                let mut rng = stream(score, &format!("chi > {agent}"));
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

/// The seed of one estimate's resampling: the report's seed, the score and the agent (or
/// the pair) hashed (FNV-1a), so an estimate's interval is the same whichever other agents
/// share the directory: a report regenerated as runs of another agent arrive moves only
/// that agent's rows.
fn stream_seed(seed: u64, score: Score, what: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in score.key().bytes().chain([0]).chain(what.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn show(i: &Interval) -> String {
    format!("{:.2} [{:.2}, {:.2}]", i.point, i.low, i.high)
}

impl TaskReport {
    /// The report as markdown: a table per score and the probabilities of improvement.
    pub fn markdown(&self, settings: Settings) -> String {
        let mut out = String::new();
        let _ = match self.scores.budget {
            Budget::Episodes => writeln!(
                out,
                "### {} ({} episodes a run; final return: the mean of the last {})\n",
                self.scores.dir.display(),
                self.scores.episodes,
                settings.last
            ),
            Budget::Steps(n) => writeln!(
                out,
                "### {} (the first {n} environment steps of each run; final return: the mean of the last {} episodes ended by then; area: the curve's mean at {AREA_POINTS} points)\n",
                self.scores.dir.display(),
                settings.last
            ),
        };
        for (score, rows) in &self.agents {
            let _ = writeln!(
                out,
                "| {} | runs | IQM [95% CI] | mean [95% CI] | median run [95% CI] |\n|---|---|---|---|---|",
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
            ends: (1..=returns.len() as u64).map(|e| 10 * e).collect(),
        }
    }

    #[test]
    fn scores_are_the_last_episodes_and_the_whole_curve() {
        let runs = [
            run("chi", &[0.0, 1.0, 2.0, 3.0]),
            run("sac", &[0.0, 0.0, 1.0, 1.0]),
        ];
        let t = task_scores(Path::new("runs"), &runs, 2, Budget::Episodes).unwrap();
        assert_eq!(t.final_return["chi"], [2.5]);
        assert_eq!(t.auc["sac"], [0.5]);
        let short = [run("chi", &[0.0, 1.0]), run("sac", &[0.0, 0.0, 1.0])];
        let err = task_scores(Path::new("runs"), &short, 1, Budget::Episodes)
            .unwrap_err()
            .to_string();
        assert!(err.contains("the same length"), "{err}");
        let err = task_scores(Path::new("runs"), &runs[..1], 5, Budget::Episodes)
            .unwrap_err()
            .to_string();
        assert!(err.contains("fewer than the last 5"), "{err}");
    }

    #[test]
    fn runs_whose_episodes_end_early_are_compared_at_equal_steps() {
        // CHI's episodes last 20 steps (returns 2), SAC's 10 (returns 1): after 100 steps
        // CHI has 5 episodes, SAC 10, and both are read up to step 100 only.
        let run_of = |agent: &str, len: u64, ret: f64, episodes: u64| RunReturns {
            dir: PathBuf::from(format!("runs/{agent}")),
            agent: agent.to_string(),
            returns: (0..episodes).map(|e| ret * (e + 1) as f64).collect(),
            ends: (1..=episodes).map(|e| len * e).collect(),
        };
        let runs = [run_of("chi", 20, 2.0, 8), run_of("sac", 10, 1.0, 12)];
        let t = task_scores(Path::new("runs"), &runs, 2, Budget::Steps(100)).unwrap();
        // The last two episodes ended by step 100: CHI's 4th and 5th, SAC's 9th and 10th.
        assert_eq!(t.final_return["chi"], [9.0]);
        assert_eq!(t.final_return["sac"], [9.5]);
        // CHI's curve at steps 1..=100: 2 until step 39, then 4, 6, 8, 10 for 20 steps each
        // (10 from step 100 only).
        let chi_area = (39.0 * 2.0 + 20.0 * 4.0 + 20.0 * 6.0 + 20.0 * 8.0 + 10.0) / 100.0;
        assert!((t.auc["chi"][0] - chi_area).abs() < 1e-12, "{:?}", t.auc);
        let err = task_scores(Path::new("runs"), &runs, 2, Budget::Steps(150))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("runs/sac has taken 120 environment steps"),
            "{err}"
        );
        assert!(err.contains("the shortest run below runs has 120"), "{err}");
        assert!(task_scores(Path::new("runs"), &runs, 2, Budget::Steps(0)).is_err());
        // Episodes of different lengths may not be compared by episode.
        let err = task_scores(Path::new("runs"), &runs, 2, Budget::Episodes)
            .unwrap_err()
            .to_string();
        assert!(err.contains("the same length"), "{err}");
    }

    #[test]
    fn noise_free_returns_are_a_third_score_where_the_runs_were_evaluated() {
        let dir = std::env::temp_dir().join(format!("chi-report-eval-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(
            read_noise_free(&dir).unwrap().is_none(),
            "no eval.csv: none"
        );
        let header = "run,agent,episodes_trained,eval_episodes,eval_return_mean,eval_goal_reached,eval_goal_step_mean";
        std::fs::write(
            dir.join("eval.csv"),
            format!("{header}\nchi-seed0,chi,200,10,-4.2,0,\nchi-seed1,chi,200,10,-4.3,0,\nsac-seed0,sac,200,10,-5.9,0,\nchi-nocf-seed0,chi,200,10,-6.0,0,\n"),
        )
        .unwrap();
        let mut noise_free = read_noise_free(&dir).unwrap().unwrap();
        assert_eq!(noise_free["chi"], [-4.2, -4.3]);
        assert_eq!(
            noise_free.remove("chi-nocf"),
            Some(vec![-6.0]),
            "a variant is labelled by its run's directory, as its metrics are"
        );
        let runs = [run("chi", &[-20.0, -15.0]), run("sac", &[-20.0, -14.0])];
        let mut t = task_scores(&dir, &runs, 1, Budget::Episodes).unwrap();
        t.noise_free = noise_free;
        let settings = Settings {
            reps: 500,
            ..Settings::default()
        };
        let r = report(t, settings).unwrap();
        let md = r.markdown(settings);
        assert!(
            md.contains("| noise-free return, as trained | runs |"),
            "{md}"
        );
        assert!(
            md.contains("P(chi > sac), noise-free return, as trained: 1.00"),
            "{md}"
        );
        assert!(md.contains("P(chi > sac), final return: 0.00"), "{md}");
        assert!(
            r.csv_rows()
                .contains(",noise_free,chi>sac,probability_of_improvement,1.0")
        );
        // A run whose evaluation failed is an error, not a missing score.
        std::fs::write(
            dir.join("eval.csv"),
            format!("{header}\nchi-seed0,eval failed\n"),
        )
        .unwrap();
        let err = read_noise_free(&dir).unwrap_err().to_string();
        assert!(err.contains("line 2 has 2 cells"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
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
        let t = task_scores(Path::new("runs"), &runs, 3, Budget::Episodes).unwrap();
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

    #[test]
    fn an_agents_intervals_do_not_move_when_another_agent_joins() {
        let runs = |agents: &[&str]| -> Vec<RunReturns> {
            (0..6)
                .flat_map(|i| {
                    let x = f64::from(i * i % 7);
                    agents.iter().map(move |a| run(a, &[x, x + 1.0, x * 2.0]))
                })
                .collect()
        };
        let settings = Settings {
            reps: 300,
            ..Settings::default()
        };
        let rows = |agents: &[&str]| {
            let t = task_scores(Path::new("runs"), &runs(agents), 2, Budget::Episodes).unwrap();
            let r = report(t, settings).unwrap();
            let chi = r.agents[0].1.iter().find(|a| a.agent == "chi").unwrap();
            let sac = r.improvement[0].1.iter().find(|(a, _)| a == "sac").unwrap();
            (chi.iqm, chi.median, sac.1)
        };
        let before = rows(&["chi", "sac"]);
        assert_eq!(before, rows(&["chi", "sac", "cem"]));
        assert_eq!(
            before,
            rows(&["aaa", "chi", "sac"]),
            "an agent sorted first"
        );
        assert!(before.0.low < before.0.high, "{before:?}");
    }
}
