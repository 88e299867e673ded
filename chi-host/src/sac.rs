//! Soft Actor-Critic (Haarnoja et al. 2018): the amortised inference of CHI (paper
//! Section 3). Twin critics with target networks, a tanh-squashed Gaussian actor, and the
//! temperature fixed at 0.2 (paper Appendix C). All noise comes from a seeded [`ChiRng`].

use anyhow::Result;
use candle_core::{D, Device, Tensor};
use candle_nn::Module;
use chi_embedded::bundle::owned::{OwnedPolicy, OwnedValue};
use chi_embedded::policy::LogStdBounds;
use chi_embedded::rng::ChiRng;
use serde::{Deserialize, Serialize};

use crate::optim::Adam;
use crate::params::{Dense, Params};
use crate::replay::Batch;

/// SAC hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SacConfig {
    /// Width of the two hidden layers of the Q-networks (paper Appendix C: 256).
    pub critic_hidden: usize,
    /// Width of the actor's two hidden layers (the paper gives only the critics'; the actor
    /// is what the board evaluates, so it may be smaller).
    pub actor_hidden: usize,
    /// Entropy temperature alpha, fixed (paper Appendix C: 0.2).
    pub alpha: f64,
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

struct Mlp3 {
    layers: [Dense; 3],
}

impl Mlp3 {
    fn new(params: &mut Params, name: &str, dims: [usize; 4], rng: &mut ChiRng) -> Result<Self> {
        Ok(Self {
            layers: [
                params.linear(&format!("{name}.l0"), dims[0], dims[1], rng)?,
                params.linear(&format!("{name}.l1"), dims[1], dims[2], rng)?,
                params.linear(&format!("{name}.l2"), dims[2], dims[3], rng)?,
            ],
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let h = self.layers[0].layer.forward(x)?.relu()?;
        let h = self.layers[1].layer.forward(&h)?.relu()?;
        Ok(self.layers[2].layer.forward(&h)?)
    }
}

/// The state value `V(s) ~ min(Q1, Q2)(s, tanh(mu(s)))` at the actor's mode: what CHI's
/// planner adds past its horizon ([`chi_embedded::value`]). A network of its own rather
/// than the critics, so the board can afford it: the actor's shape with one output, against
/// two critics of `S + A -> 256 -> 256 -> 1` that would cost ~50 times more per sample.
/// Why the mode and not SAC's soft value: the controller executes the plan's mean, not a
/// sample of the policy.
struct ValueNet {
    params: Params,
    net: Mlp3,
    opt: Adam,
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
    actor_params: Params,
    actor: Mlp3,
    critic_params: Params,
    critics: [Mlp3; 2],
    target_params: Params,
    targets: [Mlp3; 2],
    actor_opt: Adam,
    critic_opt: Adam,
    value: Option<ValueNet>,
}

fn tensor(v: &[f32], rows: usize, cols: usize) -> Result<Tensor> {
    Ok(Tensor::from_slice(v, (rows, cols), &Device::Cpu)?)
}

fn normals(n: usize, rng: &mut ChiRng) -> Vec<f32> {
    (0..n).map(|_| rng.normal()).collect()
}

impl Sac {
    /// A fresh agent, initialised from `seed`.
    pub fn new(config: SacConfig, s_dim: usize, a_dim: usize, seed: u64) -> Result<Self> {
        let mut rng = ChiRng::new(seed);
        let (ha, hc) = (config.actor_hidden, config.critic_hidden);
        let mut actor_params = Params::default();
        let actor = Mlp3::new(
            &mut actor_params,
            "actor",
            [s_dim, ha, ha, 2 * a_dim],
            &mut rng,
        )?;
        let mut critic_params = Params::default();
        let critics = [
            Mlp3::new(
                &mut critic_params,
                "q1",
                [s_dim + a_dim, hc, hc, 1],
                &mut rng,
            )?,
            Mlp3::new(
                &mut critic_params,
                "q2",
                [s_dim + a_dim, hc, hc, 1],
                &mut rng,
            )?,
        ];
        let mut target_params = Params::default();
        let targets = [
            Mlp3::new(
                &mut target_params,
                "q1",
                [s_dim + a_dim, hc, hc, 1],
                &mut rng,
            )?,
            Mlp3::new(
                &mut target_params,
                "q2",
                [s_dim + a_dim, hc, hc, 1],
                &mut rng,
            )?,
        ];
        target_params.blend_from(&critic_params, 1.0)?;
        let adam = |vars| Adam::new(vars, config.learning_rate, 0.0);
        Ok(Self {
            actor_opt: adam(actor_params.vars())?,
            critic_opt: adam(critic_params.vars())?,
            config,
            s_dim,
            a_dim,
            actor_params,
            actor,
            critic_params,
            critics,
            target_params,
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
        let mut params = Params::default();
        let net = Mlp3::new(&mut params, "value", [self.s_dim, h, h, 1], &mut rng)?;
        let opt = Adam::new(params.vars(), self.config.learning_rate, 0.0)?;
        self.value = Some(ValueNet { params, net, opt });
        Ok(())
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &SacConfig {
        &self.config
    }

    /// The two optimisers (actor, critics), for checkpoints.
    pub fn optimisers(&mut self) -> [&mut Adam; 2] {
        [&mut self.actor_opt, &mut self.critic_opt]
    }

    /// The three parameter groups (actor, critics, targets), for checkpoints.
    pub fn params(&self) -> [&Params; 3] {
        [&self.actor_params, &self.critic_params, &self.target_params]
    }

    /// The value network's parameters and optimiser, if it has one, for checkpoints.
    pub fn value_state(&mut self) -> Option<(&Params, &mut Adam)> {
        self.value.as_mut().map(|v| (&v.params, &mut v.opt))
    }

    /// Pre-squash mean and clamped log-std.
    fn actor_gaussian(&self, s: &Tensor) -> Result<(Tensor, Tensor)> {
        let out = self.actor.forward(s)?;
        let mean = out.narrow(D::Minus1, 0, self.a_dim)?;
        let b = self.config.log_std_bounds;
        let log_std = out
            .narrow(D::Minus1, self.a_dim, self.a_dim)?
            .clamp(b.min, b.max)?;
        Ok((mean, log_std))
    }

    /// A reparameterised squashed sample `a = tanh(mean + std eps)` and its log-density.
    fn sample(&self, s: &Tensor, eps: &Tensor) -> Result<(Tensor, Tensor)> {
        let (mean, log_std) = self.actor_gaussian(s)?;
        let u = (mean + (log_std.exp()? * eps)?)?;
        let a = u.tanh()?;
        let half_log_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
        let gauss = ((eps.sqr()? * -0.5)? - log_std)? - half_log_2pi;
        // Change of variables through tanh: - log(1 - tanh(u)^2).
        let jac = ((a.sqr()?.neg()? + 1.0)? + 1e-6)?.log()?;
        let log_prob = (gauss? - jac)?.sum(D::Minus1)?;
        Ok((a, log_prob))
    }

    fn q(nets: &[Mlp3; 2], s: &Tensor, a: &Tensor) -> Result<(Tensor, Tensor)> {
        let x = Tensor::cat(&[s, a], D::Minus1)?;
        Ok((
            nets[0].forward(&x)?.squeeze(D::Minus1)?,
            nets[1].forward(&x)?.squeeze(D::Minus1)?,
        ))
    }

    /// One gradient step of critics, actor and targets on `batch`.
    pub fn update(&mut self, batch: &Batch, rng: &mut ChiRng) -> Result<SacLosses> {
        let (n, sd, ad) = (batch.len, self.s_dim, self.a_dim);
        let s = tensor(&batch.obs, n, sd)?;
        let a = tensor(&batch.actions, n, ad)?;
        let s2 = tensor(&batch.next_obs, n, sd)?;
        let r = Tensor::from_slice(&batch.rewards, n, &Device::Cpu)?;
        let not_done = (Tensor::from_slice(&batch.done, n, &Device::Cpu)?.neg()? + 1.0)?;
        let (alpha, gamma) = (self.config.alpha, self.config.gamma);

        let eps2 = tensor(&normals(n * ad, rng), n, ad)?;
        let (a2, logp2) = self.sample(&s2, &eps2)?;
        let (t1, t2) = Self::q(&self.targets, &s2, &a2)?;
        let soft_v = (t1.minimum(&t2)? - (logp2 * alpha)?)?;
        let y = (r + ((not_done * soft_v)? * gamma)?)?.detach();
        let (q1, q2) = Self::q(&self.critics, &s, &a)?;
        let critic_loss = ((q1 - &y)?.sqr()?.mean_all()? + (q2 - &y)?.sqr()?.mean_all()?)?;
        self.critic_opt.backward_step(&critic_loss)?;

        let eps = tensor(&normals(n * ad, rng), n, ad)?;
        let (a_pi, logp) = self.sample(&s, &eps)?;
        let (p1, p2) = Self::q(&self.critics, &s, &a_pi)?;
        let actor_loss = ((logp * alpha)? - p1.minimum(&p2)?)?.mean_all()?;
        self.actor_opt.backward_step(&actor_loss)?;

        self.fit_value(&s)?;

        self.target_params
            .blend_from(&self.critic_params, self.config.tau)?;
        Ok(SacLosses {
            critic: critic_loss.to_scalar()?,
            actor: actor_loss.to_scalar()?,
        })
    }

    /// One step of the value network, if the agent has one, towards the critics at the
    /// actor's mode in states `s`; nothing flows back into actor or critics.
    fn fit_value(&mut self, s: &Tensor) -> Result<()> {
        if self.value.is_none() {
            return Ok(());
        }
        let mode = self.actor_gaussian(s)?.0.tanh()?.detach();
        let (v1, v2) = Self::q(&self.critics, s, &mode)?;
        let target = v1.minimum(&v2)?.detach();
        if let Some(value) = &mut self.value {
            for _ in 0..VALUE_STEPS {
                let v = value.net.forward(s)?.squeeze(D::Minus1)?;
                value
                    .opt
                    .backward_step(&(v - &target)?.sqr()?.mean_all()?)?;
            }
        }
        Ok(())
    }

    /// An action for one state: a sample of the policy (exploration), or its mode
    /// `tanh(mean)` when `deterministic`.
    pub fn act(&self, s: &[f32], deterministic: bool, rng: &mut ChiRng) -> Result<Vec<f32>> {
        let st = tensor(s, 1, self.s_dim)?;
        let a = if deterministic {
            self.actor_gaussian(&st)?.0.tanh()?
        } else {
            self.sample(&st, &tensor(&normals(self.a_dim, rng), 1, self.a_dim)?)?
                .0
        };
        Ok(a.flatten_all()?.to_vec1()?)
    }

    /// `min(Q1, Q2)(s, mode(s))` for one state, through candle: what the value network
    /// learns, as the test's reference.
    #[cfg(test)]
    fn mode_value(&self, s: &[f32]) -> Result<f32> {
        let st = tensor(s, 1, self.s_dim)?;
        let mode = self.actor_gaussian(&st)?.0.tanh()?;
        let (q1, q2) = Self::q(&self.critics, &st, &mode)?;
        Ok(q1.minimum(&q2)?.flatten_all()?.to_vec1::<f32>()?[0])
    }

    /// The value network's layers as the bundle stores them, if the agent has one.
    pub fn owned_value(&self) -> Result<Option<OwnedValue>> {
        self.value
            .as_ref()
            .map(|v| {
                let [l0, l1, l2] = &v.net.layers;
                Ok([l0.owned()?, l1.owned()?, l2.owned()?])
            })
            .transpose()
    }

    /// The actor's layers as the bundle stores them: two hidden, mean head, log-std head.
    pub fn owned_policy(&self) -> Result<OwnedPolicy> {
        let [l0, l1, out] = &self.actor.layers;
        let ad = self.a_dim;
        Ok([
            l0.owned()?,
            l1.owned()?,
            out.owned_rows(0..ad)?,
            out.owned_rows(ad..2 * ad)?,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::ReplayBuffer;

    /// Small, quick SAC settings for the one-step bandits below.
    fn bandit_config() -> SacConfig {
        SacConfig {
            critic_hidden: 64,
            actor_hidden: 32,
            batch: 128,
            alpha: 0.01,
            learning_rate: 1e-3,
            ..Default::default()
        }
    }

    /// `W x + b` through an exported layer, by hand.
    fn dense(l: &chi_embedded::bundle::owned::OwnedLayer, x: &[f32]) -> Vec<f32> {
        let w = l.dequantised();
        (0..l.rows)
            .map(|r| l.bias[r] + (0..l.cols).map(|c| w[r * l.cols + c] * x[c]).sum::<f32>())
            .collect()
    }

    /// A terminal transition is not bootstrapped past; a time-limit one is. One state that
    /// leads back to itself with reward 1: stored as terminal its value is the reward, 1;
    /// stored as not terminal it grows towards 1 / (1 - gamma) = 10.
    #[test]
    fn terminal_transitions_do_not_bootstrap() {
        let q_after = |terminal: bool| {
            let config = SacConfig {
                gamma: 0.9,
                alpha: 0.0,
                tau: 0.05,
                ..bandit_config()
            };
            let mut sac = Sac::new(config, 1, 1, 0).unwrap();
            let mut rng = ChiRng::new(2);
            let mut buffer = ReplayBuffer::new(1, 1, 1000);
            for _ in 0..500 {
                let a = rng.symmetric_uniform();
                buffer.push(&[0.5], &[a], 1.0, &[0.5], terminal);
            }
            for _ in 0..400 {
                let batch = buffer.sample(config.batch, &mut rng);
                sac.update(&batch, &mut rng).unwrap();
            }
            let (s, a) = (tensor(&[0.5], 1, 1).unwrap(), tensor(&[0.0], 1, 1).unwrap());
            let (q1, _) = Sac::q(&sac.critics, &s, &a).unwrap();
            q1.to_vec1::<f32>().unwrap()[0]
        };
        let (terminal, bootstrapped) = (q_after(true), q_after(false));
        assert!((terminal - 1.0).abs() < 0.2, "terminal Q {terminal}");
        assert!(bootstrapped > 3.0, "bootstrapped Q {bootstrapped}");
    }

    /// A one-step bandit: reward -(a - 0.5)^2 for a in [-1, 1], every step terminal. SAC's
    /// mean action must move to 0.5.
    #[test]
    fn learns_a_one_step_bandit() {
        let config = bandit_config();
        let mut sac = Sac::new(config, 1, 1, 0).unwrap();
        let mut rng = ChiRng::new(1);
        let mut buffer = ReplayBuffer::new(1, 1, 10_000);
        for _ in 0..2000 {
            let a = rng.symmetric_uniform();
            buffer.push(&[0.0], &[a], -(a - 0.5) * (a - 0.5) * 4.0, &[0.0], true);
        }
        for _ in 0..1500 {
            let batch = buffer.sample(config.batch, &mut rng);
            sac.update(&batch, &mut rng).unwrap();
        }
        let a = sac.act(&[0.0], true, &mut rng).unwrap()[0];
        assert!((a - 0.5).abs() < 0.15, "mode {a}");
    }

    /// The value network follows the critics at the mode: on a one-step bandit whose
    /// best action depends on the state, `V(s)` comes to match `min Q(s, mode(s))`; and
    /// adding it leaves the actor's and critics' learning untouched.
    #[test]
    fn value_network_learns_the_critics_value_at_the_mode() {
        let config = bandit_config();
        let mut rng = ChiRng::new(1);
        let mut buffer = ReplayBuffer::new(1, 1, 10_000);
        for _ in 0..2000 {
            let (s, a) = (rng.symmetric_uniform(), rng.symmetric_uniform());
            buffer.push(
                &[s],
                &[a],
                1.0 + s - (a - 0.5 * s).powi(2) * 4.0,
                &[0.0],
                true,
            );
        }
        let train = |with_value: bool| {
            let mut sac = Sac::new(config, 1, 1, 0).unwrap();
            if with_value {
                sac.add_value(0).unwrap();
            }
            let mut rng = ChiRng::new(2);
            for _ in 0..1500 {
                let batch = buffer.sample(config.batch, &mut rng);
                sac.update(&batch, &mut rng).unwrap();
            }
            sac
        };
        let (plain, valued) = (train(false), train(true));
        assert_eq!(
            plain.owned_policy().unwrap(),
            valued.owned_policy().unwrap()
        );
        assert!(plain.owned_value().unwrap().is_none());
        let layers = valued.owned_value().unwrap().unwrap();
        let relu = |v: Vec<f32>| -> Vec<f32> { v.into_iter().map(|x| x.max(0.0)).collect() };
        for s in [-0.8f32, -0.3, 0.0, 0.4, 0.9] {
            let v = dense(
                &layers[2],
                &relu(dense(&layers[1], &relu(dense(&layers[0], &[s])))),
            )[0];
            let q = valued.mode_value(&[s]).unwrap();
            assert!((v - q).abs() < 0.1, "s {s}: V {v} against min Q {q}");
            // And both know the state matters: the best reward is 1 + s.
            assert!((q - (1.0 + s)).abs() < 0.25, "s {s}: min Q {q}");
        }
    }

    #[test]
    fn exported_policy_matches_the_actor() {
        let sac = Sac::new(
            SacConfig {
                actor_hidden: 16,
                critic_hidden: 16,
                ..Default::default()
            },
            2,
            2,
            3,
        )
        .unwrap();
        let layers = sac.owned_policy().unwrap();
        assert_eq!((layers[0].rows, layers[0].cols), (16, 2));
        assert_eq!((layers[2].rows, layers[3].rows), (2, 2));
        let mode = sac.act(&[0.3, 0.7], true, &mut ChiRng::new(0)).unwrap();
        // Forward by hand through the exported layers.
        let h: Vec<f32> = dense(&layers[0], &[0.3, 0.7])
            .into_iter()
            .map(|v| v.max(0.0))
            .collect();
        let h: Vec<f32> = dense(&layers[1], &h)
            .into_iter()
            .map(|v| v.max(0.0))
            .collect();
        let m = dense(&layers[2], &h);
        for (a, m) in mode.iter().zip(m) {
            assert!((a - m.tanh()).abs() < 1e-5);
        }
    }
}
