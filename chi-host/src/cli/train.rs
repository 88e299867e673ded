//! `chi train`: runs of one agent over seeds on a task.

use std::path::{Path, PathBuf};

use anyhow::Result;
use chi_host::config::{AgentKind, Preset, TrainConfig};
use chi_host::tasks::{self, Visitor};
use chi_host::train::Run;
use chi_host::world::World;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(clap::Args)]
pub struct Args {
    /// The task (`chi tasks` lists them).
    #[arg(long, default_value = "point-mass")]
    env: String,
    /// The agent.
    #[arg(long, value_enum, default_value = "chi")]
    agent: AgentKind,
    /// Seeds: one (`3`), a range (`0..5`) or a list (`0,2,4`).
    #[arg(long, default_value = "0", value_parser = parse_seeds)]
    seeds: Seeds,
    /// Starting settings.
    #[arg(long, value_enum, default_value = "paper")]
    preset: Preset,
    /// TOML file overriding any setting (see a run's config.toml for the keys).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Episodes (overrides the config).
    #[arg(long)]
    episodes: Option<u32>,
    /// Environment steps: stop after the episode that reaches them (or after the episodes,
    /// whichever is first). For tasks whose episodes end early, where agents are compared
    /// at equal steps (`chi report --steps`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    steps: Option<u64>,
    /// Turn off SAC's training on the planner's counterfactual rollouts (Appendix G).
    #[arg(long)]
    no_counterfactual: bool,
    /// CHI's planner adds a value at the horizon to each sequence's return (the value past
    /// the horizon of the paper's Section 5): a network fitted to SAC's critics, exported in
    /// the bundle so the board plans with it too. On in the board presets, off in the paper
    /// preset; `--terminal-value false` runs the paper's Eq. 4 alone.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    terminal_value: Option<bool>,
    /// Tune SAC's temperature so the policy's entropy tracks this many nats a state (SAC's
    /// usual is minus the number of actions: -2 on the point mass), instead of the paper's
    /// fixed alpha = 0.2: the policy then narrows where the task allows, and the
    /// controller's early exit skips planning there.
    #[arg(long, value_name = "NATS", allow_negative_numbers = true)]
    target_entropy: Option<f64>,
    /// CHI's habitual exit while training, `AGREE,TRUST,CHECK` (skip planning after TRUST
    /// planned steps in a row moved the executed action by less than AGREE of the policy's
    /// sigma, planning one step in CHECK to check) or `off`; `[chi.habit]` in a config.
    #[arg(long, value_name = "AGREE,TRUST,CHECK", value_parser = super::parse_habit)]
    habit: Option<chi_embedded::habit::HabitConfig>,
    /// A task parameter, `name=value` (repeatable; `chi tasks` lists them), e.g.
    /// `--param opening_centre=0.85` for the point mass's wall.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Where runs go.
    #[arg(long, default_value = "runs")]
    out: PathBuf,
    /// Resume from the checkpoint before the newest (kept for when the newest cannot be
    /// read); the newest is set aside as `checkpoint.refused`.
    #[arg(long)]
    from_previous: bool,
}

/// Seeds parsed from the command line.
#[derive(Clone, Debug)]
pub struct Seeds(Vec<u64>);

fn parse_seeds(text: &str) -> Result<Seeds, String> {
    let bad = |_| format!("'{text}' is not a seed, a range a..b or a list a,b,c");
    if let Some((a, b)) = text.split_once("..") {
        let (a, b): (u64, u64) = (a.parse().map_err(bad)?, b.parse().map_err(bad)?);
        if a >= b {
            return Err(format!("empty seed range '{text}'"));
        }
        return Ok(Seeds((a..b).collect()));
    }
    text.split(',')
        .map(|s| s.trim().parse().map_err(bad))
        .collect::<Result<_, _>>()
        .map(Seeds)
}

impl Args {
    pub fn run(self) -> Result<()> {
        let env = self.env.clone();
        tasks::dispatch(&env, self)?
    }
}

impl Visitor for Args {
    type Out = Result<()>;

    fn visit<const S: usize, const A: usize, W: World<S, A>>(self) -> Result<()> {
        let mut c = W::preset(self.preset);
        if let Some(path) = &self.config {
            c = c.with_file(path)?;
        }
        c.episodes = self.episodes.unwrap_or(c.episodes);
        c.step_budget = self.steps.or(c.step_budget);
        c.chi.counterfactual &= !self.no_counterfactual;
        c.chi.terminal_value = self.terminal_value.unwrap_or(c.chi.terminal_value);
        c.sac.target_entropy = self.target_entropy.or(c.sac.target_entropy);
        c.chi.habit = self.habit.unwrap_or(c.chi.habit);
        super::parse_params(&self.params, &mut c.task)?;
        for &seed in &self.seeds.0 {
            train_one::<S, A, W>(self.agent, seed, c.clone(), &self.out, self.from_previous)?;
        }
        Ok(())
    }
}

fn train_one<const S: usize, const A: usize, W: World<S, A>>(
    agent: AgentKind,
    seed: u64,
    config: TrainConfig,
    out: &Path,
    from_previous: bool,
) -> Result<()> {
    let dir = out.join(format!("{}-seed{seed}", agent.name()));
    if from_previous {
        let n = chi_host::train::use_previous(&dir)?;
        eprintln!(
            "chi: {} goes back to its checkpoint after episode {n}",
            dir.display()
        );
    }
    let mut run = Run::<S, A, W>::open(agent, seed, config, &dir)?;
    // The bar counts what ends the run: episodes, or steps under a step budget.
    let budget = run.config().step_budget;
    let (total, unit) = match budget {
        Some(n) => (n, "steps"),
        None => (u64::from(run.config().episodes), "episodes"),
    };
    let done = |r: &Run<S, A, W>| match budget {
        Some(_) => r.env_steps(),
        None => u64::from(r.episodes_done()),
    };
    let bar = ProgressBar::new(total).with_position(done(&run).min(total));
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{prefix}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{elapsed_precise}} (eta {{eta}}) {{msg}}"
        ))?
        .progress_chars("=> "),
    );
    bar.set_prefix(format!("{} seed {seed}", agent.name()));
    if run.episodes_done() > 0 {
        eprintln!(
            "chi: resuming {} at episode {}",
            dir.display(),
            run.episodes_done()
        );
    }
    while !run.finished() {
        let m = run.episode().map_err(|e| {
            let kept = match run.episodes_done() {
                0 => "no episode had finished".to_string(),
                n => format!(
                    "its checkpoint after episode {n} is kept; rerunning resumes from there"
                ),
            };
            e.context(format!("{} stopped ({kept})", dir.display()))
        })?;
        let goal = match m.first_success {
            0 => String::new(),
            n => format!(", goal at {n}"),
        };
        bar.set_message(format!(
            "return {:.2}{goal}, plan shift {:.3}",
            m.ret, m.plan_shift
        ));
        bar.set_position(done(&run).min(total));
    }
    bar.finish();
    println!(
        "{}: metrics in {}",
        dir.display(),
        dir.join("metrics.csv").display()
    );
    Ok(())
}
