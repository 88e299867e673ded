//! SAC as chi trained it on candle, through candle's autograd: the reference the hand-written
//! gradients of [`super::Sac`] are checked against. The same networks from the same seed, the
//! same losses and the same noise.

use anyhow::Result;
use candle_core::{D, Device, Tensor};
use candle_nn::Module;
use chi_embedded::bundle::owned::{OwnedPolicy, OwnedValue};
use chi_embedded::rng::ChiRng;

use crate::candle_adam::Adam;
use crate::params::{Dense, Params};
use crate::replay::Batch;

use super::{SacConfig, SacLosses, VALUE_STEPS};

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

struct ValueNet {
    net: Mlp3,
    opt: Adam,
}

/// The agent: actor, twin critics and their targets, two optimisers, and (for CHI with a
/// value past the horizon) the value network.
pub(super) struct Sac {
    config: SacConfig,
    s_dim: usize,
    a_dim: usize,
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
        self.value = Some(ValueNet { net, opt });
        Ok(())
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

    /// Every layer of both critics, then of both targets, as the bundle would store them.
    pub fn owned_critics(&self) -> Result<Vec<chi_embedded::bundle::owned::OwnedLayer>> {
        self.critics
            .iter()
            .chain(&self.targets)
            .flat_map(|net| &net.layers)
            .map(|l| l.owned())
            .collect()
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
