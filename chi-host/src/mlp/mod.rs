//! Multi-layer perceptrons that train without a framework: forward and backward passes as
//! a few large matrix products on the `gemm` crate into buffers allocated once, the bias
//! and the activation fused into the pass over each product's output. At the widths chi trains
//! (32 to 350) a framework's per-operation cost (a tensor allocated for every op, a graph
//! built and walked for every loss) is a large share of a step; here a step is the
//! products and one pass over each activation.
//!
//! Layout: row-major everywhere. A layer's weights are `out x in` (as candle's `Linear`
//! and the bundle store them), a batch is `n x width`.

use std::path::Path;

use anyhow::Result;
use chi_embedded::nn::Activation;
use chi_embedded::rng::ChiRng;

use crate::tensor_file::{self, Named, TensorFile, Values};

mod layer;

pub use layer::Layer;
use layer::activate;

/// Layers with an activation between them (none after the last), and the activations of the
/// last forward pass, which `backward` needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    /// The layers, input first.
    pub layers: Vec<Layer>,
    /// The non-linearity after every layer but the last.
    pub activation: Activation,
    /// Each layer's name in checkpoints (`l0`, `l1`, ... unless set).
    pub names: Vec<String>,
    /// Pre-activations of the hidden layers in the last forward pass, where the activation's
    /// derivative needs them (SiLU); `pre[l]` belongs with `acts[l]`.
    pre: Vec<Vec<f32>>,
    /// `acts[l]` is layer `l`'s input for the batch of the last forward pass (`acts[0]` the
    /// batch itself); the last entry is the output.
    acts: Vec<Vec<f32>>,
    /// Rows of that batch.
    rows: usize,
    /// Gradient buffers, one a layer input.
    grads: Vec<Vec<f32>>,
    /// Whether `backward` computes each layer's weight gradients and input gradient side by
    /// side on rayon's pool (for a network whose backward pass has no twin to run beside).
    pub split_backward: bool,
}

impl Mlp {
    /// The first layer holding a NaN or infinite weight or bias, by its name (`l0`, ...).
    pub fn non_finite_layer(&self) -> Option<&str> {
        self.layers
            .iter()
            .zip(&self.names)
            .find(|(l, _)| l.weight.iter().chain(&l.bias).any(|w| !w.is_finite()))
            .map(|(_, name)| name.as_str())
    }

    /// A network of `layers` with ReLU between them, each one's inputs the previous one's
    /// outputs.
    ///
    /// # Panics
    /// If the widths do not chain.
    pub fn new(layers: Vec<Layer>) -> Self {
        for pair in layers.windows(2) {
            assert_eq!(pair[0].outputs, pair[1].inputs, "layer widths chain");
        }
        let n = layers.len();
        Self {
            layers,
            activation: Activation::Relu,
            names: (0..n).map(|k| format!("l{k}")).collect(),
            pre: vec![Vec::new(); n + 1],
            acts: vec![Vec::new(); n + 1],
            rows: 0,
            grads: vec![Vec::new(); n + 1],
            split_backward: false,
        }
    }

    /// Input width.
    pub fn inputs(&self) -> usize {
        self.layers.first().map_or(0, |l| l.inputs)
    }

    /// Output width.
    pub fn outputs(&self) -> usize {
        self.layers.last().map_or(0, |l| l.outputs)
    }

    /// The network on `x` (`n x inputs`); the output (`n x outputs`) stays until the next
    /// forward pass, with what `backward` needs.
    pub fn forward(&mut self, x: &[f32], n: usize) -> &[f32] {
        assert_eq!(x.len(), n * self.inputs(), "network input shape");
        self.rows = n;
        forward_keeping(
            &self.layers,
            self.activation,
            &mut self.pre,
            &mut self.acts,
            x,
            n,
        );
        &self.acts[self.layers.len()]
    }

    /// [`Mlp::forward`] on `x` (`n` rows) and, side by side on rayon's pool when `parallel`,
    /// [`Mlp::infer`] on `other` (`m` rows) with the same weights; the latter's output.
    /// Both are computed exactly as alone.
    pub fn forward_beside_infer(
        &mut self,
        x: &[f32],
        n: usize,
        other: &[f32],
        m: usize,
        parallel: bool,
    ) -> Vec<f32> {
        assert_eq!(x.len(), n * self.inputs(), "network input shape");
        assert_eq!(other.len(), m * self.inputs(), "network input shape");
        self.rows = n;
        let Self {
            layers,
            activation,
            pre,
            acts,
            ..
        } = self;
        let (layers, f) = (&*layers, *activation);
        let mut keep = || forward_keeping(layers, f, pre, acts, x, n);
        let infer = || infer_layers(layers, f, other, m);
        if parallel {
            rayon::join(keep, infer).1
        } else {
            keep();
            infer()
        }
    }

    /// The output of the last forward pass.
    pub fn output(&self) -> &[f32] {
        &self.acts[self.layers.len()]
    }

    /// Back-propagates `dy` (`n x outputs`, the loss's gradient at the last forward pass's
    /// output): adds every layer's weight and bias gradients (if `weights`; a loss that
    /// only passes through the network, as the actor's through the critics, needs none) and,
    /// if `input_grad`, returns the gradient at the network's input.
    pub fn backward(&mut self, dy: &[f32], input_grad: bool, weights: bool) -> Option<&[f32]> {
        let n = self.rows;
        assert_eq!(dy.len(), n * self.outputs(), "output gradient shape");
        let count = self.layers.len();
        self.grads[count].clear();
        self.grads[count].extend_from_slice(dy);
        for l in (0..count).rev() {
            let (below, above) = self.grads.split_at_mut(l + 1);
            let dy = &mut above[0];
            let layer = &mut self.layers[l];
            if l + 1 < count {
                // Through the activation after layer l.
                // One loop per activation, the match outside it, so each vectorises.
                let (ys, xs) = (&self.acts[l + 1], &self.pre[l + 1]);
                match self.activation {
                    Activation::Relu => {
                        for (g, y) in dy.iter_mut().zip(ys) {
                            *g = if *y > 0.0 { *g } else { 0.0 };
                        }
                    }
                    Activation::Tanh => {
                        for (g, y) in dy.iter_mut().zip(ys) {
                            *g *= 1.0 - y * y;
                        }
                    }
                    Activation::Silu => {
                        for (g, x) in dy.iter_mut().zip(xs) {
                            let s = 1.0 / (1.0 + (-x).exp());
                            *g *= s * (1.0 + x * (1.0 - s));
                        }
                    }
                }
            }
            let want_dx = l > 0 || input_grad;
            let dx = &mut below[l];
            dx.resize(n * layer.inputs, 0.0);
            layer.backward(
                &self.acts[l],
                n,
                dy,
                want_dx.then_some(dx.as_mut_slice()),
                weights,
                self.split_backward,
            );
        }
        input_grad.then(|| self.grads[0].as_slice())
    }

    /// Sets every gradient to zero.
    pub fn zero_grad(&mut self) {
        for l in &mut self.layers {
            l.zero_grad();
        }
    }
}

impl Mlp {
    /// A network of `widths` (input first), every layer initialised as PyTorch's linear
    /// layers are, `U(-1/sqrt(fan_in), 1/sqrt(fan_in))`, from `rng`: weights then bias, layer
    /// by layer (the order [`crate::params::Params::linear`] draws in).
    pub fn seeded(widths: &[usize], rng: &mut ChiRng) -> Self {
        Self::new(
            widths
                .windows(2)
                .map(|w| {
                    let bound = 1.0 / (w[0] as f32).sqrt();
                    let mut draw = |n: usize| -> Vec<f32> {
                        (0..n).map(|_| bound * rng.symmetric_uniform()).collect()
                    };
                    let weight = draw(w[0] * w[1]);
                    Layer::new(w[0], w[1], weight, draw(w[1]))
                })
                .collect(),
        )
    }

    /// The network on `x` (`n x inputs`) without keeping anything for a backward pass.
    pub fn infer(&self, x: &[f32], n: usize) -> Vec<f32> {
        assert_eq!(x.len(), n * self.inputs(), "network input shape");
        infer_layers(&self.layers, self.activation, x, n)
    }

    /// `self <- tau source + (1 - tau) self`, weight by weight (target networks), rounded
    /// as candle's scalar ops round: each product in f32, then the sum.
    pub fn blend_from(&mut self, source: &Mlp, tau: f64) {
        let (a, b) = (tau as f32, (1.0 - tau) as f32);
        for (t, s) in self.layers.iter_mut().zip(&source.layers) {
            for (t, s) in t
                .weight
                .iter_mut()
                .zip(&s.weight)
                .chain(t.bias.iter_mut().zip(&s.bias))
            {
                *t = s * a + *t * b;
            }
        }
    }

    /// The tensors by name, `{name}.{layer}.weight` (`outputs x inputs`) and `.bias`, as
    /// [`crate::params::Params`] names a network's: checkpoints of either read alike.
    fn named(&self, name: &str) -> Vec<(String, Vec<usize>, &[f32])> {
        self.layers
            .iter()
            .zip(&self.names)
            .flat_map(|(l, layer)| {
                [
                    (
                        format!("{name}.{layer}.weight"),
                        vec![l.outputs, l.inputs],
                        l.weight.as_slice(),
                    ),
                    (
                        format!("{name}.{layer}.bias"),
                        vec![l.outputs],
                        l.bias.as_slice(),
                    ),
                ]
            })
            .collect()
    }
}

/// `layers` with `f` between them on `x` (`n` rows), keeping each layer's input in `acts`
/// (and the pre-activations SiLU's derivative needs in `pre`) for a backward pass.
fn forward_keeping(
    layers: &[Layer],
    f: Activation,
    pre: &mut [Vec<f32>],
    acts: &mut [Vec<f32>],
    x: &[f32],
    n: usize,
) {
    acts[0].clear();
    acts[0].extend_from_slice(x);
    let last = layers.len().saturating_sub(1);
    for (l, layer) in layers.iter().enumerate() {
        let (done, rest) = acts.split_at_mut(l + 1);
        let out = &mut rest[0];
        out.resize(n * layer.outputs, 0.0);
        if l < last && f == Activation::Silu {
            let pre = &mut pre[l + 1];
            pre.resize(n * layer.outputs, 0.0);
            layer.forward(&done[l], n, pre, None);
            for (y, x) in out.iter_mut().zip(pre.iter()) {
                *y = activate(Some(f), *x);
            }
        } else {
            layer.forward(&done[l], n, out, (l < last).then_some(f));
        }
    }
}

/// `layers` with `f` between them on `x` (`n` rows), keeping nothing.
fn infer_layers(layers: &[Layer], f: Activation, x: &[f32], n: usize) -> Vec<f32> {
    let mut h = x.to_vec();
    let last = layers.len().saturating_sub(1);
    for (l, layer) in layers.iter().enumerate() {
        let mut out = vec![0.0; n * layer.outputs];
        layer.forward(&h, n, &mut out, (l < last).then_some(f));
        h = out;
    }
    h
}

/// Writes networks (each under its name) to one safetensors file.
pub fn save(path: &Path, nets: &[(&str, &Mlp)]) -> Result<()> {
    let tensors: Vec<Named> = nets
        .iter()
        .flat_map(|(name, net)| net.named(name))
        .map(|(name, shape, data)| Named {
            name,
            shape,
            values: Values::F32(data),
        })
        .collect();
    tensor_file::write(path, &tensors)
}

/// Restores networks from a file [`save`] wrote with the same names and shapes.
pub fn load(path: &Path, nets: &mut [(&str, &mut Mlp)]) -> Result<()> {
    let file = TensorFile::read(path)?;
    for (name, net) in nets.iter_mut() {
        let values = net
            .named(name)
            .into_iter()
            .map(|(key, shape, _)| file.f32s(&key, &shape))
            .collect::<Result<Vec<_>>>()?;
        let mut values = values.into_iter();
        for l in &mut net.layers {
            if let (Some(w), Some(b)) = (values.next(), values.next()) {
                (l.weight, l.bias) = (w, b);
            }
        }
    }
    Ok(())
}

/// Checks shared by the tests of the learners built on these networks.
#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests;
