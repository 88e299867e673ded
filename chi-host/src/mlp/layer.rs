//! One dense layer of an [`super::Mlp`]: its forward pass as a `gemm` product with the bias
//! and the activation fused into the pass over the output, and its backward pass as the two
//! products of the weight and input gradients, side by side when asked.

use chi_embedded::bundle::owned::OwnedLayer;
use chi_embedded::nn::Activation;

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
pub(super) fn activate(f: Option<Activation>, x: f32) -> f32 {
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
