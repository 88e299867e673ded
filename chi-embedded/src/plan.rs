//! The approximate posterior over an action sequence, `q(a_{t:T}) = N(mu, diag sigma^2)`
//! (paper Section 3): what the amortised phase proposes and the iterative phase refines.

/// A time-dependent diagonal Gaussian over `H` actions of `A` dimensions, in the normalised
/// action box [-1, 1]^A.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan<const A: usize, const H: usize> {
    /// `mu_{t:T}`.
    pub mean: [[f32; A]; H],
    /// `sigma_{t:T}` (standard deviations, not variances).
    pub std: [[f32; A]; H],
}

impl<const A: usize, const H: usize> Plan<A, H> {
    /// The uninformed prior: zero mean, unit spread (what a planner without a policy starts
    /// from; CEM-MPC's usual initialisation).
    pub const fn uninformed() -> Self {
        Self {
            mean: [[0.0; A]; H],
            std: [[1.0; A]; H],
        }
    }

    /// The mean of the first action, `mu_t`: what is executed.
    pub fn first_mean(&self) -> [f32; A] {
        self.mean.first().copied().unwrap_or([0.0; A])
    }

    /// The largest standard deviation of the first action: how far the iterative phase could
    /// move the executed action (samples reach about this far from the mean).
    pub fn first_std_max(&self) -> f32 {
        self.std
            .first()
            .map_or(0.0, |s| s.iter().fold(0.0f32, |m, v| m.max(*v)))
    }

    /// Root mean square distance between the two means over all steps and dimensions.
    pub fn mean_distance(&self, other: &Self) -> f32 {
        let n = (A * H).max(1) as f32;
        let sq: f32 = self
            .mean
            .iter()
            .flatten()
            .zip(other.mean.iter().flatten())
            .map(|(a, b)| (a - b) * (a - b))
            .sum();
        libm::sqrtf(sq / n)
    }

    /// `KL(self || other)` between the two diagonal Gaussians, in nats.
    pub fn kl_divergence(&self, other: &Self) -> f32 {
        let mut kl = 0.0f32;
        let pairs = self.mean.iter().flatten().zip(self.std.iter().flatten());
        let others = other.mean.iter().flatten().zip(other.std.iter().flatten());
        for ((m1, s1), (m2, s2)) in pairs.zip(others) {
            let ratio = s1 / s2;
            let d = (m1 - m2) / s2;
            kl += 0.5 * (ratio * ratio + d * d - 1.0) - libm::logf(ratio);
        }
        kl
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kl_is_zero_for_equal_plans_and_matches_closed_form() {
        let p = Plan::<1, 2> {
            mean: [[0.0], [0.5]],
            std: [[1.0], [0.5]],
        };
        assert_eq!(p.kl_divergence(&p), 0.0);
        let q = Plan::<1, 2> {
            mean: [[1.0], [0.5]],
            std: [[2.0], [0.5]],
        };
        // Step 0: log 2 + (1 + 1) / 8 - 1/2; step 1: 0.
        let want = 2.0f32.ln() + 0.25 - 0.5;
        assert!((p.kl_divergence(&q) - want).abs() < 1e-6);
    }

    #[test]
    fn first_action_accessors() {
        let p = Plan::<2, 3> {
            mean: [[0.1, 0.2], [0.0; 2], [0.0; 2]],
            std: [[0.3, 0.7], [9.0; 2], [9.0; 2]],
        };
        assert_eq!(p.first_mean(), [0.1, 0.2]);
        assert_eq!(p.first_std_max(), 0.7);
        assert!((p.mean_distance(&Plan::uninformed()) - (0.05f32 / 6.0).sqrt()).abs() < 1e-7);
    }
}
