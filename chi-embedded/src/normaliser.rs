//! Affine input and output scaling fitted by the trainer on its data and carried in the
//! bundle, so the board feeds the networks exactly what they were trained on.

/// Normalised network inputs are clamped to this many standard deviations.
///
/// Training data lie within a few standard deviations; a state far outside them (a sensor
/// fault, a huge or infinite value) would otherwise drive the networks where they were never
/// fitted and towards overflow.
pub const INPUT_CLIP: f32 = 10.0;

/// `z = clamp((x - mean) * inv_std, +-INPUT_CLIP)`, with NaN mapped to 0 (the mean).
#[derive(Clone, Copy, Debug)]
pub struct InputNormaliser<'a, const N: usize> {
    /// Mean of each input over the training data.
    pub mean: &'a [f32; N],
    /// Reciprocal standard deviation (stored inverted: a multiply on the board, not a divide).
    pub inv_std: &'a [f32; N],
}

/// One normalised input: `clamp((x - mean) * inv_std, +-INPUT_CLIP)`, NaN as 0. The one rule
/// the board, the host's batched networks and the trainer all apply, so a network sees the
/// same numbers wherever it runs.
pub fn normalise(x: f32, mean: f32, inv_std: f32) -> f32 {
    let v = (x - mean) * inv_std;
    if v.is_nan() {
        0.0
    } else {
        v.clamp(-INPUT_CLIP, INPUT_CLIP)
    }
}

impl<const N: usize> InputNormaliser<'_, N> {
    /// Normalises `x` into `z`.
    pub fn apply(&self, x: &[f32; N], z: &mut [f32; N]) {
        for (((z, x), m), k) in z.iter_mut().zip(x).zip(self.mean).zip(self.inv_std) {
            *z = normalise(*x, *m, *k);
        }
    }
}

/// `y = z * std + mean`: a network's normalised output back in physical units.
#[derive(Clone, Copy, Debug)]
pub struct OutputScaling<'a, const N: usize> {
    /// Mean of the target over the training data.
    pub mean: &'a [f32; N],
    /// Standard deviation of the target.
    pub std: &'a [f32; N],
}

impl<const N: usize> OutputScaling<'_, N> {
    /// Maps a normalised output `z` to physical units.
    pub fn apply(&self, z: &[f32; N]) -> [f32; N] {
        let mut y = [0.0; N];
        for (((y, z), m), s) in y.iter_mut().zip(z).zip(self.mean).zip(self.std) {
            *y = z * s + m;
        }
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_clamps_and_drops_nan() {
        let n = InputNormaliser {
            mean: &[1.0, 0.0, 0.0],
            inv_std: &[0.5, 1.0, 1.0],
        };
        let mut z = [0.0; 3];
        n.apply(&[3.0, 1e9, f32::NAN], &mut z);
        assert_eq!(z, [1.0, INPUT_CLIP, 0.0]);
    }

    #[test]
    fn output_scaling_inverts_normalisation() {
        let o = OutputScaling {
            mean: &[1.0, -2.0],
            std: &[0.5, 4.0],
        };
        assert_eq!(o.apply(&[2.0, 0.25]), [2.0, -1.0]);
    }
}
