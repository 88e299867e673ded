//! Random numbers for the planner: Xoshiro128++ (32-bit state words, cheap on a Cortex-M4)
//! and standard normals by Marsaglia's polar method.
//!
//! The polar method needs one `logf` and one `sqrtf` per *pair* of normals and no
//! `sinf`/`cosf`, which on the M4 fall back to soft double precision. `sqrtf` is correctly
//! rounded everywhere and `logf` comes from `libm` on every target, so the host and the board
//! draw identical samples from the same seed.

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro128PlusPlus;

/// Rejections allowed before [`ChiRng::normal`] gives up and returns 0.
///
/// Each try is rejected with probability 1 - pi/4 ~ 0.215, so 64 rejections in a row happen
/// with probability ~1e-43: never in practice, but the bound means the loop cannot hang a
/// control period.
const MAX_POLAR_TRIES: u32 = 64;

/// The planner's random source: uniform words from Xoshiro128++ and Gaussian samples.
#[derive(Clone, Debug)]
pub struct ChiRng {
    inner: Xoshiro128PlusPlus,
    /// The second normal of the last polar pair, handed out by the next call.
    spare: Option<f32>,
}

impl ChiRng {
    /// Seeds the generator; one seed gives one stream, on every target.
    pub fn new(seed: u64) -> Self {
        Self {
            inner: Xoshiro128PlusPlus::seed_from_u64(seed),
            spare: None,
        }
    }

    /// A uniform 32-bit word.
    pub fn next_u32(&mut self) -> u32 {
        self.inner.next_u32()
    }

    /// Uniform in [-1, 1), on a grid of 2^-23 (the top 24 bits of a word).
    pub fn symmetric_uniform(&mut self) -> f32 {
        const STEP: f32 = 1.0 / (1u32 << 23) as f32;
        (self.next_u32() >> 8) as f32 * STEP - 1.0
    }

    /// A standard normal sample, N(0, 1).
    pub fn normal(&mut self) -> f32 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        for _ in 0..MAX_POLAR_TRIES {
            let u = self.symmetric_uniform();
            let v = self.symmetric_uniform();
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let factor = libm::sqrtf(-2.0 * libm::logf(s) / s);
                self.spare = Some(v * factor);
                return u * factor;
            }
        }
        0.0
    }

    /// Fills `out` with standard normals.
    pub fn fill_normal(&mut self, out: &mut [f32]) {
        for z in out {
            *z = self.normal();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_different_seed_different_stream() {
        let mut a = ChiRng::new(3);
        let mut b = ChiRng::new(3);
        let mut c = ChiRng::new(4);
        let xa: Vec<u32> = (0..8).map(|_| a.normal().to_bits()).collect();
        let xb: Vec<u32> = (0..8).map(|_| b.normal().to_bits()).collect();
        let xc: Vec<u32> = (0..8).map(|_| c.normal().to_bits()).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
    }

    #[test]
    fn normal_moments_match_standard_gaussian() {
        let mut rng = ChiRng::new(11);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| f64::from(rng.normal())).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        let kurt = xs.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n as f64 / (var * var);
        let within_one = xs.iter().filter(|x| x.abs() < 1.0).count() as f64 / n as f64;
        // Standard errors at n = 2e5: mean 0.0022, var 0.0032, kurtosis ~0.011.
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.015, "var {var}");
        assert!((kurt - 3.0).abs() < 0.06, "kurtosis {kurt}");
        assert!((within_one - 0.6827).abs() < 0.005, "P(|z|<1) {within_one}");
    }

    #[test]
    fn symmetric_uniform_stays_in_range_and_covers_it() {
        let mut rng = ChiRng::new(1);
        let (mut lo, mut hi) = (f32::MAX, f32::MIN);
        for _ in 0..100_000 {
            let u = rng.symmetric_uniform();
            assert!((-1.0..1.0).contains(&u));
            lo = lo.min(u);
            hi = hi.max(u);
        }
        assert!(lo < -0.999 && hi > 0.999);
    }
}
