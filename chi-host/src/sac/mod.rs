//! Soft Actor-Critic (Haarnoja et al. 2018): the amortised inference of CHI (paper
//! Section 3). Twin critics with target networks, a tanh-squashed Gaussian actor, and the
//! temperature fixed at 0.2 (paper Appendix C). All noise comes from a seeded [`ChiRng`].
//!
//! The networks are [`Mlp`]s and every gradient is written out here (the squashed
//! Gaussian's in [`squashed`]): a SAC update at CleanRL's sizes is then a dozen large
//! matrix products and a few passes over the batch, where a framework spends much of the
//! step allocating tensors and walking a graph. The tests check one update against the
//! same update through candle's autograd ([`reference`]).

use std::path::Path;

use anyhow::{Result, bail};
use chi_embedded::bundle::owned::{OwnedPolicy, OwnedValue};
use chi_embedded::policy::LogStdBounds;
use chi_embedded::rng::ChiRng;
use serde::{Deserialize, Serialize};

use crate::mlp::{self, Mlp};
use crate::optim::MlpAdam;
use crate::replay::Batch;

#[cfg(test)]
mod reference;
mod squashed;
mod temperature;

use temperature::Temperature;

/// SAC hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SacConfig {
    /// Width of the two hidden layers of the Q-networks (paper Appendix C: 256).
    pub critic_hidden: usize,
    /// Width of the actor's two hidden layers (the paper gives only the critics'; the actor
    /// is what the board evaluates, so it may be smaller).
    pub actor_hidden: usize,
    /// Entropy temperature alpha (paper Appendix C: 0.2, fixed); where tuning starts when
    /// `target_entropy` is set.
    pub alpha: f64,
    /// Tune alpha so the policy's entropy tracks this many nats a state (SAC's usual
    /// `-|A|`), instead of keeping it fixed. Written to a run's config.toml only when set:
    /// runs made before it existed kept alpha fixed, and still resume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_entropy: Option<f64>,
    /// Discount (SAC's default).
    pub gamma: f64,
    /// Target-network blend per update (SAC's default).
    pub tau: f64,
    /// Adam learning rate (SAC's default).
    pub learning_rate: f64,
    /// Batch size (SAC's default).
    pub batch: usize,
    /// Clamp of the actor's log-std (common SAC practice).
    pub log_std_bounds: LogStdBounds,
}

impl Default for SacConfig {
    fn default() -> Self {
        Self {
            critic_hidden: 256,
            actor_hidden: 256,
            alpha: 0.2,
            target_entropy: None,
            gamma: 0.99,
            tau: 0.005,
            learning_rate: 3e-4,
            batch: 256,
            log_std_bounds: LogStdBounds {
                min: -5.0,
                max: 2.0,
            },
        }
    }
}

/// Losses of one update.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SacLosses {
    /// Mean squared Bellman error of both critics.
    pub critic: f32,
    /// Actor loss `E[alpha log pi - min Q]`.
    pub actor: f32,
}

/// The state value `V(s) ~ min(Q1, Q2)(s, tanh(mu(s)))` at the actor's mode: what CHI's
/// planner adds past its horizon ([`chi_embedded::value`]). A network of its own rather
/// than the critics, so the board can afford it: the actor's shape with one output, against
/// two critics of `S + A -> 256 -> 256 -> 1` that would cost ~50 times more per sample.
/// Why the mode and not SAC's soft value: the controller executes the plan's mean, not a
/// sample of the policy.
struct ValueNet {
    net: Mlp,
    opt: MlpAdam,
}

impl ValueNet {
    /// `VALUE_STEPS` steps towards the critics at the actor's mode in the `n` states `s`;
    /// nothing flows back into actor or critics.
    fn fit(&mut self, actor: &Mlp, critics: &[Mlp; 2], s: &[f32], n: usize, dims: (usize, usize)) {
        let target = mode_values(actor, critics, s, n, dims);
        for _ in 0..VALUE_STEPS {
            let v = self.net.forward(s, n);
            let dv: Vec<f32> = v
                .iter()
                .zip(&target)
                .map(|(v, t)| 2.0 * (v - t) / n as f32)
                .collect();
            self.net.backward(&dv, false, true);
            self.opt.step(&mut [&mut self.net]);
        }
    }
}

/// `min(Q1, Q2)(s, tanh(mu(s)))` for the `n` states `s` (`dims`: states, actions): the
/// critics at the actor's mode.
fn mode_values(
    actor: &Mlp,
    critics: &[Mlp; 2],
    s: &[f32],
    n: usize,
    (sd, ad): (usize, usize),
) -> Vec<f32> {
    let out = actor.infer(s, n);
    let mode: Vec<f32> = out
        .chunks_exact(2 * ad)
        .flat_map(|row| row[..ad].iter().map(|m| m.tanh()))
        .collect();
    let x = joined(s, &mode, n, sd, ad);
    let (v1, v2) = (critics[0].infer(&x, n), critics[1].infer(&x, n));
    v1.iter().zip(&v2).map(|(a, b)| a.min(*b)).collect()
}

/// Value-network steps per SAC update, on the update's batch and target.
///
/// The value trails the critics it copies. With one step an update, after 100 point-mass
/// episodes (seed 2) it was off by up to 1.3 at the goal's corner, sloping *away* from the
/// goal where the critics rise towards it; a 7-step planner then parks 0.15 short of the goal,
/// where that slope balances the rewards' pull. 5000 more steps at the end set the slope
/// right, so the value was lagging, not too small. A step costs a few per cent of the critics'
/// (a 32-wide net against two 256-wide ones; the target is computed once).
const VALUE_STEPS: usize = 4;

/// The agent: actor, twin critics and their targets, two optimisers, and (for CHI with a
/// value past the horizon) the value network.
pub struct Sac {
    config: SacConfig,
    s_dim: usize,
    a_dim: usize,
    actor: Mlp,
    critics: [Mlp; 2],
    targets: [Mlp; 2],
    actor_opt: MlpAdam,
    critic_opt: MlpAdam,
    temperature: Temperature,
    value: Option<ValueNet>,
}

fn normals(n: usize, rng: &mut ChiRng) -> Vec<f32> {
    (0..n).map(|_| rng.normal()).collect()
}

/// Rows `[s, a]` of a batch of states and actions.
fn joined(s: &[f32], a: &[f32], n: usize, s_dim: usize, a_dim: usize) -> Vec<f32> {
    let mut x = Vec::with_capacity(n * (s_dim + a_dim));
    for (s, a) in s.chunks_exact(s_dim).zip(a.chunks_exact(a_dim)).take(n) {
        x.extend_from_slice(s);
        x.extend_from_slice(a);
    }
    x
}

/// The row of the smaller of `q1` and `q2`, and the share of the gradient each gets:
/// candle's `minimum` splits it evenly on a tie, which this follows.
fn min_shares(q1: f32, q2: f32) -> (f32, [f32; 2]) {
    if q1 < q2 {
        (q1, [1.0, 0.0])
    } else if q2 < q1 {
        (q2, [0.0, 1.0])
    } else {
        (q1, [0.5, 0.5])
    }
}

/// `a()` and `b()`, side by side on rayon's pool when `parallel`, else one after the other:
/// the results are the same either way.
fn both<RA: Send, RB: Send>(
    parallel: bool,
    a: impl FnOnce() -> RA + Send,
    b: impl FnOnce() -> RB + Send,
) -> (RA, RB) {
    if parallel {
        rayon::join(a, b)
    } else {
        (a(), b())
    }
}

/// A critic's largest product (rows x hidden x hidden) from which the twin critics are worth
/// computing on two threads: handing work to a pool thread and waking it costs tens of
/// microseconds, against 0.2 ms for a whole update at RLtools' Pendulum sizes (100 x 64 x 64,
/// where two threads made a run twice as slow) and 5 ms at CleanRL's (256 x 256 x 256).
const PARALLEL_WORK: usize = 1 << 22;

/// One regression step of a critic's gradients towards the Bellman targets `y` at the rows
/// `x`; its mean squared error. The twin critics take theirs side by side: each is computed
/// exactly as alone, so training is the same on one thread or two.
fn critic_regression(critic: &mut Mlp, x: &[f32], y: &[f32]) -> f32 {
    let n = y.len();
    let nf = n as f32;
    let q = critic.forward(x, n);
    let dq: Vec<f32> = q.iter().zip(y).map(|(q, y)| 2.0 * (q - y) / nf).collect();
    let loss = q.iter().zip(y).map(|(q, y)| (q - y) * (q - y)).sum::<f32>() / nf;
    critic.backward(&dq, false, true);
    loss
}

impl Sac {
    /// A fresh agent, initialised from `seed`.
    pub fn new(config: SacConfig, s_dim: usize, a_dim: usize, seed: u64) -> Result<Self> {
        if s_dim == 0 || a_dim == 0 || config.batch == 0 {
            bail!(
                "SAC needs states, actions and a batch (got {s_dim}, {a_dim}, {})",
                config.batch
            );
        }
        if let Some(h) = config.target_entropy.filter(|h| !h.is_finite()) {
            bail!("SAC's target entropy must be a finite number of nats (got {h})");
        }
        if config.target_entropy.is_some() && (config.alpha.is_nan() || config.alpha <= 0.0) {
            bail!(
                "a tuned temperature starts from alpha > 0 (got {}); its logarithm is what is tuned",
                config.alpha
            );
        }
        let mut rng = ChiRng::new(seed);
        let (ha, hc) = (config.actor_hidden, config.critic_hidden);
        let actor = Mlp::seeded(&[s_dim, ha, ha, 2 * a_dim], &mut rng);
        let critic = [s_dim + a_dim, hc, hc, 1];
        let critics = [
            Mlp::seeded(&critic, &mut rng),
            Mlp::seeded(&critic, &mut rng),
        ];
        let targets = critics.clone();
        let lr = config.learning_rate;
        Ok(Self {
            actor_opt: MlpAdam::new(&[&actor], lr, 0.0),
            critic_opt: MlpAdam::new(&[&critics[0], &critics[1]], lr, 0.0),
            temperature: Temperature::new(config.alpha, config.target_entropy, lr),
            config,
            s_dim,
            a_dim,
            actor,
            critics,
            targets,
            value: None,
        })
    }

    /// Adds the value network (`ValueNet`), initialised from `seed` on a stream of its own,
    /// so the actor and critics learn exactly as without it; from now on every update also
    /// fits it.
    pub fn add_value(&mut self, seed: u64) -> Result<()> {
        let mut rng = ChiRng::new(seed ^ 0x5641_4c55_4500_0000);
        let h = self.config.actor_hidden;
        let net = Mlp::seeded(&[self.s_dim, h, h, 1], &mut rng);
        let opt = MlpAdam::new(&[&net], self.config.learning_rate, 0.0);
        self.value = Some(ValueNet { net, opt });
        Ok(())
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &SacConfig {
        &self.config
    }

    /// Whether an update of `n` rows runs the twin critics side by side.
    fn side_by_side(&self, n: usize) -> bool {
        let h = self.config.critic_hidden;
        n * h * h >= PARALLEL_WORK && rayon::current_num_threads() > 1
    }

    /// Pre-squash means and clamped log-stds of the actor's last forward pass (`n x A`
    /// each), and whether each log-std was inside its bounds (its gradient passes).
    fn split_actor_output(&self, out: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<bool>) {
        let (ad, b) = (self.a_dim, self.config.log_std_bounds);
        let rows = out.len() / (2 * ad);
        let (mut mean, mut log_std, mut inside) = (
            Vec::with_capacity(rows * ad),
            Vec::with_capacity(rows * ad),
            Vec::with_capacity(rows * ad),
        );
        for row in out.chunks_exact(2 * ad) {
            mean.extend_from_slice(&row[..ad]);
            for &raw in &row[ad..] {
                log_std.push(raw.clamp(b.min, b.max));
                inside.push(raw >= b.min && raw <= b.max);
            }
        }
        (mean, log_std, inside)
    }

    /// One gradient step of critics, actor and targets on `batch`.
    pub fn update(&mut self, batch: &Batch, rng: &mut ChiRng) -> Result<SacLosses> {
        let (n, sd, ad) = (batch.len, self.s_dim, self.a_dim);
        if batch.obs.len() != n * sd || batch.actions.len() != n * ad || n == 0 {
            bail!("a SAC batch of {n} transitions of {sd} states and {ad} actions is malformed");
        }
        if self.side_by_side(n) {
            // On a thread of the pool, whose hand-overs to the other are far cheaper than
            // a hand-over from outside it at each of the update's dozen forks.
            rayon::scope(|_| self.update_unchecked(batch, rng))
        } else {
            self.update_unchecked(batch, rng)
        }
    }

    /// [`Sac::update`] on a batch of the agent's sizes.
    fn update_unchecked(&mut self, batch: &Batch, rng: &mut ChiRng) -> Result<SacLosses> {
        let (n, sd, ad) = (batch.len, self.s_dim, self.a_dim);
        let (alpha, gamma) = (self.temperature.alpha(), self.config.gamma as f32);
        let nf = n as f32;
        let parallel = self.side_by_side(n);

        // The actor's two passes, before either step changes a weight: in the next states
        // for the critics' target (kept for nothing), in the states for its own step.
        let eps2 = normals(n * ad, rng);
        let eps = normals(n * ad, rng);
        self.actor.split_backward = parallel;
        let out2 = self
            .actor
            .forward_beside_infer(&batch.obs, n, &batch.next_obs, n, parallel);
        let out = self.actor.output().to_vec();

        // Critic step: the soft Bellman target from the target critics at a fresh sample of
        // the policy in the next states.
        let (mean2, log_std2, _) = self.split_actor_output(&out2);
        let next = squashed::sample(&mean2, &log_std2, &eps2, ad);
        let x2 = joined(&batch.next_obs, &next.action, n, sd, ad);
        let [target1, target2] = &self.targets;
        let (t1, t2) = both(parallel, || target1.infer(&x2, n), || target2.infer(&x2, n));
        let y: Vec<f32> = (0..n)
            .map(|i| {
                let soft_v = t1[i].min(t2[i]) - next.log_prob[i] * alpha;
                batch.rewards[i] + (1.0 - batch.done[i]) * soft_v * gamma
            })
            .collect();
        let x = joined(&batch.obs, &batch.actions, n, sd, ad);
        let [q1, q2] = &mut self.critics;
        let (loss1, loss2) = both(
            parallel,
            || critic_regression(q1, &x, &y),
            || critic_regression(q2, &x, &y),
        );
        for (name, loss) in [("critic 1", loss1), ("critic 2", loss2)] {
            if !loss.is_finite() {
                bail!(
                    "SAC's {name} has loss {loss}: it diverged (or a reward or state is not finite)"
                );
            }
        }
        let critic_loss = loss1 + loss2;
        self.critic_opt.step_side_by_side(&mut [q1, q2], parallel);

        // Actor step: through the critics just updated, whose weights it does not touch.
        let (mean, log_std, inside) = self.split_actor_output(&out);
        let pi = squashed::sample(&mean, &log_std, &eps, ad);
        let xp = joined(&batch.obs, &pi.action, n, sd, ad);
        let [q1, q2] = &mut self.critics;
        let (p1, p2) = both(
            parallel,
            || q1.forward(&xp, n).to_vec(),
            || q2.forward(&xp, n).to_vec(),
        );
        let mut actor_loss = 0.0;
        let (mut dp1, mut dp2) = (vec![0.0; n], vec![0.0; n]);
        for i in 0..n {
            let (m, [s1, s2]) = min_shares(p1[i], p2[i]);
            actor_loss += pi.log_prob[i] * alpha - m;
            dp1[i] = -s1 / nf;
            dp2[i] = -s2 / nf;
        }
        actor_loss /= nf;
        if !actor_loss.is_finite() {
            bail!("SAC's actor has loss {actor_loss}: it diverged");
        }
        let mut d_action = vec![0.0; n * ad];
        let [q1, q2] = &mut self.critics;
        let (dx1, dx2) = both(
            parallel,
            || q1.backward(&dp1, true, false),
            || q2.backward(&dp2, true, false),
        );
        for dx in [dx1, dx2].into_iter().flatten() {
            for (row, d) in dx.chunks_exact(sd + ad).zip(d_action.chunks_exact_mut(ad)) {
                for (d, g) in d.iter_mut().zip(&row[sd..]) {
                    *d += g;
                }
            }
        }
        let d_out = squashed::backward(&pi, &log_std, &eps, &inside, &d_action, alpha / nf, ad);
        self.actor.backward(&d_out, false, true);
        self.temperature.update(&pi.log_prob);

        // The actor's optimiser step (and the value network's fit to the new actor) beside
        // the targets' blend towards the new critics: neither reads what the other writes.
        let Self {
            actor,
            actor_opt,
            targets,
            critics,
            value,
            s_dim,
            a_dim,
            ..
        } = self;
        let (tau, sd, ad) = (self.config.tau, *s_dim, *a_dim);
        let critics = &*critics;
        both(
            parallel,
            || {
                actor_opt.step(&mut [actor]);
                if let Some(value) = value {
                    value.fit(actor, critics, &batch.obs, n, (sd, ad));
                }
            },
            || {
                for (t, c) in targets.iter_mut().zip(critics) {
                    t.blend_from(c, tau);
                }
            },
        );
        Ok(SacLosses {
            critic: critic_loss,
            actor: actor_loss,
        })
    }

    /// `min(Q1, Q2)(s, tanh(mu(s)))` for the `n` states `s`: the critics at the actor's mode.
    #[cfg(test)]
    fn mode_values(&self, s: &[f32], n: usize) -> Vec<f32> {
        mode_values(&self.actor, &self.critics, s, n, (self.s_dim, self.a_dim))
    }

    /// An action for one state: a sample of the policy (exploration), or its mode
    /// `tanh(mean)` when `deterministic`.
    pub fn act(&self, s: &[f32], deterministic: bool, rng: &mut ChiRng) -> Result<Vec<f32>> {
        if s.len() != self.s_dim {
            bail!("a state of {} values for SAC of {}", s.len(), self.s_dim);
        }
        let (mean, log_std, _) = self.split_actor_output(&self.actor.infer(s, 1));
        Ok(if deterministic {
            mean.iter().map(|m| m.tanh()).collect()
        } else {
            squashed::sample(&mean, &log_std, &normals(self.a_dim, rng), self.a_dim).action
        })
    }

    /// The value network's layers as the bundle stores them, if the agent has one.
    pub fn owned_value(&self) -> Result<Option<OwnedValue>> {
        Ok(self.value.as_ref().map(|v| {
            let l = &v.net.layers;
            [l[0].owned(), l[1].owned(), l[2].owned()]
        }))
    }

    /// The actor's layers as the bundle stores them: two hidden, mean head, log-std head.
    pub fn owned_policy(&self) -> Result<OwnedPolicy> {
        let l = &self.actor.layers;
        let ad = self.a_dim;
        Ok([
            l[0].owned(),
            l[1].owned(),
            l[2].owned_rows(0..ad),
            l[2].owned_rows(ad..2 * ad),
        ])
    }

    /// The first network holding a NaN or infinite weight, and its layer.
    pub fn non_finite(&self) -> Option<String> {
        let [q1, q2] = &self.critics;
        let [t1, t2] = &self.targets;
        let value = self.value.as_ref().map(|v| ("value network", &v.net));
        [
            ("actor", &self.actor),
            ("critic 1", q1),
            ("critic 2", q2),
            ("target critic 1", t1),
            ("target critic 2", t2),
        ]
        .into_iter()
        .chain(value)
        .find_map(|(name, net)| Some(format!("SAC's {name} (layer {})", net.non_finite_layer()?)))
    }

    /// Writes networks and optimiser states into `dir` (`actor`, `critic`, `target`,
    /// `value` `.safetensors` and their `.adam.safetensors`).
    pub fn save(&self, dir: &Path) -> Result<()> {
        let [q1, q2] = &self.critics;
        let [t1, t2] = &self.targets;
        mlp::save(&dir.join("actor.safetensors"), &[("actor", &self.actor)])?;
        mlp::save(&dir.join("critic.safetensors"), &[("q1", q1), ("q2", q2)])?;
        mlp::save(&dir.join("target.safetensors"), &[("q1", t1), ("q2", t2)])?;
        self.actor_opt.save(&dir.join("actor.adam.safetensors"))?;
        self.critic_opt.save(&dir.join("critic.adam.safetensors"))?;
        self.temperature
            .save(&dir.join("temperature.safetensors"))?;
        if let Some(v) = &self.value {
            mlp::save(&dir.join("value.safetensors"), &[("value", &v.net)])?;
            v.opt.save(&dir.join("value.adam.safetensors"))?;
        }
        Ok(())
    }

    /// Restores what [`Sac::save`] wrote; every shape must match this agent's.
    pub fn load(&mut self, dir: &Path) -> Result<()> {
        let [q1, q2] = &mut self.critics;
        let [t1, t2] = &mut self.targets;
        mlp::load(
            &dir.join("actor.safetensors"),
            &mut [("actor", &mut self.actor)],
        )?;
        mlp::load(
            &dir.join("critic.safetensors"),
            &mut [("q1", q1), ("q2", q2)],
        )?;
        mlp::load(
            &dir.join("target.safetensors"),
            &mut [("q1", t1), ("q2", t2)],
        )?;
        self.actor_opt.load(&dir.join("actor.adam.safetensors"))?;
        self.critic_opt.load(&dir.join("critic.adam.safetensors"))?;
        self.temperature
            .load(&dir.join("temperature.safetensors"))?;
        if let Some(v) = &mut self.value {
            if !dir.join("value.safetensors").exists() {
                bail!(
                    "{} was saved without a value network, which its configuration asks for: open it with the build that made it, or train anew",
                    dir.display()
                );
            }
            mlp::load(&dir.join("value.safetensors"), &mut [("value", &mut v.net)])?;
            v.opt.load(&dir.join("value.adam.safetensors"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
