/// A dense layer with int8 weights: `y_o = b_o + s_o * s_x * sum_i q_oi * q_xi`.
///
/// Weights are symmetric int8 with one scale `s_o` per output row (a row's largest magnitude
/// maps to 127); the input is quantised to int8 on the fly with one scale `s_x` for the whole
/// vector, so the inner loop is int8 x int8 with i32 accumulation: exact, order-free, and the
/// shape the M4's SMLAD wants. `127 * 127 * IN` stays below 2^31 for any `IN` below 133 000.
///
/// Each row is stored in [`smlad_order`]: within every whole group of four, `(w0, w1, w2,
/// w3)` is kept as `(w0, w2, w1, w3)`, so that on the Cortex-M4 one word load and two
/// SXTB16 give the halfword pairs `(w0, w1)` and `(w2, w3)` that SMLAD multiplies with the
/// input's natural pairs. The exporter writes this order (bundle format 2); the portable
/// kernel reads it too, and integer sums are exact, so both give the same integers.
#[derive(Clone, Copy, Debug)]
pub struct DenseI8<'a, const IN: usize, const OUT: usize> {
    /// Row-major int8 weights, each row in [`smlad_order`].
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
    /// `as` maps NaN to 0 and saturates infinities, and the scale stays finite. (Forcing it
    /// inline saved 1% of a point-mass step on the M4 for 36 KB more flash: not kept.)
    pub fn new(x: &[f32; N]) -> Self {
        // A comparison, not f32::max: on the M4 f32::max is a call to the soft `fmaxf`
        // (about a third of this layer's cost when it was used). NaN compares false and is
        // skipped, as f32::max skips it.
        let amax = x
            .iter()
            .fold(0.0f32, |m, v| if v.abs() > m { v.abs() } else { m });
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
            // `as i32` then clamp is `as i8` exactly (NaN to 0, saturating), but the M4
            // does it in two instructions (VCVT saturates, SSAT clamps) where the direct cast
            // compiled to three compare-and-select pairs (about 20 instructions a value).
            *q = ((v + 0.5f32.copysign(v)) as i32).clamp(-128, 127) as i8;
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
        #[cfg(feature = "cortex-m4")]
        if super::m4::suits_i8(self.weights) {
            // Rows in pairs, sharing the input's loads; an odd last row alone.
            let x16 = super::m4::Halfwords::new(&x.q);
            let (pairs, last) = self.weights.as_chunks::<2>();
            let (ys, y_last) = y.as_chunks_mut::<2>();
            let (ss, s_last) = self.scale.as_chunks::<2>();
            let (bs, b_last) = self.bias.as_chunks::<2>();
            for (((pair, [ya, yb]), [sa, sb]), [ba, bb]) in pairs.iter().zip(ys).zip(ss).zip(bs) {
                // SAFETY: the layer suits the M4 kernels (checked above).
                let (acc_a, acc_b) = unsafe { super::m4::dot2_i8(pair, &x16) };
                *ya = ba + acc_a as f32 * (sa * x.scale);
                *yb = bb + acc_b as f32 * (sb * x.scale);
            }
            for (((row, y), s), b) in last.iter().zip(y_last).zip(s_last).zip(b_last) {
                // SAFETY: as above.
                let acc = unsafe { super::m4::dot_i8(row, &x16) };
                *y = b + acc as f32 * (s * x.scale);
            }
            return;
        }
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

impl<const IN: usize, const OUT: usize> DenseI8<'_, IN, OUT> {
    /// `ys[n] = W xs[n] + b` for a batch (pairs beyond the shorter slice are skipped): the
    /// same numbers as [`Self::forward`] on each sample. On the M4 four samples at a time
    /// share every load and unpack of the weights (`m4::dot4_i8`, on the Cortex-M4).
    pub fn forward_batch(&self, xs: &[[f32; IN]], ys: &mut [[f32; OUT]]) {
        #[cfg(feature = "cortex-m4")]
        if super::m4::suits_i8(self.weights) {
            let (quads, rest) = xs.as_chunks::<4>();
            let (y_quads, y_rest) = ys.as_chunks_mut::<4>();
            for (x4, y4) in quads.iter().zip(y_quads) {
                self.forward_quantised4(&x4.each_ref().map(QuantisedInput::new), y4);
            }
            for (x, y) in rest.iter().zip(y_rest) {
                self.forward(x, y);
            }
            return;
        }
        for (x, y) in xs.iter().zip(ys) {
            self.forward(x, y);
        }
    }

    /// [`Self::forward_quantised`] of four samples at once.
    pub fn forward_quantised4(&self, xs: &[QuantisedInput<IN>; 4], ys: &mut [[f32; OUT]; 4]) {
        #[cfg(feature = "cortex-m4")]
        if super::m4::suits_i8(self.weights) {
            let mut lanes = super::m4::Lanes4::zeroed();
            lanes.fill(xs.each_ref().map(|x| &x.q));
            let [x0, x1, x2, x3] = xs.each_ref().map(|x| x.scale);
            let [y0, y1, y2, y3] = ys;
            // Each output of each lane by iterators in step, no index to check.
            let outputs = y0
                .iter_mut()
                .zip(y1.iter_mut())
                .zip(y2.iter_mut())
                .zip(y3.iter_mut());
            let rows = self.weights.iter().zip(self.scale).zip(self.bias);
            for (((row, s), b), (((o0, o1), o2), o3)) in rows.zip(outputs) {
                // SAFETY: the layer suits the M4 kernels (checked above).
                let [a0, a1, a2, a3] = unsafe { super::m4::dot4_i8(row, &lanes) };
                *o0 = b + a0 as f32 * (s * x0);
                *o1 = b + a1 as f32 * (s * x1);
                *o2 = b + a2 as f32 * (s * x2);
                *o3 = b + a3 as f32 * (s * x3);
            }
            return;
        }
        for (x, y) in xs.iter().zip(ys) {
            self.forward_quantised(x, y);
        }
    }
}

/// Reorders a row of int8 weights between natural and stored order: in every whole group of
/// four, positions 1 and 2 swap (`(w0, w1, w2, w3)` <-> `(w0, w2, w1, w3)`); a tail shorter
/// than four stays. The swap is its own inverse, so the exporter and any reader of a bundle
/// use the same function.
pub fn smlad_order(row: &mut [i8]) {
    for group in row.chunks_exact_mut(4) {
        group.swap(1, 2);
    }
}

/// Integer dot product of a stored row ([`smlad_order`]) with a natural-order input; exact,
/// so it equals the M4 kernel's result whatever order either sums in.
pub(crate) fn dot_i8<const N: usize>(w: &[i8; N], x: &[i8; N]) -> i32 {
    let mut acc = 0i32;
    let (w4, w_rest) = w.as_chunks::<4>();
    let (x4, x_rest) = x.as_chunks::<4>();
    for ([w0, w2, w1, w3], [x0, x1, x2, x3]) in w4.iter().zip(x4) {
        acc += i32::from(*w0) * i32::from(*x0)
            + i32::from(*w1) * i32::from(*x1)
            + i32::from(*w2) * i32::from(*x2)
            + i32::from(*w3) * i32::from(*x3);
    }
    for (w, x) in w_rest.iter().zip(x_rest) {
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
        let mut stored = qw;
        stored.iter_mut().for_each(|row| smlad_order(row));
        let scale: [f32; OUT] = scales.try_into().unwrap();
        let layer = DenseI8 {
            weights: &stored,
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
    fn smlad_order_swaps_the_middle_of_each_group_of_four_and_undoes_itself() {
        let mut row = [0i8, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        smlad_order(&mut row);
        assert_eq!(row, [0, 2, 1, 3, 4, 6, 5, 7, 8, 9]);
        smlad_order(&mut row);
        assert_eq!(row, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }

    #[test]
    fn integer_part_is_exact() {
        // Stored order: natural rows (127, -127, 3, 0, 64) and (-1, 2, -3, 4, -5).
        let w = [[127i8, 3, -127, 0, 64], [-1, -3, 2, 4, -5]];
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
