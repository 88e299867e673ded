//! Adam with decoupled weight decay (AdamW) over [`Mlp`]s, its state in the open so a
//! checkpoint holds it and a resumed run continues exactly as an uninterrupted one. One pass
//! over each tensor's floats, in place; each float rounded as candle's scalar ops round
//! (`x * mul + add`, in f32), so the candle trainers the tests compare against take the
//! same steps.

use std::path::Path;

use anyhow::Result;

use crate::mlp::Mlp;
use crate::tensor_file::{self, Named, TensorFile, Values};

pub(crate) const BETA1: f64 = 0.9;
pub(crate) const BETA2: f64 = 0.999;
pub(crate) const EPS: f64 = 1e-8;

/// candle's scalar op on a tensor (`t * mul + add` with both cast to f32).
fn affine(x: f32, mul: f64, add: f64) -> f32 {
    x * mul as f32 + add as f32
}

/// One AdamW step of the floats `w` with gradient `g` and moments `m`, `v`, in place:
/// `corrections` are `1 - beta^t` of both moments, `decay` is `1 - lr wd`.
///
/// The same arithmetic on every machine (no fused multiply-add, each operation rounded
/// alone), compiled for the widest vectors the CPU has: AVX-512 holds 16 floats, the x86-64
/// baseline 4.
pub fn adam_update(
    w: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    corrections: [f64; 2],
    lr: f64,
    decay: f64,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F, checked on the line above.
            return unsafe { adam_avx512(w, g, m, v, corrections, lr, decay) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked on the line above.
            return unsafe { adam_avx2(w, g, m, v, corrections, lr, decay) };
        }
    }
    adam_floats(w, g, m, v, corrections, lr, decay);
}

/// `adam_floats` compiled for a wider instruction set: the same loop, wider vectors.
macro_rules! adam_for {
    ($name:ident, $feature:literal) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $feature)]
        fn $name(
            w: &mut [f32],
            g: &[f32],
            m: &mut [f32],
            v: &mut [f32],
            corrections: [f64; 2],
            lr: f64,
            decay: f64,
        ) {
            adam_floats(w, g, m, v, corrections, lr, decay);
        }
    };
}
adam_for!(adam_avx512, "avx512f");
adam_for!(adam_avx2, "avx2");

/// A moment below f32's normal range, stored as zero.
///
/// Why: on x86 every operation with a subnormal operand or result takes a microcode assist
/// of a hundred cycles or more, and subnormal moments are common: a ReLU unit that stops
/// receiving gradient has its first moment decay by `beta1` a step through the whole
/// subnormal range (about 150 steps). At RLtools' Pendulum sizes Adam took 36% of a SAC run
/// on an Intel Xeon for that reason. No weight changes: a subnormal first moment moves a
/// weight by under 1e-33, and a subnormal second moment adds under 1e-19 to the 1e-8 of
/// `eps` (both are lost in rounding unless the weight itself is that small).
#[inline(always)]
fn normal_or_zero(x: f32) -> f32 {
    if x.abs() < f32::MIN_POSITIVE { 0.0 } else { x }
}

#[inline(always)]
fn adam_floats(
    w: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    corrections: [f64; 2],
    lr: f64,
    decay: f64,
) {
    let [c1, c2] = corrections;
    for (((w, g), m), v) in w.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
        // m = m b1 + g (1 - b1); v = v b2 + g^2 (1 - b2);
        // w = w (1 - lr wd) - lr (m / c1) / (sqrt(v / c2) + eps).
        *m = normal_or_zero(affine(*m, BETA1, 0.0) + affine(*g, 1.0 - BETA1, 0.0));
        *v = normal_or_zero(affine(*v, BETA2, 0.0) + affine(*g * *g, 1.0 - BETA2, 0.0));
        let update = affine(*m, 1.0 / c1, 0.0) / affine(affine(*v, 1.0 / c2, 0.0).sqrt(), 1.0, EPS);
        *w = affine(*w, decay, 0.0) - affine(update, lr, 0.0);
    }
}

/// `1 - beta^t` for both moments at step `t`.
pub fn corrections(step: u64) -> [f64; 2] {
    let t = step as i32;
    [1.0 - BETA1.powi(t), 1.0 - BETA2.powi(t)]
}

/// AdamW over the layers of some [`Mlp`]s (one optimiser for both critics, say), its moments
/// in the open like [`Adam`]'s and saved in the same format: moment `i` belongs to the `i`-th
/// tensor in the order weight, bias of each layer, network by network.
#[derive(Clone, Debug, PartialEq)]
pub struct MlpAdam {
    first: Vec<Vec<f32>>,
    second: Vec<Vec<f32>>,
    step: u64,
    learning_rate: f64,
    weight_decay: f64,
}

impl MlpAdam {
    /// An optimiser for `nets`, moments zero.
    pub fn new(nets: &[&Mlp], learning_rate: f64, weight_decay: f64) -> Self {
        let zeros: Vec<Vec<f32>> = nets
            .iter()
            .flat_map(|n| &n.layers)
            .flat_map(|l| [vec![0.0; l.weight.len()], vec![0.0; l.bias.len()]])
            .collect();
        Self {
            first: zeros.clone(),
            second: zeros,
            step: 0,
            learning_rate,
            weight_decay,
        }
    }

    /// One step of every layer of `nets` (the networks it was made for, in that order) with
    /// their accumulated gradients, which are consumed.
    pub fn step(&mut self, nets: &mut [&mut Mlp]) {
        self.step_side_by_side(nets, false);
    }

    /// [`MlpAdam::step`], the networks stepped side by side on rayon's pool when `parallel`:
    /// each float is computed exactly as in one pass.
    pub fn step_side_by_side(&mut self, nets: &mut [&mut Mlp], parallel: bool) {
        self.step += 1;
        let c = corrections(self.step);
        let (lr, decay) = (
            self.learning_rate,
            1.0 - self.learning_rate * self.weight_decay,
        );
        // Each network's moments: two a layer, network by network.
        let mut work = Vec::with_capacity(nets.len());
        let (mut first, mut second) = (self.first.as_mut_slice(), self.second.as_mut_slice());
        for net in nets.iter_mut() {
            let k = (2 * net.layers.len()).min(first.len());
            let (m, rest_m) = first.split_at_mut(k);
            let (v, rest_v) = second.split_at_mut(k);
            (first, second) = (rest_m, rest_v);
            work.push((&mut **net, m, v));
        }
        let step = |(net, m, v): (&mut Mlp, &mut [Vec<f32>], &mut [Vec<f32>])| {
            // Moment i belongs to tensor i whether or not it has a gradient this step; one
            // without is left alone, as candle's optimisers leave a variable no loss reached.
            let mut moments = m.iter_mut().zip(v.iter_mut());
            for layer in &mut net.layers {
                let pair = [moments.next(), moments.next()];
                let Some(tensors) = layer.take_gradients() else {
                    continue;
                };
                for ((w, g), moment) in tensors.into_iter().zip(pair) {
                    if let Some((m, v)) = moment {
                        adam_update(w, g, m, v, c, lr, decay);
                    }
                }
            }
        };
        if parallel {
            use rayon::prelude::*;
            work.into_par_iter().for_each(step);
        } else {
            work.into_iter().for_each(step);
        }
    }

    /// Writes the moments and the step count (`m{i}`, `v{i}`, `step`: the format candle's
    /// optimiser state was saved in, so earlier checkpoints resume).
    pub fn save(&self, path: &Path) -> Result<()> {
        let step = [self.step as f64];
        let mut tensors = Vec::with_capacity(2 * self.first.len() + 1);
        for (i, (m, v)) in self.first.iter().zip(&self.second).enumerate() {
            for (key, x) in [(format!("m{i}"), m), (format!("v{i}"), v)] {
                tensors.push(Named {
                    name: key,
                    shape: vec![x.len()],
                    values: Values::F32(x),
                });
            }
        }
        tensors.push(Named {
            name: "step".into(),
            shape: vec![1],
            values: Values::F64(&step),
        });
        tensor_file::write(path, &tensors)
    }

    /// Restores what [`MlpAdam::save`] wrote for the same networks.
    pub fn load(&mut self, path: &Path) -> Result<()> {
        let file = TensorFile::read(path)?;
        let mut first = Vec::with_capacity(self.first.len());
        let mut second = Vec::with_capacity(self.second.len());
        for (i, m) in self.first.iter().enumerate() {
            first.push(file.f32s_flat(&format!("m{i}"), m.len())?);
            second.push(file.f32s_flat(&format!("v{i}"), m.len())?);
        }
        let step = file.f64_scalar("step")?;
        if !(step >= 0.0 && step.fract() == 0.0) {
            anyhow::bail!("{}: step {step} is not a step count", path.display());
        }
        (self.first, self.second, self.step) = (first, second, step as u64);
        Ok(())
    }
}
