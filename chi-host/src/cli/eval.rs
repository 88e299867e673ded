//! `chi eval`: noise-free episodes of a trained run, or its planners at several iteration
//! counts.

use std::path::PathBuf;

use anyhow::Result;
use chi_embedded::planner::Propagation;
use chi_host::config::AgentKind;
use chi_host::tasks::Visitor;
use chi_host::train::{PLANNER_SAMPLES, Run};
use chi_host::world::World;

use super::mean;

#[derive(clap::Args)]
pub struct Args {
    /// The run directory (OUT/<agent>-seed<N> of `chi train`).
    #[arg(long)]
    run: PathBuf,
    /// Episodes (environment and planner seeds 0..N).
    #[arg(long, default_value_t = 5)]
    episodes: u32,
    /// Instead, compare planners on the run's model: CHI and CEM-MPC at each of these
    /// iteration counts (a list: `1,3,5`), mean return over the episodes.
    #[arg(long, value_delimiter = ',')]
    iterations: Vec<u32>,
    /// Print one CSV row (run, agent, episodes trained, eval episodes, mean return, goal
    /// reached, mean goal step) instead of the report, for experiment tables.
    #[arg(long, conflicts_with = "iterations")]
    csv: bool,
}

impl Args {
    pub fn run(self) -> Result<()> {
        super::on_run(&self.run.clone(), self)
    }
}

impl Visitor for Args {
    type Out = Result<()>;

    fn visit<const S: usize, const A: usize, W: World<S, A>>(self) -> Result<()> {
        let r = Run::<S, A, W>::reopen(&self.run)?;
        if !self.iterations.is_empty() {
            return sweep(&r, self.episodes, &self.iterations);
        }
        let results = r.evaluate(self.episodes)?;
        let returns: Vec<f32> = results.iter().map(|e| e.ret).collect();
        let steps: Vec<f32> = results
            .iter()
            .filter_map(|e| e.first_success.map(|s| s as f32))
            .collect();
        let (mean_return, reached) = (mean(&returns), steps.len());
        if self.csv {
            let name = self.run.file_name().map_or_else(
                || self.run.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            let goal_step = if steps.is_empty() {
                String::new()
            } else {
                format!("{:.1}", mean(&steps))
            };
            println!(
                "{name},{},{},{},{mean_return:.3},{reached},{goal_step}",
                r.agent().name(),
                r.episodes_done(),
                results.len()
            );
            return Ok(());
        }
        let has_goal = results.iter().any(|e| !e.closest.is_nan());
        println!(
            "{} ({} after {} episodes): mean return {mean_return:.3} over {} noise-free episodes{}",
            self.run.display(),
            r.agent().name(),
            r.episodes_done(),
            results.len(),
            if has_goal {
                format!(", goal reached in {reached}")
            } else {
                String::new()
            }
        );
        for (i, e) in results.iter().enumerate() {
            let goal = if has_goal {
                format!(
                    ", goal {}, closest {:.3}",
                    super::goal_step(e.first_success),
                    e.closest
                )
            } else {
                String::new()
            };
            println!(
                "  episode {i}: return {:.3} over {} steps{goal}",
                e.ret, e.steps
            );
        }
        Ok(())
    }
}

/// CHI and CEM-MPC at each iteration count on a run's learned model: mean return, and the
/// model rows a step each evaluates (iterations x K x members, or x K with one member per
/// sample).
fn sweep<const S: usize, const A: usize, W: World<S, A>>(
    run: &Run<S, A, W>,
    episodes: u32,
    iterations: &[u32],
) -> Result<()> {
    let seeds: Vec<u64> = (0..u64::from(episodes.max(1))).collect();
    let random = mean(&run.random_returns(&seeds)?);
    println!(
        "planners on the learned model of {} episodes, {} noise-free episodes (planner seeds 0..{}); random policy {random:.3}",
        run.episodes_done(),
        seeds.len(),
        seeds.len()
    );
    println!("agent  iterations  model rows a step  mean return");
    for &i in iterations {
        for (agent, config) in [
            (AgentKind::Chi, run.config().chi.planner),
            (AgentKind::Cem, run.config().cem.planner),
        ] {
            let members = match config.propagation {
                Propagation::AllMembers => run.config().ensemble.members,
                Propagation::OnePerSample => 1,
            };
            let rows = u64::from(i) * PLANNER_SAMPLES as u64 * members as u64;
            let ret = mean(&run.planner_returns(agent, i, &seeds)?);
            println!("{:<6} {i:>10}  {rows:>17}  {ret:>11.3}", agent.name());
        }
    }
    Ok(())
}
