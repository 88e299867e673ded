//! Training the probabilistic ensemble (paper Appendix B): `E` members, each three hidden
//! layers, predicting a Gaussian over the normalised *change* in state; trained by Gaussian
//! negative log-likelihood with the log-variance softly bounded (PETS), each member on its
//! own shuffle of the data.
//!
//! The members are [`Mlp`]s with the NLL's gradient written out here; the tests check a refit
//! against the same refit through candle's autograd ([`reference`]).

use std::path::Path;

use anyhow::{Result, bail};
use chi_embedded::bundle::owned::OwnedMember;
use chi_embedded::ensemble::LogVarBounds;
use chi_embedded::nn::Activation;
use chi_embedded::normaliser::normalise;
use chi_embedded::rng::ChiRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::mlp::{self, Mlp};
use crate::optim::MlpAdam;
use crate::replay::ReplayBuffer;

#[cfg(test)]
mod reference;

/// Ensemble hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnsembleConfig {
    /// Members (paper Appendix B: 5).
    pub members: usize,
    /// Width of the three hidden layers (paper Appendix B: 350).
    pub hidden: usize,
    /// Hidden non-linearity (the paper does not say; ReLU is the cheapest on the board).
    pub activation: Activation,
    /// Epochs over the data at each refit (paper Appendix B: 10).
    pub epochs: usize,
    /// Batch size (paper Appendix B: 50).
    pub batch: usize,
    /// AdamW learning rate (PETS' value).
    pub learning_rate: f64,
    /// Soft bounds of the normalised log-variance.
    pub log_var_bounds: LogVarBounds,
}

impl Default for EnsembleConfig {
    fn default() -> Self {
        Self {
            members: 5,
            hidden: 350,
            activation: Activation::Relu,
            epochs: 10,
            batch: 50,
            learning_rate: 1e-3,
            log_var_bounds: LogVarBounds {
                min: -10.0,
                max: 0.5,
            },
        }
    }
}

/// Input and target normalisation fitted on the data.
#[derive(Clone, Debug, PartialEq)]
pub struct Normalisation {
    /// Mean of `[s, a]`.
    pub in_mean: Vec<f32>,
    /// Reciprocal std of `[s, a]`.
    pub in_inv_std: Vec<f32>,
    /// Mean of `s' - s`.
    pub out_mean: Vec<f32>,
    /// Std of `s' - s`.
    pub out_std: Vec<f32>,
}

fn mean_std(rows: &[f32], width: usize) -> (Vec<f32>, Vec<f32>) {
    let n = (rows.len() / width.max(1)).max(1) as f64;
    let mut mean = vec![0.0f64; width];
    for row in rows.chunks_exact(width) {
        mean.iter_mut()
            .zip(row)
            .for_each(|(m, x)| *m += f64::from(*x) / n);
    }
    let mut var = vec![0.0f64; width];
    for row in rows.chunks_exact(width) {
        var.iter_mut()
            .zip(row)
            .zip(&mean)
            .for_each(|((v, x), m)| *v += (f64::from(*x) - m).powi(2) / n);
    }
    // A constant column (e.g. an action that never varied yet) keeps unit scale.
    let std = var
        .iter()
        .map(|v| {
            if v.sqrt() > 1e-6 {
                v.sqrt() as f32
            } else {
                1.0
            }
        })
        .collect();
    (mean.iter().map(|m| *m as f32).collect(), std)
}

impl Normalisation {
    /// The normalisation of `data`'s inputs `[s, a]` (`sd` and `ad` wide) and state changes.
    pub fn fit(data: &ReplayBuffer, sd: usize, ad: usize) -> Self {
        let b = data.all();
        let inputs: Vec<f32> = (0..b.len)
            .flat_map(|i| {
                b.obs[i * sd..(i + 1) * sd]
                    .iter()
                    .chain(&b.actions[i * ad..(i + 1) * ad])
                    .copied()
            })
            .collect();
        let deltas: Vec<f32> = b.next_obs.iter().zip(&b.obs).map(|(n, s)| n - s).collect();
        let (in_mean, in_std) = mean_std(&inputs, sd + ad);
        let (out_mean, out_std) = mean_std(&deltas, sd);
        Self {
            in_mean,
            in_inv_std: in_std.iter().map(|s| 1.0 / s).collect(),
            out_mean,
            out_std,
        }
    }

    /// Normalised inputs and targets of the whole of `data` (`n x (sd + ad)`, `n x sd`).
    pub fn rows(&self, data: &ReplayBuffer, sd: usize, ad: usize) -> (Vec<f32>, Vec<f32>) {
        let b = data.all();
        let mut x = Vec::with_capacity(b.len * (sd + ad));
        let mut y = Vec::with_capacity(b.len * sd);
        for i in 0..b.len {
            let s = &b.obs[i * sd..(i + 1) * sd];
            let a = &b.actions[i * ad..(i + 1) * ad];
            let n = &b.next_obs[i * sd..(i + 1) * sd];
            for (j, v) in s.iter().chain(a).enumerate() {
                x.push(normalise(*v, self.in_mean[j], self.in_inv_std[j]));
            }
            for j in 0..sd {
                y.push((n[j] - s[j] - self.out_mean[j]) / self.out_std[j]);
            }
        }
        (x, y)
    }
}

/// The ensemble and its optimiser.
pub struct EnsembleTrainer {
    config: EnsembleConfig,
    s_dim: usize,
    a_dim: usize,
    members: Vec<Mlp>,
    optimiser: MlpAdam,
    norm: Normalisation,
}

/// `log(1 + e^x)`, stable for large `x`.
fn softplus(x: f32) -> f32 {
    x.max(0.0) + ((-x.abs()).exp() + 1.0).ln()
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// The soft bounds of a raw log-variance `raw`: `lv = min + softplus(max - softplus(max -
/// raw) - min)`, and `d lv / d raw`.
fn bounded(raw: f32, b: LogVarBounds) -> (f32, f32) {
    let upper = b.max - softplus(b.max - raw);
    let lv = b.min + softplus(upper - b.min);
    (lv, sigmoid(upper - b.min) * sigmoid(b.max - raw))
}

impl EnsembleTrainer {
    /// A fresh ensemble for `s_dim` states and `a_dim` actions, initialised from `seed`.
    pub fn new(config: EnsembleConfig, s_dim: usize, a_dim: usize, seed: u64) -> Result<Self> {
        if s_dim == 0 || config.members == 0 || config.hidden == 0 {
            bail!(
                "an ensemble needs states, members and hidden units (got {s_dim}, {}, {})",
                config.members,
                config.hidden
            );
        }
        let mut rng = ChiRng::new(seed);
        let (h, input) = (config.hidden, s_dim + a_dim);
        let members: Vec<Mlp> = (0..config.members)
            .map(|_| {
                let mut m = Mlp::seeded(&[input, h, h, h, 2 * s_dim], &mut rng);
                m.activation = config.activation;
                m.names = ["l0", "l1", "l2", "out"].map(String::from).to_vec();
                m
            })
            .collect();
        let optimiser = MlpAdam::new(
            &members.iter().collect::<Vec<_>>(),
            config.learning_rate,
            1e-5,
        );
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

    /// The hyper-parameters.
    pub fn config(&self) -> &EnsembleConfig {
        &self.config
    }

    /// The normalisation fitted at the last refit.
    pub fn normalisation(&self) -> &Normalisation {
        &self.norm
    }

    /// Restores the normalisation of a checkpoint.
    pub fn set_normalisation(&mut self, norm: Normalisation) -> Result<()> {
        let (i, s) = (self.s_dim + self.a_dim, self.s_dim);
        if (
            norm.in_mean.len(),
            norm.in_inv_std.len(),
            norm.out_mean.len(),
            norm.out_std.len(),
        ) != (i, i, s, s)
        {
            bail!("normalisation of the wrong width");
        }
        self.norm = norm;
        Ok(())
    }

    /// Writes the members and the optimiser's state into `dir` (`ensemble.safetensors`,
    /// `ensemble.adam.safetensors`).
    pub fn save(&self, dir: &Path) -> Result<()> {
        let names: Vec<String> = (0..self.members.len()).map(|e| format!("m{e}")).collect();
        let nets: Vec<(&str, &Mlp)> = names
            .iter()
            .map(String::as_str)
            .zip(&self.members)
            .collect();
        mlp::save(&dir.join("ensemble.safetensors"), &nets)?;
        self.optimiser.save(&dir.join("ensemble.adam.safetensors"))
    }

    /// The first member holding a NaN or infinite weight, and its layer.
    pub fn non_finite(&self) -> Option<String> {
        self.members.iter().enumerate().find_map(|(k, m)| {
            Some(format!(
                "the ensemble's member {k} (layer {})",
                m.non_finite_layer()?
            ))
        })
    }

    /// Restores what [`EnsembleTrainer::save`] wrote; every shape must match.
    pub fn load(&mut self, dir: &Path) -> Result<()> {
        let names: Vec<String> = (0..self.members.len()).map(|e| format!("m{e}")).collect();
        let mut nets: Vec<(&str, &mut Mlp)> = names
            .iter()
            .map(String::as_str)
            .zip(&mut self.members)
            .collect();
        mlp::load(&dir.join("ensemble.safetensors"), &mut nets)?;
        self.optimiser.load(&dir.join("ensemble.adam.safetensors"))
    }

    /// Gaussian NLL per element (without the constant) of network outputs `out` (`n x 2S`:
    /// means, raw log-variances) against targets `y`, averaged; and its gradient at `out`.
    fn nll(out: &[f32], y: &[f32], s: usize, b: LogVarBounds) -> (f32, Vec<f32>) {
        let count = y.len() as f32;
        let mut grad = vec![0.0; out.len()];
        let mut total = 0.0;
        for ((o, y), g) in out
            .chunks_exact(2 * s)
            .zip(y.chunks_exact(s))
            .zip(grad.chunks_exact_mut(2 * s))
        {
            let (mean, raw) = o.split_at(s);
            let (d_mean, d_raw) = g.split_at_mut(s);
            for j in 0..s {
                let (lv, d_lv_raw) = bounded(raw[j], b);
                let err = mean[j] - y[j];
                let precision = (-lv).exp();
                let sq = err * err;
                total += sq * precision + lv;
                d_mean[j] = 2.0 * err * precision / count;
                d_raw[j] = (1.0 - sq * precision) / count * d_lv_raw;
            }
        }
        (total / count, grad)
    }

    /// Refits on everything in `data` (paper Appendix B: after each episode, `epochs` passes
    /// in batches of `batch`, each member on its own shuffle). Returns the final epoch's mean
    /// NLL.
    pub fn fit(&mut self, data: &ReplayBuffer, rng: &mut ChiRng) -> Result<f32> {
        if data.is_empty() {
            return Ok(f32::NAN);
        }
        self.norm = Normalisation::fit(data, self.s_dim, self.a_dim);
        let (x, y) = self.norm.rows(data, self.s_dim, self.a_dim);
        let (n, width, sd) = (data.len(), self.s_dim + self.a_dim, self.s_dim);
        let batch = self.config.batch.max(1);
        let mut last = 0.0f32;
        for _ in 0..self.config.epochs {
            let orders: Vec<Vec<u32>> = (0..self.members.len())
                .map(|_| permutation(n, rng))
                .collect();
            let (mut total, mut batches) = (0.0f32, 0u32);
            for start in (0..n).step_by(batch) {
                let end = (start + batch).min(n);
                // Members are independent until the optimiser's step: one a task on rayon's
                // pool, each computed exactly as alone, the losses summed in member order.
                let bounds = self.config.log_var_bounds;
                let losses: Vec<f32> = self
                    .members
                    .par_iter_mut()
                    .zip(orders.par_iter())
                    .map(|(member, order)| {
                        let mut xb = Vec::with_capacity((end - start) * width);
                        let mut yb = Vec::with_capacity((end - start) * sd);
                        for &i in &order[start..end] {
                            let i = i as usize;
                            xb.extend_from_slice(&x[i * width..(i + 1) * width]);
                            yb.extend_from_slice(&y[i * sd..(i + 1) * sd]);
                        }
                        let out = member.forward(&xb, end - start);
                        let (l, grad) = Self::nll(out, &yb, sd, bounds);
                        member.backward(&grad, false, true);
                        l
                    })
                    .collect();
                if let Some(k) = losses.iter().position(|l| !l.is_finite()) {
                    bail!(
                        "the ensemble's member {k} has loss {} at minibatch {batches} of an epoch: it diverged",
                        losses[k]
                    );
                }
                let loss: f32 = losses.iter().sum();
                let mut members: Vec<&mut Mlp> = self.members.iter_mut().collect();
                self.optimiser.step(&mut members);
                total += loss / self.members.len() as f32;
                batches += 1;
            }
            last = total / batches.max(1) as f32;
        }
        Ok(last)
    }

    /// Mean NLL of each member on `data` (held-out checks).
    pub fn evaluate(&self, data: &ReplayBuffer) -> Result<Vec<f32>> {
        let (x, y) = self.norm.rows(data, self.s_dim, self.a_dim);
        Ok(self
            .members
            .iter()
            .map(|m| {
                Self::nll(
                    &m.infer(&x, data.len()),
                    &y,
                    self.s_dim,
                    self.config.log_var_bounds,
                )
                .0
            })
            .collect())
    }

    /// The members' layers as the bundle stores them: three hidden, mean head, log-variance
    /// head (the output layer split by rows).
    pub fn owned_members(&self) -> Result<Vec<OwnedMember>> {
        let s = self.s_dim;
        Ok(self
            .members
            .iter()
            .map(|m| {
                let l = &m.layers;
                [
                    l[0].owned(),
                    l[1].owned(),
                    l[2].owned(),
                    l[3].owned_rows(0..s),
                    l[3].owned_rows(s..2 * s),
                ]
            })
            .collect())
    }
}

/// A uniformly random permutation of `0..n` (Fisher-Yates).
pub fn permutation(n: usize, rng: &mut ChiRng) -> Vec<u32> {
    let mut p: Vec<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        let j = ((u64::from(rng.next_u32()) * (i as u64 + 1)) >> 32) as usize;
        p.swap(i, j);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mlp::testing::assert_same_learning;
    use chi_embedded::envs::point_mass::{Geometry, transition};

    /// Transitions of the true point mass from random states and actions.
    fn data(n: usize, seed: u64) -> ReplayBuffer {
        let mut rng = ChiRng::new(seed);
        let mut b = ReplayBuffer::new(2, 2, n);
        for _ in 0..n {
            let s = [
                0.5 + 0.5 * rng.symmetric_uniform(),
                0.5 + 0.5 * rng.symmetric_uniform(),
            ];
            let a = [rng.symmetric_uniform(), rng.symmetric_uniform()];
            let n = transition(&Geometry::OPEN, &s, &a);
            b.push(&s, &a, 0.0, &n, false);
        }
        b
    }

    #[test]
    fn learns_the_point_mass_state_change() {
        let config = EnsembleConfig {
            members: 2,
            hidden: 32,
            epochs: 30,
            ..Default::default()
        };
        let mut ens = EnsembleTrainer::new(config, 2, 2, 0).unwrap();
        let train = data(1000, 1);
        let test = data(300, 2);
        let before = ens.evaluate(&test).unwrap();
        ens.fit(&train, &mut ChiRng::new(3)).unwrap();
        let after = ens.evaluate(&test).unwrap();
        for (b, a) in before.iter().zip(&after) {
            // Normalised NLL: 0 is a unit-variance fit; a good fit has log-variance well below 0.
            assert!(*a < -2.0 && a < b, "member NLL {b} -> {a}");
        }
    }

    #[test]
    fn same_seed_same_weights() {
        let config = EnsembleConfig {
            members: 2,
            hidden: 8,
            epochs: 2,
            ..Default::default()
        };
        let train = data(200, 1);
        let run = || {
            let mut e = EnsembleTrainer::new(config, 2, 2, 5).unwrap();
            e.fit(&train, &mut ChiRng::new(6)).unwrap();
            e.owned_members().unwrap()
        };
        assert_eq!(run(), run());
    }

    /// A refit of the hand-written ensemble and one through candle's autograd, from the
    /// same weights on the same data and shuffles, for every activation and with the
    /// log-variance pressed against both soft bounds: the same NLL and the same weights.
    #[test]
    fn refit_matches_candles_autograd() {
        for (activation, bounds) in [
            (
                Activation::Relu,
                LogVarBounds {
                    min: -10.0,
                    max: 0.5,
                },
            ),
            (
                Activation::Silu,
                LogVarBounds {
                    min: -0.5,
                    max: 0.1,
                },
            ),
            (
                Activation::Tanh,
                LogVarBounds {
                    min: -10.0,
                    max: 0.5,
                },
            ),
        ] {
            let config = EnsembleConfig {
                members: 3,
                hidden: 24,
                epochs: 2,
                batch: 40,
                activation,
                log_var_bounds: bounds,
                ..Default::default()
            };
            let train = data(300, 1);
            let mut fast = EnsembleTrainer::new(config, 2, 2, 5).unwrap();
            let mut slow = reference::EnsembleTrainer::new(config, 2, 2, 5).unwrap();
            assert_eq!(fast.owned_members().unwrap(), slow.owned_members().unwrap());
            let a = fast.fit(&train, &mut ChiRng::new(6)).unwrap();
            let b = slow.fit(&train, &mut ChiRng::new(6)).unwrap();
            assert!(
                (a - b).abs() < 1e-4 * b.abs().max(1.0),
                "{activation:?}: NLL {a} against candle's {b}"
            );
            let (f, s) = (fast.owned_members().unwrap(), slow.owned_members().unwrap());
            let steps = (config.epochs * 300usize.div_ceil(config.batch)) as u32;
            assert_same_learning(
                &format!("{activation:?} members"),
                &f.concat(),
                &s.concat(),
                config.learning_rate as f32,
                steps,
            );
            let (ef, es) = (
                fast.evaluate(&train).unwrap(),
                slow.evaluate(&train).unwrap(),
            );
            for (f, s) in ef.iter().zip(&es) {
                assert!(
                    (f - s).abs() < 1e-3 * s.abs().max(1.0),
                    "{activation:?}: held-out NLL {f} against {s}"
                );
            }
        }
    }

    /// A saved ensemble restores exactly: the next refit is the same bit for bit.
    #[test]
    fn saved_ensemble_resumes_bit_for_bit() {
        let config = EnsembleConfig {
            members: 2,
            hidden: 8,
            epochs: 2,
            ..Default::default()
        };
        let train = data(200, 1);
        let mut e = EnsembleTrainer::new(config, 2, 2, 5).unwrap();
        e.fit(&train, &mut ChiRng::new(6)).unwrap();
        let dir = std::env::temp_dir().join(format!("chi-ensemble-save-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        e.save(&dir).unwrap();
        let mut back = EnsembleTrainer::new(config, 2, 2, 77).unwrap();
        back.load(&dir).unwrap();
        let (a, b) = (
            e.fit(&train, &mut ChiRng::new(8)).unwrap(),
            back.fit(&train, &mut ChiRng::new(8)).unwrap(),
        );
        assert_eq!(a.to_bits(), b.to_bits());
        assert_eq!(e.owned_members().unwrap(), back.owned_members().unwrap());
        let mut wide = EnsembleTrainer::new(
            EnsembleConfig {
                hidden: 9,
                ..config
            },
            2,
            2,
            0,
        )
        .unwrap();
        let err = wide.load(&dir).unwrap_err().to_string();
        assert!(err.contains("m0.l0.weight"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
