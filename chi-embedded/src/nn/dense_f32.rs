/// A dense layer `y = W x + b` with f32 weights borrowed from the bundle.
///
/// The shapes are part of the type: a layer that does not fit its neighbours is a compile
/// error, and the bundle decoder checks the bytes against these sizes once, at load.
#[derive(Clone, Copy, Debug)]
pub struct DenseF32<'a, const IN: usize, const OUT: usize> {
    /// Row-major weights: `weights[o][i]` multiplies input `i` into output `o`.
    pub weights: &'a [[f32; IN]; OUT],
    /// One bias per output.
    pub bias: &'a [f32; OUT],
}

impl<const IN: usize, const OUT: usize> DenseF32<'_, IN, OUT> {
    /// `y = W x + b`, each row summed in a fixed order (see `dot`).
    pub fn forward(&self, x: &[f32; IN], y: &mut [f32; OUT]) {
        #[cfg(feature = "cortex-m4")]
        {
            // Rows in pairs, sharing the input's loads; an odd last row alone.
            let (pairs, last) = self.weights.as_chunks::<2>();
            let mut out = y.iter_mut().zip(self.bias);
            for [ra, rb] in pairs {
                let (sa, sb) = super::m4::dot2_f32(ra, rb, x);
                for sum in [sa, sb] {
                    if let Some((y, b)) = out.next() {
                        *y = b + sum;
                    }
                }
            }
            for row in last {
                if let Some((y, b)) = out.next() {
                    *y = b + super::m4::dot_f32(row, x);
                }
            }
        }
        #[cfg(not(feature = "cortex-m4"))]
        for ((y, row), b) in y.iter_mut().zip(self.weights).zip(self.bias) {
            *y = b + dot(row, x);
        }
    }
}

/// Dot product with four independent accumulators.
///
/// Four chains hide the M4 FPU's multiply-add latency (3.31 against 4.75 instructions per MAC
/// in QEMU, RECIPES.md) and the order of every addition is fixed by the code, so the result
/// is the same on every target.
#[cfg_attr(feature = "cortex-m4", allow(dead_code))]
pub(crate) fn dot<const N: usize>(w: &[f32; N], x: &[f32; N]) -> f32 {
    // Four named locals, not an array: at opt-level "s" an accumulator array stayed in
    // memory (a load and a store per MAC, 13.5 instructions a MAC in QEMU).
    let (mut a0, mut a1, mut a2, mut a3) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
    let (w4, w_rest) = w.as_chunks::<4>();
    let (x4, x_rest) = x.as_chunks::<4>();
    for (w, x) in w4.iter().zip(x4) {
        let ([w0, w1, w2, w3], [x0, x1, x2, x3]) = (*w, *x);
        a0 += w0 * x0;
        a1 += w1 * x1;
        a2 += w2 * x2;
        a3 += w3 * x3;
    }
    let mut tail = 0.0f32;
    for (w, x) in w_rest.iter().zip(x_rest) {
        tail += w * x;
    }
    ((a0 + a1) + (a2 + a3)) + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The f64 reference and the bound on f32 rounding error for a sum of n products:
    /// each of the n products and n additions rounds once, so |err| <= 2n eps sum|w x| (+ bias).
    fn reference<const IN: usize, const OUT: usize>(
        w: &[[f32; IN]; OUT],
        b: &[f32; OUT],
        x: &[f32; IN],
    ) -> Vec<(f64, f64)> {
        w.iter()
            .zip(b)
            .map(|(row, b)| {
                let exact: f64 = f64::from(*b)
                    + row
                        .iter()
                        .zip(x)
                        .map(|(w, x)| f64::from(*w) * f64::from(*x))
                        .sum::<f64>();
                let mag: f64 = f64::from(b.abs())
                    + row
                        .iter()
                        .zip(x)
                        .map(|(w, x)| (f64::from(*w) * f64::from(*x)).abs())
                        .sum::<f64>();
                (
                    exact,
                    2.0 * (IN as f64 + 1.0) * f64::from(f32::EPSILON) * mag,
                )
            })
            .collect()
    }

    fn check<const IN: usize, const OUT: usize>(
        w: &[[f32; IN]; OUT],
        b: &[f32; OUT],
        x: &[f32; IN],
    ) {
        let layer = DenseF32 {
            weights: w,
            bias: b,
        };
        let mut y = [0.0; OUT];
        layer.forward(x, &mut y);
        for (o, (y, (exact, bound))) in y.iter().zip(reference(w, b, x)).enumerate() {
            assert!(
                (f64::from(*y) - exact).abs() <= bound,
                "row {o}: {y} vs {exact} (bound {bound})"
            );
        }
    }

    #[test]
    fn known_values() {
        let w = [[1.0, 2.0, 3.0, 4.0, 5.0], [-1.0, 0.5, 0.0, 2.0, -2.0]];
        let b = [0.5, -1.0];
        let x = [1.0, 1.0, 2.0, -1.0, 0.5];
        let mut y = [0.0; 2];
        DenseF32 {
            weights: &w,
            bias: &b,
        }
        .forward(&x, &mut y);
        assert_eq!(
            y,
            [
                0.5 + 1.0 + 2.0 + 6.0 - 4.0 + 2.5,
                -1.0 - 1.0 + 0.5 - 2.0 - 1.0
            ]
        );
    }

    proptest! {
        #[test]
        fn equals_f64_reference(
            w in prop::array::uniform7(prop::array::uniform13(-4.0f32..4.0)),
            b in prop::array::uniform7(-4.0f32..4.0),
            x in prop::array::uniform13(-10.0f32..10.0),
        ) {
            check(&w, &b, &x);
        }

        #[test]
        fn equals_f64_reference_when_width_is_a_multiple_of_four(
            w in prop::array::uniform3(prop::array::uniform16(-1.0f32..1.0)),
            b in prop::array::uniform3(-1.0f32..1.0),
            x in prop::array::uniform16(-100.0f32..100.0),
        ) {
            check(&w, &b, &x);
        }
    }
}
