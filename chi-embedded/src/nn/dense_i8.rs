/// A dense layer with int8 weights: `y_o = b_o + s_o * s_x * sum_i q_oi * q_xi`.
///
/// Weights are symmetric int8 with one scale `s_o` per output row (a row's largest magnitude
/// maps to 127); the input is quantised to int8 on the fly with one scale `s_x` for the whole
/// vector, so the inner loop is int8 x int8 with i32 accumulation: exact, order-free, and the
/// shape the M4's SMLAD wants. `127 * 127 * IN` stays below 2^31 for any `IN` below 133 000.
#[derive(Clone, Copy, Debug)]
pub struct DenseI8<'a, const IN: usize, const OUT: usize> {
    /// Row-major int8 weights.
    pub weights: &'a [[i8; IN]; OUT],
    /// One positive scale per output row.
    pub scale: &'a [f32; OUT],
    /// One f32 bias per output.
    pub bias: &'a [f32; OUT],
}

/// An input vector quantised to int8 with one symmetric scale.
#[derive(Clone, Copy, Debug)]
pub struct QuantisedInput<const N: usize> {
    /// `round(x / scale)`, in [-127, 127].
    pub q: [i8; N],
    /// The step of one integer unit.
    pub scale: f32,
}

impl<const N: usize> QuantisedInput<N> {
    /// Quantises `x` so its largest magnitude maps to 127.
    ///
    /// Rounding is half away from zero by `(v + copysign(0.5, v)) as i8`: one add and one
    /// saturating conversion, no `roundf` call. A non-finite input cannot poison the layer:
    /// `as` maps NaN to 0 and saturates infinities, and the scale stays finite.
    pub fn new(x: &[f32; N]) -> Self {
        let amax = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let amax = if amax.is_finite() { amax } else { f32::MAX };
        if amax == 0.0 {
            return Self {
                q: [0; N],
                scale: 0.0,
            };
        }
        let inv = 127.0 / amax;
        let mut q = [0i8; N];
        for (q, v) in q.iter_mut().zip(x) {
            let v = v * inv;
            *q = (v + 0.5f32.copysign(v)) as i8;
        }
        Self {
            q,
            scale: amax / 127.0,
        }
    }
}

impl<const IN: usize, const OUT: usize> DenseI8<'_, IN, OUT> {
    /// `y = W x + b` with `x` quantised once for all rows.
    pub fn forward(&self, x: &[f32; IN], y: &mut [f32; OUT]) {
        self.forward_quantised(&QuantisedInput::new(x), y);
    }

    /// `y = W x + b` for an input already quantised (shared by several layers).
    pub fn forward_quantised(&self, x: &QuantisedInput<IN>, y: &mut [f32; OUT]) {
        for (((y, row), s), b) in y
            .iter_mut()
            .zip(self.weights)
            .zip(self.scale)
            .zip(self.bias)
        {
            *y = b + dot_i8(row, &x.q) as f32 * (s * x.scale);
        }
    }
}

/// Integer dot product; exact, so any summation order gives the same result.
pub(crate) fn dot_i8<const N: usize>(w: &[i8; N], x: &[i8; N]) -> i32 {
    let mut acc = 0i32;
    for (w, x) in w.iter().zip(x) {
        acc += i32::from(*w) * i32::from(*x);
    }
    acc
}

/// Quantises row-major f32 weights to int8 with one symmetric scale per row (the exporter's
/// half of [`DenseI8`]). A row of zeros gets scale 1 so every scale stays positive.
#[cfg(any(test, feature = "std"))]
pub fn quantise_rows(weights: &[f32], cols: usize) -> (Vec<i8>, Vec<f32>) {
    let mut q = Vec::with_capacity(weights.len());
    let mut scales = Vec::new();
    for row in weights.chunks(cols.max(1)) {
        let amax = row.iter().fold(0.0f32, |m, w| m.max(w.abs()));
        let scale = if amax > 0.0 { amax / 127.0 } else { 1.0 };
        scales.push(scale);
        q.extend(
            row.iter()
                .map(|w| libm::roundf(w / scale).clamp(-127.0, 127.0) as i8),
        );
    }
    (q, scales)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Checks the int8 layer built from float weights `w` against the exact f64 product of
    /// the *unquantised* weights and input, within the bound the two quantisations allow:
    /// |sum w x - sum w^ x^| <= (s_o / 2) sum|x| + (s_x / 2) sum|w^|, plus f32 rounding.
    fn check<const IN: usize, const OUT: usize>(
        w: &[[f32; IN]; OUT],
        b: &[f32; OUT],
        x: &[f32; IN],
    ) {
        let flat: Vec<f32> = w.iter().flatten().copied().collect();
        let (q, scales) = quantise_rows(&flat, IN);
        let mut qw = [[0i8; IN]; OUT];
        for (dst, src) in qw.iter_mut().flatten().zip(&q) {
            *dst = *src;
        }
        let scale: [f32; OUT] = scales.try_into().unwrap();
        let layer = DenseI8 {
            weights: &qw,
            scale: &scale,
            bias: b,
        };
        let mut y = [0.0; OUT];
        layer.forward(x, &mut y);
        let xq = QuantisedInput::new(x);
        let sum_abs_x: f64 = x.iter().map(|v| f64::from(v.abs())).sum();
        for o in 0..OUT {
            let exact = f64::from(b[o])
                + (0..IN)
                    .map(|i| f64::from(w[o][i]) * f64::from(x[i]))
                    .sum::<f64>();
            let sum_abs_wq: f64 = qw[o]
                .iter()
                .map(|q| f64::from(*q).abs() * f64::from(scale[o]))
                .sum();
            let quant = f64::from(scale[o]) / 2.0 * sum_abs_x
                + f64::from(xq.scale) / 2.0 * sum_abs_wq
                + IN as f64 * f64::from(scale[o]) * f64::from(xq.scale) / 4.0;
            let rounding =
                4.0 * f64::from(f32::EPSILON) * (f64::from(b[o].abs()) + sum_abs_wq * sum_abs_x);
            let err = (f64::from(y[o]) - exact).abs();
            assert!(
                err <= quant * 1.0001 + rounding,
                "row {o}: {} vs {exact}, err {err} > {quant}",
                y[o]
            );
        }
    }

    #[test]
    fn integer_part_is_exact() {
        let w = [[127i8, -127, 3, 0, 64], [-1, 2, -3, 4, -5]];
        let s = [0.5, 2.0];
        let b = [1.0, -1.0];
        // Input already on the int8 grid with scale 1/127 * 10: quantisation is exact.
        let x = [10.0f32, -10.0, 5.0, 0.0, 0.0];
        let mut y = [0.0; 2];
        DenseI8 {
            weights: &w,
            scale: &s,
            bias: &b,
        }
        .forward(&x, &mut y);
        let xs = 10.0f32 / 127.0;
        let acc0 = 127 * 127 + (-127) * (-127) + 3 * 64;
        let acc1 = -127 - 2 * 127 - 3 * 64;
        assert_eq!(y[0], 1.0 + acc0 as f32 * (0.5 * xs));
        assert_eq!(y[1], -1.0 + acc1 as f32 * (2.0 * xs));
    }

    #[test]
    fn zero_input_gives_bias_and_non_finite_input_stays_finite() {
        let w = [[5i8; 3]; 2];
        let (s, b) = ([0.1f32; 2], [0.25f32, -0.5]);
        let layer = DenseI8 {
            weights: &w,
            scale: &s,
            bias: &b,
        };
        let mut y = [9.0; 2];
        layer.forward(&[0.0; 3], &mut y);
        assert_eq!(y, b);
        layer.forward(&[f32::NAN, f32::INFINITY, -f32::INFINITY], &mut y);
        assert!(y.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn quantised_input_rounds_half_away_from_zero_and_hits_the_ends() {
        let q = QuantisedInput::new(&[
            1.0f32,
            -1.0,
            0.5 / 127.0 * 1.0001,
            -0.5 / 127.0 * 1.0001,
            0.0,
        ]);
        assert_eq!(q.q, [127, -127, 1, -1, 0]);
        assert_eq!(q.scale, 1.0 / 127.0);
    }

    proptest! {
        #[test]
        fn equals_f64_reference_within_quantisation_bound(
            w in prop::array::uniform5(prop::array::uniform11(-3.0f32..3.0)),
            b in prop::array::uniform5(-2.0f32..2.0),
            x in prop::array::uniform11(-50.0f32..50.0),
        ) {
            check(&w, &b, &x);
        }

        #[test]
        fn equals_f64_reference_at_width_32(
            w in prop::array::uniform4(prop::array::uniform32(-0.3f32..0.3)),
            b in prop::array::uniform4(-0.1f32..0.1),
            x in prop::array::uniform32(-1.0f32..1.0),
        ) {
            check(&w, &b, &x);
        }

        #[test]
        fn quantise_rows_error_is_at_most_half_a_step(row in prop::collection::vec(-10.0f32..10.0, 1..40)) {
            let (q, s) = quantise_rows(&row, row.len());
            for (w, q) in row.iter().zip(&q) {
                prop_assert!((w - f32::from(*q) * s[0]).abs() <= s[0] * 0.5001);
            }
        }
    }
}
