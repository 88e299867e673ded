//! A training run of one agent and one seed on one task ([`World`]): act, store, learn, log
//! one CSV row per episode, checkpoint after every episode so a killed run resumes where it
//! stopped.
//!
//! The data path: env -> replay buffer -> SAC and ensemble trainers -> bundle spec -> the
//! controller (chi-embedded's, with the spec's networks on the host) -> action.

use std::fs;
use std::io::Write;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chi_embedded::bundle::owned::BundleSpec;
use chi_embedded::bundle::{Dims, Header, Precision};
use chi_embedded::controller::{Controller, ControllerConfig};
use chi_embedded::rng::ChiRng;
use chi_embedded::task::Task;

use crate::config::{AgentKind, TrainConfig};
use crate::ensemble_trainer::EnsembleTrainer;
use crate::env::Step;
use crate::figure1;
use crate::host_nets::{HostEnsemble, HostPolicy, TerminalValue};
use crate::replay::{Batch, ReplayBuffer};
use crate::rollout::{Driver, rollout};
use crate::sac::{Sac, SacLosses};
use crate::tasks::point_mass::PointMass;
use crate::world::{self, GoalProgress, World};

mod agents;
mod checkpoint;
pub use checkpoint::use_previous;
mod evaluation;
mod metrics;

pub use crate::config::{HORIZON, PLANNER_SAMPLES};
pub use agents::{HostCem, HostChi};
pub use evaluation::Evaluation;
use metrics::CSV_HEADER;
pub use metrics::{EpisodeMetrics, MetricsTable, run_label};

/// The hidden non-linearity of SAC's actor and value network.
const POLICY_ACTIVATION: chi_embedded::nn::Activation = chi_embedded::nn::Activation::Relu;

/// One agent, one seed, one task `W` (`S` observations, `A` actions), its learners, data
/// and files.
pub struct Run<const S: usize, const A: usize, W: World<S, A>> {
    agent: AgentKind,
    task: W::Task,
    seed: u64,
    config: TrainConfig,
    dir: PathBuf,
    sac: Sac,
    ensemble: EnsembleTrainer,
    real: ReplayBuffer,
    model: ReplayBuffer,
    episodes_done: u32,
    env_steps: u64,
    world: PhantomData<W>,
}

/// A run on the point mass.
pub type PointMassRun = Run<2, 2, PointMass>;

/// A seed for stream `stream` of episode `episode`: every episode draws from its own
/// streams, so a resumed run acts as an uninterrupted one would.
fn stream(seed: u64, episode: u32, stream: u64) -> ChiRng {
    ChiRng::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (u64::from(episode) << 8) ^ stream)
}

impl<const S: usize, const A: usize, W: World<S, A>> Run<S, A, W> {
    /// SAC's actor (and the value network) read raw states: the bundle's policy normaliser
    /// is the identity.
    const POLICY_INPUT_MEAN: [f32; S] = [0.0; S];
    const POLICY_INPUT_INV_STD: [f32; S] = [1.0; S];

    /// A run writing into `dir` (created); resumes from a checkpoint there if one exists and
    /// was made with the same configuration.
    pub fn open(agent: AgentKind, seed: u64, mut config: TrainConfig, dir: &Path) -> Result<Self> {
        let task = world::task::<W::Task, S, A>(&config)?;
        // The run records every parameter, so its config.toml says exactly what it trained on.
        config.task = world::named_params(&task);
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut sac = Sac::new(config.sac, S, A, seed)?;
        if agent == AgentKind::Chi && config.chi.terminal_value {
            sac.add_value(seed)?;
        }
        let ensemble = EnsembleTrainer::new(config.ensemble, S, A, seed ^ 0xE5)?;
        let mut run = Self {
            agent,
            task,
            seed,
            real: ReplayBuffer::new(S, A, config.replay_capacity),
            model: ReplayBuffer::new(S, A, config.replay_capacity),
            config,
            dir: dir.to_path_buf(),
            sac,
            ensemble,
            episodes_done: 0,
            env_steps: 0,
            world: PhantomData,
        };
        if checkpoint::saved(&run.dir) {
            run.resume()?;
        } else {
            let mut f = fs::File::create(run.dir.join("metrics.csv"))?;
            writeln!(f, "{CSV_HEADER}")?;
            fs::write(run.dir.join("config.toml"), toml::to_string(&run.config)?)?;
            let identity =
                toml::toml! { agent = (agent.name()) seed = (seed as i64) env = (W::Task::NAME) };
            fs::write(run.dir.join("run.toml"), toml::to_string(&identity)?)?;
        }
        Ok(run)
    }

    /// Reopens the run in `dir` as it was saved (for export and evaluation).
    pub fn reopen(dir: &Path) -> Result<Self> {
        let read = |name: &str| -> Result<String> {
            fs::read_to_string(dir.join(name))
                .with_context(|| format!("{} is not a training run (no {name})", dir.display()))
        };
        let identity: toml::Table = toml::from_str(&read("run.toml")?)?;
        let task = world::recorded(&identity);
        if task != W::Task::NAME {
            bail!(
                "{} is a {task} run, not a {} one (pass --env {task})",
                dir.display(),
                W::Task::NAME
            );
        }
        let agent = match identity.get("agent").and_then(|v| v.as_str()) {
            Some("chi") => AgentKind::Chi,
            Some("sac") => AgentKind::Sac,
            Some("cem") => AgentKind::Cem,
            other => bail!("{}: unknown agent {other:?} in run.toml", dir.display()),
        };
        let seed = identity
            .get("seed")
            .and_then(|v| v.as_integer())
            .context("run.toml lacks the seed")?;
        let config: TrainConfig =
            toml::from_str(&read("config.toml")?).context("the run's config.toml")?;
        if !checkpoint::saved(dir) {
            bail!(
                "{} has no checkpoint yet (no episode finished)",
                dir.display()
            );
        }
        Self::open(agent, u64::try_from(seed)?, config, dir)
    }

    /// The agent.
    pub fn agent(&self) -> AgentKind {
        self.agent
    }

    /// Episodes completed so far.
    pub fn episodes_done(&self) -> u32 {
        self.episodes_done
    }

    /// Environment steps taken so far.
    pub fn env_steps(&self) -> u64 {
        self.env_steps
    }

    /// Whether the run has trained as long as its configuration says: all its episodes, or
    /// its step budget.
    pub fn finished(&self) -> bool {
        self.episodes_done >= self.config.episodes
            || self.config.step_budget.is_some_and(|n| self.env_steps >= n)
    }

    /// The configuration.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// The task, with the run's parameters.
    pub fn task(&self) -> &W::Task {
        &self.task
    }

    /// A fresh environment of the run's task and episode length.
    pub fn env(&self) -> Result<W::Env> {
        W::env(&self.task, &self.config)
    }

    /// The current networks as a bundle spec (f32), with `samples` as the planner size the
    /// bundle declares.
    pub fn spec(&self, samples: u32) -> Result<BundleSpec> {
        let norm = self.ensemble.normalisation();
        let c = &self.config;
        let value = self.sac.owned_value()?;
        Ok(BundleSpec {
            header: Header {
                dims: Dims {
                    state: S as u32,
                    action: A as u32,
                    members: c.ensemble.members as u32,
                    ensemble_hidden: c.ensemble.hidden as u32,
                    policy_hidden: c.sac.actor_hidden as u32,
                    horizon: HORIZON as u32,
                    samples,
                },
                precision: Precision::F32,
                ensemble_activation: c.ensemble.activation,
                policy_activation: POLICY_ACTIVATION,
                log_var_bounds: c.ensemble.log_var_bounds,
                log_std_bounds: c.sac.log_std_bounds,
                controller: ControllerConfig {
                    planner: c.chi.planner,
                    early_exit_sigma: c.chi.early_exit_sigma,
                    habit: c.chi.habit,
                },
                task: self.task.record(),
                terminal_value: value.is_some().then_some(self.value_weight()),
                seed: self.seed,
            },
            ensemble_input_mean: norm.in_mean.clone(),
            ensemble_input_inv_std: norm.in_inv_std.clone(),
            ensemble_output_mean: norm.out_mean.clone(),
            ensemble_output_std: norm.out_std.clone(),
            members: self.ensemble.owned_members()?,
            policy_input_mean: Self::POLICY_INPUT_MEAN.to_vec(),
            policy_input_inv_std: Self::POLICY_INPUT_INV_STD.to_vec(),
            policy: self.sac.owned_policy()?,
            value,
        })
    }

    /// The CHI controller of the current networks.
    pub fn controller(&self, planner_seed: u64) -> Result<HostChi<W::Task, S, A>> {
        let spec = self.spec(PLANNER_SAMPLES as u32)?;
        let config = spec.header.controller;
        let mut chi = Controller::new(
            HostPolicy::from_spec(&spec),
            HostEnsemble::from_spec(&spec),
            self.task,
            config,
            planner_seed,
        );
        self.follow_sac(&mut chi)?;
        Ok(chi)
    }

    /// Gives `chi` SAC's current actor and, where the agent has one, the value network past
    /// the horizon: the controller follows SAC as it trains without being rebuilt.
    fn follow_sac(&self, chi: &mut HostChi<W::Task, S, A>) -> Result<()> {
        let terminal = self.sac.owned_value()?.map(|layers| {
            TerminalValue::new(
                &layers,
                POLICY_ACTIVATION,
                self.value_weight(),
                &Self::POLICY_INPUT_MEAN,
                &Self::POLICY_INPUT_INV_STD,
            )
        });
        chi.dynamics().set_terminal_value(terminal);
        chi.policy_mut().set_layers(&self.sac.owned_policy()?);
        Ok(())
    }

    /// The value network's weight: the discount over the horizon, `gamma^H`, so the value
    /// counts from the step the planned sequence ends at, as the critic's own targets do.
    fn value_weight(&self) -> f32 {
        (self.config.sac.gamma as f32).powi(HORIZON as i32)
    }

    fn sac_batch(&self, rng: &mut ChiRng) -> Batch {
        let n = self.config.sac.batch;
        let use_model = self.agent == AgentKind::Chi
            && self.config.chi.counterfactual
            && !self.model.is_empty();
        if !use_model {
            return self.real.sample(n, rng);
        }
        // Appendix G: half the batch from the planner's counterfactual rollouts.
        let mut batch = self.real.sample(n - n / 2, rng);
        let extra = self.model.sample(n / 2, rng);
        batch.obs.extend(extra.obs);
        batch.actions.extend(extra.actions);
        batch.rewards.extend(extra.rewards);
        batch.next_obs.extend(extra.next_obs);
        batch.done.extend(extra.done);
        batch.len += extra.len;
        batch
    }

    /// Runs one training episode, refits, logs and checkpoints.
    pub fn episode(&mut self) -> Result<EpisodeMetrics> {
        let started = Instant::now();
        let episode = self.episodes_done;
        let mut env = W::env(&self.task, &self.config)?;
        let agent = agents::for_episode(self, episode, self.seed ^ (u64::from(episode) << 20))?;
        let (env_steps, seed) = (self.env_steps, self.seed);
        let mut training = Training {
            run: self,
            agent,
            act_rng: stream(seed, episode, 1),
            learn_rng: stream(seed, episode, 2),
            goal: None,
            losses: SacLosses::default(),
            updates: 0,
        };
        let outcome = rollout(&mut env, seed ^ u64::from(episode), &mut training)?;
        let Training {
            mut agent,
            mut learn_rng,
            goal,
            losses,
            updates,
            ..
        } = training;
        let mut m = EpisodeMetrics {
            episode,
            env_steps,
            ret: outcome.ret,
            first_success: 0,
            closest: f32::NAN,
            plan_shift: 0.0,
            plan_kl: 0.0,
            amortised_std: 0.0,
            early_exit: 0.0,
            iterations: 0.0,
            model_nll: f32::NAN,
            critic_loss: losses.critic / updates.max(1) as f32,
            actor_loss: losses.actor / updates.max(1) as f32,
            seconds: 0.0,
        };
        let snapshot = agent.finish(&mut m, outcome.steps);
        if let Some(goal) = goal {
            m.first_success = goal.first_success.unwrap_or(0);
            m.closest = goal.closest;
        }
        if self.agent.learns_model() {
            m.model_nll = self
                .ensemble
                .fit(&self.real, &mut learn_rng)
                .with_context(|| format!("episode {episode}, the ensemble's refit"))?;
        }
        // Checked before anything is written, so the checkpoint on disk stays the last good one.
        let trained = [
            self.agent.learns_policy().then(|| self.sac.non_finite()),
            self.agent
                .learns_model()
                .then(|| self.ensemble.non_finite()),
        ];
        if let Some(net) = trained.into_iter().flatten().flatten().next() {
            bail!("episode {episode}: {net} holds a weight that is not finite");
        }
        m.env_steps = self.env_steps;
        m.seconds = started.elapsed().as_secs_f32();
        self.episodes_done += 1;
        let logged = self.log(&m, snapshot.as_ref()).and_then(|()| self.save());
        if logged.is_err() {
            // The episode counts once its checkpoint is on disk; rows written without one
            // are dropped when the run resumes.
            self.episodes_done -= 1;
        }
        logged.map(|()| m)
    }

    fn log(&self, m: &EpisodeMetrics, snapshot: Option<&figure1::Snapshot>) -> Result<()> {
        let path = self.dir.join("metrics.csv");
        let mut f = fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        writeln!(f, "{}", m.csv(self.agent, self.seed))
            .with_context(|| format!("writing {}", path.display()))?;
        if let Some(snapshot) = snapshot {
            figure1::append(&self.dir, snapshot)?;
        }
        Ok(())
    }
}

/// One training episode in progress: the agent acts, every transition goes to the replay
/// buffer, and SAC learns after every step.
struct Training<'r, const S: usize, const A: usize, W: World<S, A>> {
    run: &'r mut Run<S, A, W>,
    agent: Box<dyn agents::Agent<S, A, W>>,
    act_rng: ChiRng,
    learn_rng: ChiRng,
    goal: Option<GoalProgress>,
    losses: SacLosses,
    updates: u32,
}

impl<const S: usize, const A: usize, W: World<S, A>> Driver<S, A> for Training<'_, S, A, W> {
    fn act(&mut self, step: u32, state: &[f32; S]) -> Result<[f32; A]> {
        self.agent.act(self.run, step, state, &mut self.act_rng)
    }

    fn observe(
        &mut self,
        step: u32,
        state: &[f32; S],
        action: &[f32; A],
        outcome: &Step<S>,
    ) -> Result<()> {
        let run = &mut *self.run;
        run.real.push(
            state,
            action,
            outcome.reward,
            &outcome.obs,
            outcome.terminated,
        );
        run.env_steps += 1;
        self.goal
            .get_or_insert_with(|| GoalProgress::start::<S, A, W>(state))
            .observe::<S, A, W>(step, &outcome.obs);
        if run.agent.learns_policy() && run.real.len() >= run.config.sac.batch {
            for _ in 0..run.config.updates_per_step {
                let batch = run.sac_batch(&mut self.learn_rng);
                let update = self.updates + 1;
                let l = run.sac.update(&batch, &mut self.learn_rng).with_context(|| {
                    format!(
                        "episode {}, environment step {step}, SAC update {update} of the episode",
                        run.episodes_done
                    )
                })?;
                self.losses.critic += l.critic;
                self.losses.actor += l.actor;
                self.updates += 1;
            }
        }
        Ok(())
    }
}
