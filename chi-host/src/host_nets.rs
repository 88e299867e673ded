//! The controller's networks on the host at any size chosen at run time: the policy, the
//! ensemble and the value past the horizon of a [`BundleSpec`], evaluated with f32 sgemm
//! over whole batches.
//!
//! They implement chi-embedded's [`AmortisedPolicy`] and [`Dynamics`], so the host's CHI
//! agent runs the board's controller code (amortised phase, Eq. 4 planner, refit) and only
//! evaluates networks differently: all `K` samples through a layer as one matrix product.
//! Numbers agree with the board's kernels to f32 rounding (sums run in another order); the
//! exported bundle is checked on the board's own kernels.

use chi_embedded::bundle::owned::{BundleSpec, OwnedLayer, OwnedPolicy};
use chi_embedded::dynamics::Dynamics;
use chi_embedded::nn::Activation;
use chi_embedded::normaliser::normalise;
use chi_embedded::policy::{AmortisedPolicy, LogStdBounds, SquashedGaussian};

mod packed;
mod terminal_value;

pub use terminal_value::TerminalValue;

/// Each product on one thread: with `gemm-threads` the ensemble splits rows across threads
/// instead ([`HostEnsemble`]'s `predict`).
const PARALLELISM: gemm::Parallelism = gemm::Parallelism::None;

/// A dense layer `y = W x + b`, weights row-major `rows x cols` (int8 dequantised).
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    rows: usize,
    cols: usize,
    kernel: Kernel,
}

/// How a layer multiplies: the weights are held in the one layout its kernel reads.
#[derive(Clone, Debug, PartialEq)]
enum Kernel {
    /// Packed for the AVX-512 kernel, where this CPU has it.
    Packed(packed::Packed),
    /// Row-major for the `gemm` crate: CPUs without AVX-512F.
    Gemm { weights: Vec<f32>, bias: Vec<f32> },
}

impl From<&OwnedLayer> for Layer {
    fn from(l: &OwnedLayer) -> Self {
        let weights = l.dequantised();
        let kernel = match packed::Packed::new(l.rows, l.cols, &weights, &l.bias) {
            Some(p) => Kernel::Packed(p),
            None => Kernel::Gemm {
                weights,
                bias: l.bias.clone(),
            },
        };
        Self {
            rows: l.rows,
            cols: l.cols,
            kernel,
        }
    }
}

impl Layer {
    /// `y[n x rows] = activation(x[n x cols] W^T + b)` (no activation: `None`).
    pub fn forward(&self, x: &[f32], n: usize, y: &mut Vec<f32>, activation: Option<Activation>) {
        let relu = activation == Some(Activation::Relu);
        // The packed kernel applies ReLU as it stores; anything else is a pass afterwards.
        let after = match &self.kernel {
            Kernel::Packed(p) => {
                p.forward(x, n, y, relu);
                activation.filter(|_| !relu)
            }
            Kernel::Gemm { weights, bias } => {
                self.forward_gemm(weights, bias, x, n, y);
                activation
            }
        };
        if let Some(a) = after {
            a.apply(y);
        }
    }

    /// `y[n x rows] = x[n x cols] W^T + b` through the `gemm` crate.
    fn forward_gemm(&self, weights: &[f32], bias: &[f32], x: &[f32], n: usize, y: &mut Vec<f32>) {
        assert_eq!(x.len(), n * self.cols, "layer input width");
        y.clear();
        for _ in 0..n {
            y.extend_from_slice(bias);
        }
        if n == 0 {
            return;
        }
        // SAFETY: x is n x cols (asserted), W is rows x cols (built from a checked layer),
        // y is n x rows (just filled); the strides below address exactly those elements:
        // dst y (n x rows, row-major), lhs x (n x cols, row-major), rhs W^T (cols x rows:
        // element (c, r) is W[r cols + c]).
        unsafe {
            gemm::gemm(
                n,
                self.rows,
                self.cols,
                y.as_mut_ptr(),
                1,
                self.rows as isize,
                true,
                x.as_ptr(),
                1,
                self.cols as isize,
                weights.as_ptr(),
                self.cols as isize,
                1,
                1.0,
                1.0,
                false,
                false,
                false,
                PARALLELISM,
            );
        }
    }
}

/// Hidden layers with an activation after each, for a batch, ping-ponging two buffers.
fn trunk(
    layers: &[Layer],
    activation: Activation,
    x: &[f32],
    n: usize,
    a: &mut Vec<f32>,
    b: &mut Vec<f32>,
) {
    a.clear();
    a.extend_from_slice(x);
    for layer in layers {
        layer.forward(a, n, b, Some(activation));
        std::mem::swap(a, b);
    }
}

/// Appends the normalised `x` to `out` (the board's rule, [`normalise`]).
fn normalise_into<'a>(
    x: impl IntoIterator<Item = &'a f32>,
    mean: &[f32],
    inv_std: &[f32],
    out: &mut Vec<f32>,
) {
    // Past `x`, zeros up to the normaliser's width: the ensemble input's padding
    // (`chi_embedded::bundle::ensemble_input`), normalised as the board normalises it.
    out.extend(
        x.into_iter()
            .copied()
            .chain(std::iter::repeat(0.0))
            .zip(mean)
            .zip(inv_std)
            .map(|((x, m), k)| normalise(x, *m, *k)),
    );
}

struct Member {
    hidden: Vec<Layer>,
    mean: Layer,
}

/// The ensemble of a spec, batched.
pub struct HostEnsemble {
    members: Vec<Member>,
    in_mean: Vec<f32>,
    in_inv_std: Vec<f32>,
    out_mean: Vec<f32>,
    out_std: Vec<f32>,
    activation: Activation,
    /// Buffers of each worker (one without `gemm-threads`).
    scratch: Vec<[Vec<f32>; 3]>,
    /// The value past the horizon the planner adds, if the agent uses one.
    terminal: Option<TerminalValue>,
}

impl HostEnsemble {
    /// The ensemble of `spec`.
    pub fn from_spec(spec: &BundleSpec) -> Self {
        Self {
            members: spec
                .members
                .iter()
                .map(|m| Member {
                    hidden: m[..3].iter().map(Layer::from).collect(),
                    mean: Layer::from(&m[3]),
                })
                .collect(),
            in_mean: spec.ensemble_input_mean.clone(),
            in_inv_std: spec.ensemble_input_inv_std.clone(),
            out_mean: spec.ensemble_output_mean.clone(),
            out_std: spec.ensemble_output_std.clone(),
            activation: spec.header.ensemble_activation,
            scratch: Default::default(),
            terminal: None,
        }
    }

    /// Sets (or, with `None`, removes) the value the planner adds at the horizon: how the
    /// agent follows the critic as SAC trains.
    pub fn set_terminal_value(&mut self, terminal: Option<TerminalValue>) {
        self.terminal = terminal;
    }
}

impl<const S: usize, const A: usize> Dynamics<S, A> for HostEnsemble {
    fn members(&self) -> usize {
        self.members.len()
    }

    fn add_terminal_values(&mut self, states: &[[f32; S]], returns: &mut [f32]) {
        if let Some(terminal) = &mut self.terminal {
            terminal.add_to(states, returns);
        }
    }

    fn predict(
        &mut self,
        member: usize,
        states: &[[f32; S]],
        actions: &[[f32; A]],
        next: &mut [[f32; S]],
    ) {
        let Self {
            members,
            in_mean,
            in_inv_std,
            out_mean,
            out_std,
            activation,
            scratch,
            terminal: _,
        } = self;
        let Some(m) = members.get(member) else {
            next.iter_mut().zip(states).for_each(|(n, s)| *n = *s);
            return;
        };
        let rows = Rows {
            member: m,
            in_mean,
            in_inv_std,
            out_mean,
            out_std,
            activation: *activation,
        };
        // With `gemm-threads`, the rows are split across the threads, each running whole
        // single-threaded products on its share: one hand-off a prediction instead of one
        // inside every product (measured on the planner bench: see
        // experiments/half-cheetah-planner.md).
        #[cfg(feature = "gemm-threads")]
        {
            use rayon::prelude::*;
            let n = states.len().min(actions.len()).min(next.len());
            let parts = rayon::current_num_threads().max(1);
            if scratch.len() < parts {
                scratch.resize_with(parts, Default::default);
            }
            let chunk = n.div_ceil(parts).max(1);
            next[..n]
                .par_chunks_mut(chunk)
                .zip(states[..n].par_chunks(chunk))
                .zip(actions[..n].par_chunks(chunk))
                .zip(scratch.par_iter_mut())
                .for_each(|(((next, states), actions), scratch)| {
                    rows.predict(states, actions, next, scratch);
                });
        }
        #[cfg(not(feature = "gemm-threads"))]
        {
            if scratch.is_empty() {
                scratch.push(Default::default());
            }
            if let Some(scratch) = scratch.first_mut() {
                rows.predict(states, actions, next, scratch);
            }
        }
    }
}

/// What one member's prediction of a batch of rows reads.
struct Rows<'a> {
    member: &'a Member,
    in_mean: &'a [f32],
    in_inv_std: &'a [f32],
    out_mean: &'a [f32],
    out_std: &'a [f32],
    activation: Activation,
}

impl Rows<'_> {
    /// `next[k]` = `states[k]` + the member's mean state change, for each row.
    fn predict<const S: usize, const A: usize>(
        &self,
        states: &[[f32; S]],
        actions: &[[f32; A]],
        next: &mut [[f32; S]],
        [x, a, b]: &mut [Vec<f32>; 3],
    ) {
        let n = states.len().min(actions.len()).min(next.len());
        x.clear();
        for (s, act) in states.iter().zip(actions).take(n) {
            normalise_into(s.iter().chain(act), self.in_mean, self.in_inv_std, x);
        }
        trunk(&self.member.hidden, self.activation, x, n, a, b);
        self.member.mean.forward(a, n, b, None);
        for ((out, s), z) in next.iter_mut().zip(states).zip(b.chunks_exact(S)) {
            for (((o, s), z), (mean, std)) in out
                .iter_mut()
                .zip(s)
                .zip(z)
                .zip(self.out_mean.iter().zip(self.out_std))
            {
                let v = s + (z * std + mean);
                *o = if v.is_finite() { v } else { *s };
            }
        }
    }
}

/// The policy of a spec.
pub struct HostPolicy {
    hidden: Vec<Layer>,
    mean: Layer,
    log_std: Layer,
    in_mean: Vec<f32>,
    in_inv_std: Vec<f32>,
    activation: Activation,
    bounds: LogStdBounds,
}

impl HostPolicy {
    /// The policy of `spec`.
    pub fn from_spec(spec: &BundleSpec) -> Self {
        let mut policy = Self {
            hidden: Vec::new(),
            mean: Layer::from(&spec.policy[2]),
            log_std: Layer::from(&spec.policy[3]),
            in_mean: spec.policy_input_mean.clone(),
            in_inv_std: spec.policy_input_inv_std.clone(),
            activation: spec.header.policy_activation,
            bounds: spec.header.log_std_bounds,
        };
        policy.set_layers(&spec.policy);
        policy
    }

    /// Replaces the weights (same shapes, normalisation and bounds): how the agent follows
    /// SAC as it trains without rebuilding anything else.
    pub fn set_layers(&mut self, layers: &OwnedPolicy) {
        self.hidden = layers[..2].iter().map(Layer::from).collect();
        self.mean = Layer::from(&layers[2]);
        self.log_std = Layer::from(&layers[3]);
    }
}

impl<const S: usize, const A: usize> AmortisedPolicy<S, A> for HostPolicy {
    fn gaussian(&self, s: &[f32; S]) -> SquashedGaussian<A> {
        let mut x = Vec::with_capacity(S);
        normalise_into(s, &self.in_mean, &self.in_inv_std, &mut x);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        trunk(&self.hidden, self.activation, &x, 1, &mut a, &mut b);
        let (mut mean, mut log_std) = (Vec::new(), Vec::new());
        self.mean.forward(&a, 1, &mut mean, None);
        self.log_std.forward(&a, 1, &mut log_std, None);
        let mut out = SquashedGaussian {
            mean: [0.0; A],
            std: [0.0; A],
        };
        for (((m, sd), mu), ls) in out
            .mean
            .iter_mut()
            .zip(&mut out.std)
            .zip(&mean)
            .zip(&log_std)
        {
            let ls = if ls.is_nan() {
                self.bounds.max
            } else {
                ls.clamp(self.bounds.min, self.bounds.max)
            };
            *m = if mu.is_finite() { *mu } else { 0.0 };
            *sd = if mu.is_finite() {
                ls.exp()
            } else {
                self.bounds.max.exp()
            };
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chi_embedded::bundle::testing::random_spec;
    use chi_embedded::bundle::{Bundle, Dims, Precision};

    /// The `gemm` path runs only on CPUs without AVX-512F; it must give what the layer
    /// gives here (the packed kernel where this CPU has one, else itself).
    /// Half-Cheetah's 23 ensemble inputs padded to 24 for the board's kernels: the host on
    /// the padded spec, the host on the same networks unpadded and the board all predict the
    /// same next states.
    #[test]
    fn a_padded_ensemble_input_predicts_as_the_unpadded_one_on_host_and_board() {
        use chi_embedded::bundle::owned::OwnedWeights;
        use chi_embedded::bundle::testing::half_cheetah_spec;
        let spec = half_cheetah_spec(Precision::F32, 3);
        assert_eq!(spec.ensemble_input_mean.len(), 24);
        let mut unpadded = spec.clone();
        unpadded.ensemble_input_mean.truncate(23);
        unpadded.ensemble_input_inv_std.truncate(23);
        for member in &mut unpadded.members {
            let first = &mut member[0];
            let OwnedWeights::F32(w) = &first.weights else {
                panic!("an f32 spec");
            };
            assert!(
                w.chunks(24).all(|row| row[23] == 0.0),
                "padding weighs nothing"
            );
            let rows: Vec<f32> = w.chunks(24).flat_map(|row| row[..23].to_vec()).collect();
            first.weights = OwnedWeights::F32(rows);
            first.cols = 23;
        }
        let bytes = spec.encode().unwrap();
        let board = Bundle::<17, 6, 24, 3, 64, 64, 7, 128>::parse(bytes.as_bytes()).unwrap();
        let (mut padded, mut plain) = (
            HostEnsemble::from_spec(&spec),
            HostEnsemble::from_spec(&unpadded),
        );
        let states: Vec<[f32; 17]> = (0..3)
            .map(|k| std::array::from_fn(|i| 0.3 * (i as f32 - 8.0) * (k as f32 + 1.0) / 8.0))
            .collect();
        let actions: Vec<[f32; 6]> = (0..3)
            .map(|k| std::array::from_fn(|i| ((i + k) as f32 * 0.37).sin()))
            .collect();
        for member in 0..3 {
            let (mut a, mut b) = ([[0.0; 17]; 3], [[0.0; 17]; 3]);
            Dynamics::<17, 6>::predict(&mut padded, member, &states, &actions, &mut a);
            Dynamics::<17, 6>::predict(&mut plain, member, &states, &actions, &mut b);
            for ((s, act), (x, y)) in states.iter().zip(&actions).zip(a.iter().zip(&b)) {
                let want = board.ensemble.predict_next(member, s, act);
                for ((x, y), w) in x.iter().zip(y).zip(want) {
                    assert!(
                        (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
                        "host padded {x} unpadded {y}"
                    );
                    assert!(
                        (x - w).abs() <= 1e-5 * (1.0 + w.abs()),
                        "host {x} board {w}"
                    );
                }
            }
        }
    }

    #[test]
    fn gemm_path_agrees_with_the_layer_as_built() {
        let dims = Dims {
            state: 17,
            action: 6,
            members: 1,
            ensemble_hidden: 40,
            policy_hidden: 12,
            horizon: 7,
            samples: 32,
        };
        let spec = random_spec(dims, Precision::F32, 7);
        for owned in &spec.members[0] {
            let built = Layer::from(owned);
            let gemm = Layer {
                rows: owned.rows,
                cols: owned.cols,
                kernel: Kernel::Gemm {
                    weights: owned.dequantised(),
                    bias: owned.bias.clone(),
                },
            };
            let n = 13;
            let x: Vec<f32> = (0..n * owned.cols)
                .map(|i| (i as f32 * 0.37).sin())
                .collect();
            for activation in [None, Some(Activation::Relu), Some(Activation::Tanh)] {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                built.forward(&x, n, &mut a, activation);
                gemm.forward(&x, n, &mut b, activation);
                assert_eq!(a.len(), n * owned.rows);
                for (p, q) in a.iter().zip(&b) {
                    assert!(
                        (p - q).abs() < 1e-4 * (1.0 + q.abs()),
                        "{activation:?}: {p} vs {q}"
                    );
                }
            }
        }
    }

    #[test]
    fn host_networks_agree_with_the_board_kernels() {
        let dims = Dims {
            state: 2,
            action: 2,
            members: 3,
            ensemble_hidden: 16,
            policy_hidden: 12,
            horizon: 7,
            samples: 32,
        };
        for (seed, activation) in [
            (1, Activation::Relu),
            (2, Activation::Silu),
            (3, Activation::Tanh),
        ] {
            let mut spec = random_spec(dims, Precision::F32, seed);
            spec.header.ensemble_activation = activation;
            spec.header.policy_activation = activation;
            let bytes = spec.encode().unwrap();
            let board = Bundle::<2, 2, 4, 3, 16, 12, 7, 32>::parse(bytes.as_bytes()).unwrap();
            let mut host = HostEnsemble::from_spec(&spec);
            let policy = HostPolicy::from_spec(&spec);
            let states = [[0.1f32, 0.2], [0.9, -0.4], [3.0, 1.0]];
            let actions = [[0.5f32, -0.5], [1.0, 0.0], [-0.2, 0.7]];
            for member in 0..3 {
                let mut next = [[0.0; 2]; 3];
                Dynamics::<2, 2>::predict(&mut host, member, &states, &actions, &mut next);
                for ((s, a), n) in states.iter().zip(&actions).zip(&next) {
                    let want = board.ensemble.predict_next(member, s, a);
                    for (x, y) in n.iter().zip(want) {
                        assert!(
                            (x - y).abs() < 1e-5 * (1.0 + y.abs()),
                            "{activation:?} member {member}: {n:?} vs {want:?}"
                        );
                    }
                }
            }
            for s in states {
                let h: SquashedGaussian<2> = policy.gaussian(&s);
                let b = board.policy.gaussian(&s);
                for (x, y) in h.mean.iter().chain(&h.std).zip(b.mean.iter().chain(&b.std)) {
                    assert!((x - y).abs() < 1e-5 * (1.0 + y.abs()), "{h:?} vs {b:?}");
                }
            }
        }
    }
}
