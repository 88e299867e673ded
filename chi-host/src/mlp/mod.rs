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
use chi_embedded::bundle::owned::OwnedLayer;
use chi_embedded::nn::Activation;
use chi_embedded::rng::ChiRng;

use crate::tensor_file::{self, Named, TensorFile, Values};

/// A dense layer `y = x W^T + b` and its gradients.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// Inputs.
    pub inputs: usize,
    /// Outputs.
    pub outputs: usize,
    /// `outputs x inputs`, row-major.
    pub weight: Vec<f32>,
    /// `outputs`.
    pub bias: Vec<f32>,
    /// Gradient of the loss with respect to `weight`, accumulated by `backward` since the
    /// gradients were last taken (stale values when `fresh` is false).
    weight_grad: Vec<f32>,
    /// Gradient with respect to `bias`, likewise.
    bias_grad: Vec<f32>,
    /// Whether the gradients hold anything since they were last taken or zeroed. Without it
    /// every step would zero them in one more pass over all the weights, and the first
    /// backward would read those zeros back: at the ensemble's 1.3 M weights that memory
    /// traffic is as much as the products.
    fresh: bool,
}

/// A strided view of a matrix for [`product`]: element `(r, c)` is `data[r rs + c cs]`.
#[derive(Clone, Copy)]
struct View<'a> {
    data: &'a [f32],
    rs: usize,
    cs: usize,
}

impl View<'_> {
    /// The largest index element `(rows - 1, cols - 1)` touches, plus one.
    fn extent(&self, rows: usize, cols: usize) -> usize {
        if rows == 0 || cols == 0 {
            0
        } else {
            (rows - 1) * self.rs + (cols - 1) * self.cs + 1
        }
    }
}

/// `f(x)` of the activation (candle's formulas: SiLU is `x / (1 + e^-x)`).
fn activate(f: Option<Activation>, x: f32) -> f32 {
    match f {
        None => x,
        Some(Activation::Relu) => x.max(0.0),
        Some(Activation::Silu) => x / (1.0 + (-x).exp()),
        Some(Activation::Tanh) => x.tanh(),
    }
}

/// `dst (m x n, row-major) = [dst +] a (m x k) b (k x n)`.
///
/// # Panics
/// If a view is shorter than its shape needs (a bug in this module, not bad data).
fn product(dst: &mut [f32], m: usize, n: usize, k: usize, accumulate: bool, a: View, b: View) {
    assert!(dst.len() >= m * n, "product output {m} x {n}");
    assert!(a.data.len() >= a.extent(m, k), "product lhs {m} x {k}");
    assert!(b.data.len() >= b.extent(k, n), "product rhs {k} x {n}");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(0.0);
        }
        return;
    }
    // SAFETY: the asserts above keep every element gemm reads (a: m x k, b: k x n with
    // the given strides) and writes (dst: m x n, row-major) inside its slice; dst does not
    // alias a or b (it is a distinct &mut).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            // One thread: at these sizes (a 256 x 256 x 256 product is 0.1 ms) splitting a
            // product between two cores cost more than it saved (a SAC update 3.6 ms on one
            // thread, 5.7 ms on both). What runs side by side is whole independent products
            // (the twin critics, a layer's weight and input gradients), from a pool thread.
            gemm::Parallelism::None,
        );
    }
}

/// `dX (n x i) = dY (n x o) W (o x i)`: a layer's input gradient from its output's.
fn input_gradient(weight: &[f32], (i, o): (usize, usize), n: usize, dy: &[f32], dx: &mut [f32]) {
    let dyv = View {
        data: dy,
        rs: o,
        cs: 1,
    };
    let w = View {
        data: weight,
        rs: i,
        cs: 1,
    };
    product(dx, n, i, o, false, dyv, w);
}

/// `dW (o x i) += dY^T (o x n) X (n x i)` and the bias's gradient, overwriting instead of
/// adding when the gradients are not `fresh` (taken since the last backward).
fn add_weight_gradients(
    weight_grad: &mut [f32],
    bias_grad: &mut [f32],
    fresh: &mut bool,
    (i, o): (usize, usize),
    x: &[f32],
    n: usize,
    dy: &[f32],
) {
    let dyt = View {
        data: dy,
        rs: 1,
        cs: o,
    };
    let xv = View {
        data: x,
        rs: i,
        cs: 1,
    };
    let accumulate = *fresh;
    product(weight_grad, o, i, n, accumulate, dyt, xv);
    if !accumulate {
        bias_grad.fill(0.0);
    }
    for row in dy[..n * o].chunks_exact(o) {
        for (g, d) in bias_grad.iter_mut().zip(row) {
            *g += d;
        }
    }
    *fresh = true;
}

impl Layer {
    /// A layer of the given weights (`outputs x inputs`) and bias.
    ///
    /// # Panics
    /// If the lengths do not match the shape.
    pub fn new(inputs: usize, outputs: usize, weight: Vec<f32>, bias: Vec<f32>) -> Self {
        assert_eq!(weight.len(), inputs * outputs, "layer weight shape");
        assert_eq!(bias.len(), outputs, "layer bias shape");
        Self {
            inputs,
            outputs,
            weight,
            bias,
            weight_grad: vec![0.0; inputs * outputs],
            bias_grad: vec![0.0; outputs],
            fresh: false,
        }
    }

    /// `y (n x outputs) = x (n x inputs) W^T + b`, then `activation` if one is given.
    pub fn forward(&self, x: &[f32], n: usize, y: &mut [f32], activation: Option<Activation>) {
        let (i, o) = (self.inputs, self.outputs);
        let x = View {
            data: x,
            rs: i,
            cs: 1,
        };
        // W^T (i x o): element (c, r) is W[r i + c].
        let wt = View {
            data: &self.weight,
            rs: 1,
            cs: i,
        };
        product(y, n, o, i, false, x, wt);
        for row in y[..n * o].chunks_exact_mut(o) {
            for (v, b) in row.iter_mut().zip(&self.bias) {
                *v = activate(activation, *v + b);
            }
        }
    }

    /// Given `dy`, the gradient at this layer's output for the batch `x` it saw, adds the
    /// gradients of the weights and bias (if `weights`), and writes the gradient at its input
    /// into `dx` when asked. With `split`, the two products (weight gradients, input gradient)
    /// run side by side on rayon's pool; each is computed exactly as alone.
    pub fn backward(
        &mut self,
        x: &[f32],
        n: usize,
        dy: &[f32],
        dx: Option<&mut [f32]>,
        weights: bool,
        split: bool,
    ) {
        let shape = (self.inputs, self.outputs);
        let Self {
            weight,
            weight_grad,
            bias_grad,
            fresh,
            ..
        } = self;
        let weight = &*weight;
        let mut weight_gradients = || {
            if weights {
                add_weight_gradients(weight_grad, bias_grad, fresh, shape, x, n, dy);
            }
        };
        match dx {
            Some(dx) if split && weights => {
                rayon::join(weight_gradients, || {
                    input_gradient(weight, shape, n, dy, dx)
                });
            }
            Some(dx) => {
                weight_gradients();
                input_gradient(weight, shape, n, dy, dx);
            }
            None => weight_gradients(),
        }
    }

    /// Sets the gradients to zero.
    pub fn zero_grad(&mut self) {
        self.fresh = false;
    }

    /// The gradients of weight and bias accumulated since they were last taken, if any.
    pub fn gradients(&self) -> Option<(&[f32], &[f32])> {
        self.fresh.then_some((&self.weight_grad, &self.bias_grad))
    }

    /// The weights and the bias, each with its gradient, if any was accumulated; the
    /// gradients are consumed (the next backward starts from zero).
    pub fn take_gradients(&mut self) -> Option<[(&mut [f32], &[f32]); 2]> {
        if !self.fresh {
            return None;
        }
        self.fresh = false;
        Some([
            (&mut self.weight, &self.weight_grad),
            (&mut self.bias, &self.bias_grad),
        ])
    }

    /// The layer as the bundle stores it.
    pub fn owned(&self) -> OwnedLayer {
        self.owned_rows(0..self.outputs)
    }

    /// Rows `rows` of the layer (one head of a combined output layer) as the bundle stores
    /// them.
    pub fn owned_rows(&self, rows: std::ops::Range<usize>) -> OwnedLayer {
        OwnedLayer::f32(
            rows.len(),
            self.inputs,
            self.weight[rows.start * self.inputs..rows.end * self.inputs].to_vec(),
            self.bias[rows].to_vec(),
        )
    }
}

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
