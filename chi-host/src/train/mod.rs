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
use chi_embedded::budget::Unlimited;
use chi_embedded::bundle::owned::BundleSpec;
use chi_embedded::bundle::{Dims, Header, Precision};
use chi_embedded::controller::{Controller, ControllerConfig};
use chi_embedded::dynamics::{Dynamics, Reward};
use chi_embedded::rng::ChiRng;
use chi_embedded::task::Task;

use crate::config::{AgentKind, CounterfactualSource, TrainConfig};
use crate::ensemble_trainer::EnsembleTrainer;
use crate::env::Env;
use crate::figure1;
use crate::host_nets::{HostEnsemble, HostPolicy, TerminalValue};
use crate::replay::{Batch, ReplayBuffer};
use crate::sac::{Sac, SacLosses};
use crate::tasks::point_mass::PointMass;
use crate::world::{self, GoalProgress, World};

mod agents;
mod checkpoint;
mod evaluation;
mod metrics;

pub use crate::config::{HORIZON, PLANNER_SAMPLES};
pub use agents::{HostCem, HostChi};
pub use evaluation::Evaluation;
use metrics::CSV_HEADER;
pub use metrics::EpisodeMetrics;

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
        if run.dir.join("checkpoint/state.toml").exists() {
            run.load()?;
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
        if !dir.join("checkpoint/state.toml").exists() {
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

    /// Rolls `count` action sequences drawn from `proposal` through the ensemble, sequence
    /// `k` through member `k mod E`, and keeps every transition: the suboptimal and optimal
    /// data the planner would otherwise throw away (Appendix G).
    fn store_counterfactuals(
        &mut self,
        chi: &mut HostChi<W::Task, S, A>,
        state: [f32; S],
        proposal: &chi_embedded::plan::Plan<A, HORIZON>,
        rng: &mut ChiRng,
    ) {
        let count = self.config.chi.counterfactual_per_step;
        let members = Dynamics::<S, A>::members(chi.dynamics()).max(1);
        let task = self.task;
        let mut states = vec![state; count];
        // A sequence that lands in a terminal state stores that transition as terminal and
        // nothing after it (as MBPO's model rollouts do).
        let mut alive = vec![true; count];
        for (mean, std) in proposal.mean.iter().zip(&proposal.std) {
            let actions: Vec<[f32; A]> = (0..count)
                .map(|_| {
                    core::array::from_fn(|d| (mean[d] + std[d] * rng.normal()).clamp(-1.0, 1.0))
                })
                .collect();
            let mut next = states.clone();
            for member in 0..members {
                let rows: Vec<usize> = (member..count).step_by(members).collect();
                let s: Vec<[f32; S]> = rows.iter().map(|&k| states[k]).collect();
                let a: Vec<[f32; A]> = rows.iter().map(|&k| actions[k]).collect();
                let mut n = s.clone();
                chi.dynamics().predict(member, &s, &a, &mut n);
                for (&k, n) in rows.iter().zip(n) {
                    next[k] = n;
                }
            }
            for (((s, a), n), live) in states.iter().zip(&actions).zip(&next).zip(&mut alive) {
                if *live {
                    let done = task.terminated(n);
                    self.model.push(s, a, task.reward(s, a, n), n, done);
                    *live = !done;
                }
            }
            states = next;
        }
    }

    /// Runs one training episode, refits, logs and checkpoints.
    pub fn episode(&mut self) -> Result<EpisodeMetrics> {
        let started = Instant::now();
        let episode = self.episodes_done;
        let mut act_rng = stream(self.seed, episode, 1);
        let mut learn_rng = stream(self.seed, episode, 2);
        let random = episode < self.config.random_episodes;
        let mut env = W::env(&self.task, &self.config)?;
        let mut s = env.reset(self.seed ^ u64::from(episode));
        let planner_seed = self.seed ^ (u64::from(episode) << 20);
        let mut chi = match (self.agent, random) {
            (AgentKind::Chi, false) => Some(self.controller(planner_seed)?),
            _ => None,
        };
        let mut cem = match (self.agent, random) {
            (AgentKind::Cem, false) => Some(HostCem::new(
                HostEnsemble::from_spec(&self.spec(PLANNER_SAMPLES as u32)?),
                self.task,
                planner_seed,
            )),
            _ => None,
        };
        let mut goal = GoalProgress::start::<S, A, W>(&s);
        let mut m = EpisodeMetrics {
            episode,
            env_steps: self.env_steps,
            ret: 0.0,
            first_success: 0,
            closest: f32::NAN,
            plan_shift: 0.0,
            plan_kl: 0.0,
            amortised_std: 0.0,
            early_exit: 0.0,
            iterations: 0.0,
            model_nll: f32::NAN,
            critic_loss: 0.0,
            actor_loss: 0.0,
            seconds: 0.0,
        };
        let (mut losses, mut updates) = (SacLosses::default(), 0u32);
        let mut snapshot = None;
        let steps = self.config.episode_steps;
        for t in 1..=steps {
            let action: [f32; A] = if random {
                core::array::from_fn(|_| act_rng.symmetric_uniform())
            } else if let Some(chi) = chi.as_mut() {
                self.follow_sac(chi)?;
                let d = chi.act(&s, &mut Unlimited);
                if t == 1 && W::FIGURE1 {
                    let posterior_states = chi.expected_states(&s, &d.posterior);
                    snapshot = W::snapshot(episode, &s, &d, posterior_states);
                }
                m.plan_shift += d.posterior.mean_distance(&d.amortised);
                m.plan_kl += d.amortised.kl_divergence(&d.posterior);
                m.amortised_std += d.amortised.first_std_max();
                m.early_exit += f32::from(u8::from(d.early_exit));
                m.iterations += d.refinement.iterations as f32;
                if self.config.chi.counterfactual {
                    let proposal = match self.config.chi.counterfactual_source {
                        CounterfactualSource::Amortised => d.amortised,
                        CounterfactualSource::Posterior => d.posterior,
                    };
                    self.store_counterfactuals(chi, s, &proposal, &mut act_rng);
                }
                let noise = self.config.chi.action_noise;
                d.action
                    .map(|a| (a + noise * act_rng.normal()).clamp(-1.0, 1.0))
            } else if let Some(cem) = cem.as_mut() {
                let noise = self.config.cem.action_noise;
                cem.act(&self.config.cem.planner, &s)
                    .map(|a| (a + noise * act_rng.normal()).clamp(-1.0, 1.0))
            } else {
                let a = self.sac.act(&s, false, &mut act_rng)?;
                <[f32; A]>::try_from(a.as_slice())
                    .with_context(|| format!("SAC gave {} actions, not {A}", a.len()))?
            };
            let step = env.step(&action);
            self.real
                .push(&s, &action, step.reward, &step.obs, step.terminated);
            self.env_steps += 1;
            m.ret += step.reward;
            goal.observe::<S, A, W>(t, &step.obs);
            s = step.obs;
            if self.agent != AgentKind::Cem && self.real.len() >= self.config.sac.batch {
                for _ in 0..self.config.updates_per_step {
                    let batch = self.sac_batch(&mut learn_rng);
                    let l = self.sac.update(&batch, &mut learn_rng)?;
                    losses.critic += l.critic;
                    losses.actor += l.actor;
                    updates += 1;
                }
            }
            if step.terminated || step.truncated {
                break;
            }
        }
        if self.agent != AgentKind::Sac {
            m.model_nll = self.ensemble.fit(&self.real, &mut learn_rng)?;
        }
        let n = steps.max(1) as f32;
        for v in [
            &mut m.plan_shift,
            &mut m.plan_kl,
            &mut m.amortised_std,
            &mut m.early_exit,
            &mut m.iterations,
        ] {
            *v /= n;
        }
        m.first_success = goal.first_success.unwrap_or(0);
        m.closest = goal.closest;
        m.critic_loss = losses.critic / updates.max(1) as f32;
        m.actor_loss = losses.actor / updates.max(1) as f32;
        m.env_steps = self.env_steps;
        m.seconds = started.elapsed().as_secs_f32();
        self.episodes_done += 1;
        let mut f = fs::OpenOptions::new()
            .append(true)
            .open(self.dir.join("metrics.csv"))?;
        writeln!(f, "{}", m.csv(self.agent, self.seed))?;
        if let Some(snapshot) = &snapshot {
            figure1::append(&self.dir, snapshot)?;
        }
        self.save()?;
        Ok(m)
    }
}
