//! The amortised inference model `f_phi(s) -> theta`: SAC's tanh-squashed Gaussian policy
//! (Haarnoja et al. 2018), two hidden layers of `HP`.

use crate::nn::{Activation, Dense, hidden_two};
use crate::normaliser::InputNormaliser;

/// Bounds on the policy's log standard deviation (pre-squash), as trained.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LogStdBounds {
    /// Lower bound (SAC implementations use about -5 to -20).
    pub min: f32,
    /// Upper bound (usually 2).
    pub max: f32,
}

/// The policy network.
#[derive(Clone, Copy, Debug)]
pub struct Policy<'a, const S: usize, const A: usize, const HP: usize> {
    /// Normalisation of the state.
    pub input: InputNormaliser<'a, S>,
    /// The two hidden layers.
    pub hidden: (Dense<'a, S, HP>, Dense<'a, HP, HP>),
    /// Mean of the pre-squash Gaussian.
    pub mean: Dense<'a, HP, A>,
    /// Log standard deviation of the pre-squash Gaussian.
    pub log_std: Dense<'a, HP, A>,
    /// Hidden non-linearity.
    pub activation: Activation,
    /// Clamp of the log standard deviation.
    pub log_std_bounds: LogStdBounds,
}

/// `u ~ N(mean, std^2)`, action `a = tanh(u)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SquashedGaussian<const A: usize> {
    /// Mean of `u`.
    pub mean: [f32; A],
    /// Standard deviation of `u`.
    pub std: [f32; A],
}

/// Quadrature nodes for `E[f(u)]`, `u ~ N(m, s^2)`: `E[f] ~ (1/8) sum_i f(m + s z_i)` with
/// `z_i = Phi^-1((i + 1/2) / 8)` rescaled so that `(1/8) sum z_i^2 = 1`.
///
/// Why not Gauss-Hermite: `tanh` of a wide Gaussian is nearly a step, and 5-point
/// Gauss-Hermite puts 53% of its weight on the centre node, so an untrained policy
/// (`s` = 7) would look far more confident than it is (std 0.68 instead of 0.95). These
/// equal-weight nodes are within 0.055 of the true mean and std of `tanh(u)` for every
/// `|m| <= 3`, `s <= 50` (checked against a fine numerical integral), and exact to first
/// order for a narrow Gaussian (the delta method: mean `tanh m`, std `(1 - tanh^2 m) s`).
const NODES: [f32; 8] = [
    -1.662_959_6,
    -0.961_651_2,
    -0.529_825,
    -0.170_522,
    0.170_522,
    0.529_825,
    0.961_651_2,
    1.662_959_6,
];

impl<const A: usize> SquashedGaussian<A> {
    /// Mean and standard deviation of the squashed action `tanh(u)`, by equal-weight
    /// quadrature (the eight `NODES`). This is how the amortised phase turns the policy into the
    /// `(mu_t, sigma_t^2)` that initialise Eq. 4: a confident policy gives a narrow
    /// Gaussian, an untrained one (large `std`) one as wide as the action box allows.
    pub fn moments(&self) -> ([f32; A], [f32; A]) {
        let mut mean = [0.0; A];
        let mut std = [0.0; A];
        for (((mu, sd), m), s) in mean.iter_mut().zip(&mut std).zip(&self.mean).zip(&self.std) {
            let (mut e1, mut e2) = (0.0f32, 0.0f32);
            for z in NODES {
                let a = libm::tanhf(m + s * z);
                e1 += a;
                e2 += a * a;
            }
            let (e1, e2) = (e1 / 8.0, e2 / 8.0);
            *mu = e1;
            *sd = libm::sqrtf((e2 - e1 * e1).max(0.0));
        }
        (mean, std)
    }
}

/// The amortised inference model `f_phi(s) -> theta` as the controller sees it: a state in,
/// the pre-squash Gaussian of the action out.
pub trait AmortisedPolicy<const S: usize, const A: usize> {
    /// `f_phi(s)`.
    fn gaussian(&self, s: &[f32; S]) -> SquashedGaussian<A>;
}

impl<const S: usize, const A: usize, const HP: usize> AmortisedPolicy<S, A>
    for Policy<'_, S, A, HP>
{
    /// A non-finite output (possible only with absurd weights) falls back to mean 0 and the
    /// widest allowed spread: "don't know".
    fn gaussian(&self, s: &[f32; S]) -> SquashedGaussian<A> {
        let h = hidden_two(&self.input, &self.hidden, self.activation, s);
        let mean = self.mean.apply(&h);
        let log_std = self.log_std.apply(&h);
        let b = self.log_std_bounds;
        let mut out = SquashedGaussian {
            mean,
            std: [0.0; A],
        };
        for ((m, sd), ls) in out.mean.iter_mut().zip(&mut out.std).zip(log_std) {
            let ls = if ls.is_nan() {
                b.max
            } else {
                ls.clamp(b.min, b.max)
            };
            *sd = libm::expf(ls);
            if !m.is_finite() {
                *m = 0.0;
                *sd = libm::expf(b.max);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mean and std of tanh(m + s z), z ~ N(0, 1), by a fine trapezoid rule in f64.
    fn exact(m: f64, s: f64) -> (f64, f64) {
        let (n, lim) = (20_000, 9.0);
        let (mut w_sum, mut e1, mut e2) = (0.0, 0.0, 0.0);
        for i in 0..=n {
            let z = -lim + 2.0 * lim * f64::from(i) / f64::from(n);
            let w = (-0.5 * z * z).exp();
            let a = (m + s * z).tanh();
            w_sum += w;
            e1 += w * a;
            e2 += w * a * a;
        }
        let mean = e1 / w_sum;
        (mean, (e2 / w_sum - mean * mean).max(0.0).sqrt())
    }

    #[test]
    fn nodes_have_zero_mean_and_unit_variance() {
        assert!(NODES.iter().sum::<f32>().abs() < 1e-6);
        let var: f32 = NODES.iter().map(|z| z * z).sum::<f32>() / 8.0;
        assert!((var - 1.0).abs() < 1e-5, "{var}");
    }

    #[test]
    fn moments_of_squashed_gaussian_are_within_the_stated_bound() {
        for m in [-3.0f32, -2.5, -1.0, 0.0, 0.3, 1.5, 3.0] {
            for s in [1e-3f32, 0.01, 0.1, 0.3, 1.0, 2.0, 4.0, 7.4, 50.0] {
                let (mu, sd) = SquashedGaussian {
                    mean: [m],
                    std: [s],
                }
                .moments();
                let (em, es) = exact(f64::from(m), f64::from(s));
                let err = (f64::from(mu[0]) - em)
                    .abs()
                    .max((f64::from(sd[0]) - es).abs());
                assert!(
                    err < 0.055,
                    "m {m} s {s}: ({}, {}) vs ({em}, {es})",
                    mu[0],
                    sd[0]
                );
            }
        }
    }

    #[test]
    fn narrow_gaussian_follows_the_delta_method() {
        let (m, s) = SquashedGaussian {
            mean: [0.5],
            std: [0.01],
        }
        .moments();
        let t = 0.5f32.tanh();
        assert!((m[0] - t).abs() < 1e-4);
        assert!((s[0] - (1.0 - t * t) * 0.01).abs() < 1e-4);
    }

    #[test]
    fn very_wide_gaussian_is_as_uncertain_as_the_action_box() {
        let (m, s) = SquashedGaussian {
            mean: [0.0],
            std: [50.0],
        }
        .moments();
        assert!(
            m[0].abs() < 1e-6 && s[0] > 0.95 && s[0] <= 1.0,
            "{m:?} {s:?}"
        );
    }
}
