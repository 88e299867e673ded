//! The learned dynamics `p_lambda(s_{t+1} | s_t, a_t)`: `E` probabilistic members, each a
//! network of three hidden layers predicting a Gaussian over the *change* in state (paper
//! Appendix B). Normalisation of inputs and outputs is inside, fitted by the trainer.

use crate::dynamics::Dynamics;
use crate::nn::{Activation, Dense};
use crate::normaliser::{InputNormaliser, OutputScaling};

/// Bounds on a member's predicted log-variance (normalised units), as trained.
///
/// PETS bounds them softly (`max - softplus(max - v)`, then `min + softplus(v - min)`) so
/// the variance can neither collapse nor explode on inputs far from the data.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LogVarBounds {
    /// Lower bound.
    pub min: f32,
    /// Upper bound.
    pub max: f32,
}

impl LogVarBounds {
    /// The soft clamp of PETS.
    pub fn apply(&self, v: f32) -> f32 {
        let v = self.max - softplus(self.max - v);
        self.min + softplus(v - self.min)
    }
}

fn softplus(x: f32) -> f32 {
    // log(1 + e^x) without overflow for large x.
    if x > 20.0 {
        x
    } else {
        libm::log1pf(libm::expf(x))
    }
}

/// One member: `IN` inputs (`S + A` and their padding), three hidden layers of `HE`, two heads of `S`.
#[derive(Clone, Copy, Debug)]
pub struct Member<'a, const IN: usize, const HE: usize, const S: usize> {
    /// The three hidden layers.
    pub hidden: (Dense<'a, IN, HE>, Dense<'a, HE, HE>, Dense<'a, HE, HE>),
    /// Mean of the normalised state change.
    pub mean: Dense<'a, HE, S>,
    /// Log-variance of the normalised state change (before the soft bounds).
    pub log_var: Dense<'a, HE, S>,
}

impl<const IN: usize, const HE: usize, const S: usize> Member<'_, IN, HE, S> {
    fn trunk(&self, activation: Activation, z: &[f32; IN]) -> [f32; HE] {
        let mut h1 = [0.0; HE];
        let mut h2 = [0.0; HE];
        self.hidden.0.forward(z, &mut h1);
        activation.apply(&mut h1);
        self.hidden.1.forward(&h1, &mut h2);
        activation.apply(&mut h2);
        self.hidden.2.forward(&h2, &mut h1);
        activation.apply(&mut h1);
        h1
    }

    /// [`Self::trunk`] of up to [`LANES`] samples at once (`h[n]` from `z[n]`, the shorter
    /// length wins), through each layer's batched kernel.
    fn trunk_batch(&self, activation: Activation, z: &[[f32; IN]], h: &mut [[f32; HE]]) {
        let n = z.len().min(h.len()).min(LANES);
        let mut scratch = [[0.0; HE]; LANES];
        let (Some(t), Some(h), Some(z)) = (scratch.get_mut(..n), h.get_mut(..n), z.get(..n)) else {
            return;
        };
        self.hidden.0.forward_batch(z, h);
        h.iter_mut().for_each(|v| activation.apply(v));
        self.hidden.1.forward_batch(h, t);
        t.iter_mut().for_each(|v| activation.apply(v));
        self.hidden.2.forward_batch(t, h);
        h.iter_mut().for_each(|v| activation.apply(v));
    }
}

/// Samples pushed through a member together: four lets the M4's int8 kernel share each word
/// of weights across four inputs (`nn::m4::dot4_i8`), and keeps the scratch small on the stack.
const LANES: usize = 4;

/// The ensemble `{lambda_i}_{i=1..E}` approximating `p(lambda | D)` by particles.
#[derive(Clone, Debug)]
pub struct Ensemble<
    'a,
    const S: usize,
    const A: usize,
    const IN: usize,
    const E: usize,
    const HE: usize,
> {
    /// Exactly `E` members once decoded from a bundle.
    pub members: heapless::Vec<Member<'a, IN, HE, S>, E>,
    /// Normalisation of `[s, a]`.
    pub input: InputNormaliser<'a, IN>,
    /// Scaling of the predicted state change back to physical units.
    pub output: OutputScaling<'a, S>,
    /// Hidden non-linearity.
    pub activation: Activation,
    /// Soft bounds of the log-variance head.
    pub log_var_bounds: LogVarBounds,
}

impl<const S: usize, const A: usize, const IN: usize, const E: usize, const HE: usize>
    Ensemble<'_, S, A, IN, E, HE>
{
    const SHAPES_AGREE: () = assert!(
        IN == crate::bundle::ensemble_input(S, A),
        "ensemble input width IN must be ensemble_input(S, A)"
    );

    fn normalised_input(&self, s: &[f32; S], a: &[f32; A]) -> [f32; IN] {
        let () = Self::SHAPES_AGREE;
        // Inputs past S + A are the padding of `ensemble_input`: zero, and zero after the
        // normaliser too (an exported bundle's padding has mean 0).
        let mut x = [0.0; IN];
        for (x, v) in x.iter_mut().zip(s.iter().chain(a)) {
            *x = *v;
        }
        let mut z = [0.0; IN];
        self.input.apply(&x, &mut z);
        z
    }

    /// Next state under one member: `s + mean state change`. A member index out of range or
    /// a non-finite prediction (possible only with absurd weights) leaves the state unchanged.
    pub fn predict_next(&self, member: usize, s: &[f32; S], a: &[f32; A]) -> [f32; S] {
        let Some(m) = self.members.get(member) else {
            return *s;
        };
        let h = m.trunk(self.activation, &self.normalised_input(s, a));
        let delta = self.output.apply(&m.mean.apply(&h));
        next_state(s, &delta)
    }

    /// Next state and its variance (physical units) under one member.
    pub fn predict_gaussian(
        &self,
        member: usize,
        s: &[f32; S],
        a: &[f32; A],
    ) -> ([f32; S], [f32; S]) {
        let Some(m) = self.members.get(member) else {
            return (*s, [0.0; S]);
        };
        let h = m.trunk(self.activation, &self.normalised_input(s, a));
        let delta = self.output.apply(&m.mean.apply(&h));
        let mut var = m.log_var.apply(&h);
        for (v, sd) in var.iter_mut().zip(self.output.std) {
            *v = libm::expf(self.log_var_bounds.apply(*v)) * sd * sd;
        }
        (next_state(s, &delta), var)
    }
}

fn next_state<const S: usize>(s: &[f32; S], delta: &[f32; S]) -> [f32; S] {
    let mut next = *s;
    for (n, d) in next.iter_mut().zip(delta) {
        let v = *n + d;
        if v.is_finite() {
            *n = v;
        }
    }
    next
}

impl<const S: usize, const A: usize, const IN: usize, const E: usize, const HE: usize>
    Dynamics<S, A> for Ensemble<'_, S, A, IN, E, HE>
{
    fn members(&self) -> usize {
        self.members.len()
    }

    fn predict(
        &mut self,
        member: usize,
        states: &[[f32; S]],
        actions: &[[f32; A]],
        next: &mut [[f32; S]],
    ) {
        let Some(m) = self.members.get(member) else {
            for (n, s) in next.iter_mut().zip(states) {
                *n = *s;
            }
            return;
        };
        let batches = next
            .chunks_mut(LANES)
            .zip(states.chunks(LANES))
            .zip(actions.chunks(LANES));
        for ((next, states), actions) in batches {
            // Each sample goes through exactly the arithmetic of `predict_next`.
            let mut z = [[0.0; IN]; LANES];
            let mut n = 0;
            for ((z, s), a) in z.iter_mut().zip(states).zip(actions) {
                *z = self.normalised_input(s, a);
                n += 1;
            }
            let mut h = [[0.0; HE]; LANES];
            let mut delta = [[0.0; S]; LANES];
            let (Some(z), Some(h), Some(delta)) = (z.get(..n), h.get_mut(..n), delta.get_mut(..n))
            else {
                return;
            };
            m.trunk_batch(self.activation, z, h);
            m.mean.forward_batch(h, delta);
            for ((n, s), d) in next.iter_mut().zip(states).zip(delta.iter()) {
                *n = next_state(s, &self.output.apply(d));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_bounds_stay_inside_and_pass_the_middle_through() {
        let b = LogVarBounds {
            min: -10.0,
            max: 0.5,
        };
        for v in [-1e6f32, -30.0, -10.0, -3.0, 0.0, 0.5, 5.0, 1e6] {
            let c = b.apply(v);
            // Soft: the outer softplus can overshoot `max` by at most e^-(max - min) ~ 3e-5.
            assert!((-10.0..=0.5 + 1e-4).contains(&c), "{v} -> {c}");
        }
        // Well inside the bounds the clamp moves a value only slightly (-3 -> -3.03).
        assert!((b.apply(-3.0) + 3.0).abs() < 0.05);
    }
}
