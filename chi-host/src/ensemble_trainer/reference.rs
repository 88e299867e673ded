//! The ensemble's training as chi did it on candle, through candle's autograd: the reference
//! the hand-written gradients of [`super::EnsembleTrainer`] are checked against.

use anyhow::Result;
use candle_core::{D, Device, Tensor};
use candle_nn::Module;
use chi_embedded::bundle::owned::OwnedMember;
use chi_embedded::nn::Activation;
use chi_embedded::rng::ChiRng;

use crate::candle_adam::Adam;
use crate::params::{Dense, Params};
use crate::replay::ReplayBuffer;

use super::{EnsembleConfig, Normalisation, permutation};

struct Member {
    hidden: [Dense; 3],
    out: Dense,
}

/// The ensemble and its optimiser.
pub(super) struct EnsembleTrainer {
    config: EnsembleConfig,
    s_dim: usize,
    a_dim: usize,
    members: Vec<Member>,
    optimiser: Adam,
    norm: Normalisation,
}

fn activate(a: Activation, x: &Tensor) -> Result<Tensor> {
    Ok(match a {
        Activation::Relu => x.relu()?,
        Activation::Silu => x.silu()?,
        Activation::Tanh => x.tanh()?,
    })
}

/// `log(1 + e^x)`, stable for large `x`.
fn softplus(x: &Tensor) -> Result<Tensor> {
    let positive = x.relu()?;
    Ok((positive + (x.abs()?.neg()?.exp()? + 1.0)?.log()?)?)
}

impl EnsembleTrainer {
    /// A fresh ensemble for `s_dim` states and `a_dim` actions, initialised from `seed`.
    pub fn new(config: EnsembleConfig, s_dim: usize, a_dim: usize, seed: u64) -> Result<Self> {
        let mut rng = ChiRng::new(seed);
        let mut params = Params::default();
        let (h, input) = (config.hidden, s_dim + a_dim);
        let members = (0..config.members)
            .map(|e| -> Result<Member> {
                Ok(Member {
                    hidden: [
                        params.linear(&format!("m{e}.l0"), input, h, &mut rng)?,
                        params.linear(&format!("m{e}.l1"), h, h, &mut rng)?,
                        params.linear(&format!("m{e}.l2"), h, h, &mut rng)?,
                    ],
                    out: params.linear(&format!("m{e}.out"), h, 2 * s_dim, &mut rng)?,
                })
            })
            .collect::<Result<_>>()?;
        let optimiser = Adam::new(params.vars(), config.learning_rate, 1e-5)?;
        let norm = Normalisation {
            in_mean: vec![0.0; input],
            in_inv_std: vec![1.0; input],
            out_mean: vec![0.0; s_dim],
            out_std: vec![1.0; s_dim],
        };
        Ok(Self {
            config,
            s_dim,
            a_dim,
            members,
            optimiser,
            norm,
        })
    }

    /// Mean and soft-bounded log-variance of the normalised state change, member `e`.
    fn forward(&self, e: usize, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let m = &self.members[e];
        let mut h = x.clone();
        for layer in &m.hidden {
            h = activate(self.config.activation, &layer.layer.forward(&h)?)?;
        }
        let out = m.out.layer.forward(&h)?;
        let mean = out.narrow(D::Minus1, 0, self.s_dim)?;
        let raw = out.narrow(D::Minus1, self.s_dim, self.s_dim)?;
        let b = self.config.log_var_bounds;
        let lv = (softplus(&((raw.neg()? + f64::from(b.max))?))?.neg()? + f64::from(b.max))?;
        let lv = (softplus(&((lv - f64::from(b.min))?))? + f64::from(b.min))?;
        Ok((mean, lv))
    }

    /// Normalised inputs and targets of the whole buffer.
    fn tensors(&self, data: &ReplayBuffer) -> Result<(Tensor, Tensor)> {
        let (sd, ad) = (self.s_dim, self.a_dim);
        let (x, y) = self.norm.rows(data, sd, ad);
        Ok((
            Tensor::from_vec(x, (data.len(), sd + ad), &Device::Cpu)?,
            Tensor::from_vec(y, (data.len(), sd), &Device::Cpu)?,
        ))
    }

    /// Gaussian NLL per element (without the constant), averaged over a batch.
    fn nll(&self, e: usize, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        let (mean, lv) = self.forward(e, x)?;
        let sq = (mean - y)?.sqr()?;
        Ok(((sq * lv.neg()?.exp()?)? + lv)?.mean_all()?)
    }

    /// Refits on everything in `data` (paper Appendix B: after each episode, `epochs` passes
    /// in batches of `batch`, each member on its own shuffle). Returns the final epoch's mean
    /// NLL.
    pub fn fit(&mut self, data: &ReplayBuffer, rng: &mut ChiRng) -> Result<f32> {
        if data.is_empty() {
            return Ok(f32::NAN);
        }
        self.norm = Normalisation::fit(data, self.s_dim, self.a_dim);
        let (x, y) = self.tensors(data)?;
        let n = data.len();
        let batch = self.config.batch.max(1);
        let mut last = 0.0f32;
        for _ in 0..self.config.epochs {
            let orders: Vec<Vec<u32>> = (0..self.members.len())
                .map(|_| permutation(n, rng))
                .collect();
            let (mut total, mut batches) = (0.0f32, 0u32);
            for start in (0..n).step_by(batch) {
                let end = (start + batch).min(n);
                let mut loss = Tensor::zeros((), candle_core::DType::F32, &Device::Cpu)?;
                for (e, order) in orders.iter().enumerate() {
                    let idx = Tensor::from_slice(&order[start..end], end - start, &Device::Cpu)?;
                    loss = (loss
                        + self.nll(e, &x.index_select(&idx, 0)?, &y.index_select(&idx, 0)?)?)?;
                }
                self.optimiser.backward_step(&loss)?;
                total += loss.to_scalar::<f32>()? / self.members.len() as f32;
                batches += 1;
            }
            last = total / batches.max(1) as f32;
        }
        Ok(last)
    }

    /// Mean NLL of each member on `data` (held-out checks).
    pub fn evaluate(&self, data: &ReplayBuffer) -> Result<Vec<f32>> {
        let (x, y) = self.tensors(data)?;
        (0..self.members.len())
            .map(|e| Ok(self.nll(e, &x, &y)?.to_scalar::<f32>()?))
            .collect()
    }

    /// The members' layers as the bundle stores them: three hidden, mean head, log-variance
    /// head (the output layer split by rows).
    pub fn owned_members(&self) -> Result<Vec<OwnedMember>> {
        let s = self.s_dim;
        self.members
            .iter()
            .map(|m| {
                Ok([
                    m.hidden[0].owned()?,
                    m.hidden[1].owned()?,
                    m.hidden[2].owned()?,
                    m.out.owned_rows(0..s)?,
                    m.out.owned_rows(s..2 * s)?,
                ])
            })
            .collect()
    }
}
