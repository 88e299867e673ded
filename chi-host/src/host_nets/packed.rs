//! A dense layer's batched product on AVX-512 with the weights packed once, when the layer is
//! built, and the bias and ReLU applied as the results are stored.
//!
//! Why not only the `gemm` crate: it re-packs both operands on every call (the planner makes
//! hundreds of products a step with the same weights) and needs the bias copied in and the
//! activation applied in separate passes; a profile of the Half-Cheetah planner bench put
//! 14% of the time in its packing and 9% in those two passes
//! (experiments/half-cheetah-planner.md). Here the weights are laid out once in 32-wide
//! panels of output columns, 64-byte aligned, and a 12-row x 32-column register block
//! (24 accumulators) streams through them; `x` is read in place.
//!
//! Only on x86-64 CPUs with AVX-512F ([`Packed::new`] returns `None` elsewhere and the
//! layer uses `gemm`).

/// Output columns a panel holds: two AVX-512 vectors.
const NR: usize = 32;
/// Input rows one register block carries (12 x 2 accumulators + 2 weights + 1 broadcast of
/// the 32 vector registers).
const MR: usize = 12;

/// 16 floats on a 64-byte boundary: one cache line, one vector.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(64))]
struct Line([f32; 16]);

/// A layer's weights in panels: panel `p` holds, for each input `k`, the weights of output
/// columns `p NR .. p NR + NR` (zero past `rows`) contiguously; the bias likewise padded.
#[derive(Clone, Debug, PartialEq)]
pub struct Packed {
    rows: usize,
    cols: usize,
    panels: Vec<Line>,
    bias: Vec<Line>,
}

impl Packed {
    /// Packs `weights` (row-major `rows x cols`) and `bias` (`rows`), or `None` when this CPU
    /// has no AVX-512F or the shapes disagree.
    pub fn new(rows: usize, cols: usize, weights: &[f32], bias: &[f32]) -> Option<Self> {
        if !supported() || weights.len() != rows * cols || bias.len() != rows || rows == 0 {
            return None;
        }
        let pairs = rows.div_ceil(NR);
        let mut panels = vec![Line([0.0; 16]); pairs * cols * 2];
        for p in 0..pairs {
            for k in 0..cols {
                for half in 0..2 {
                    let line = &mut panels[(p * cols + k) * 2 + half];
                    for (j, w) in line.0.iter_mut().enumerate() {
                        let r = p * NR + half * 16 + j;
                        if r < rows {
                            *w = weights[r * cols + k];
                        }
                    }
                }
            }
        }
        let mut padded = vec![Line([0.0; 16]); pairs * 2];
        for (r, b) in bias.iter().enumerate() {
            padded[r / 16].0[r % 16] = *b;
        }
        Some(Self {
            rows,
            cols,
            panels,
            bias: padded,
        })
    }

    /// `y[n x rows] = x[n x cols] W^T + b`, then max(0, .) when `relu`; `y` is resized.
    pub fn forward(&self, x: &[f32], n: usize, y: &mut Vec<f32>, relu: bool) {
        assert_eq!(x.len(), n * self.cols, "layer input width");
        y.clear();
        y.resize(n * self.rows, 0.0);
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a `Packed` exists only where `supported()` found AVX-512F; the slices
        // have the sizes `kernel::forward` reads and writes (asserted and resized above).
        unsafe {
            kernel::forward(self, x, n, y, relu)
        };
    }
}

/// Whether this CPU runs the packed kernel.
fn supported() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(target_arch = "x86_64")]
mod kernel {
    use core::arch::x86_64::{
        __m512, __mmask16, _mm512_add_ps, _mm512_fmadd_ps, _mm512_load_ps, _mm512_mask_storeu_ps,
        _mm512_max_ps, _mm512_set1_ps, _mm512_setzero_ps,
    };

    use super::{MR, NR, Packed};

    /// Rows of `x` in blocks of `MR`, then the rest in one smaller block.
    ///
    /// # Safety
    /// The CPU has AVX-512F; `x.len() == n * p.cols`, `y.len() == n * p.rows`.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn forward(p: &Packed, x: &[f32], n: usize, y: &mut [f32], relu: bool) {
        let (xp, yp) = (x.as_ptr(), y.as_mut_ptr());
        let mut r = 0;
        // SAFETY (every call below): rows r .. r + M of x and y exist (r + M <= n).
        unsafe {
            while r + MR <= n {
                block::<MR>(p, xp.add(r * p.cols), yp.add(r * p.rows), relu);
                r += MR;
            }
            let (xr, yr) = (xp.add(r * p.cols), yp.add(r * p.rows));
            match n - r {
                1 => block::<1>(p, xr, yr, relu),
                2 => block::<2>(p, xr, yr, relu),
                3 => block::<3>(p, xr, yr, relu),
                4 => block::<4>(p, xr, yr, relu),
                5 => block::<5>(p, xr, yr, relu),
                6 => block::<6>(p, xr, yr, relu),
                7 => block::<7>(p, xr, yr, relu),
                8 => block::<8>(p, xr, yr, relu),
                9 => block::<9>(p, xr, yr, relu),
                10 => block::<10>(p, xr, yr, relu),
                11 => block::<11>(p, xr, yr, relu),
                _ => {}
            }
        }
    }

    /// Lanes of a vector holding output columns `from ..` that exist (`< rows`).
    fn mask(rows: usize, from: usize) -> __mmask16 {
        let valid = rows.saturating_sub(from).min(16);
        ((1u32 << valid) - 1) as __mmask16
    }

    /// `M` rows of `x` (starting at `x`, stride `cols`) through every panel into `y` (stride
    /// `rows`).
    ///
    /// # Safety
    /// AVX-512F; `x` points at `M` rows of `p.cols` floats, `y` at `M` rows of `p.rows`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn block<const M: usize>(p: &Packed, x: *const f32, y: *mut f32, relu: bool) {
        let (rows, cols) = (p.rows, p.cols);
        let zero = _mm512_setzero_ps();
        for pair in 0..rows.div_ceil(NR) {
            // SAFETY: panel `pair` is `cols` x 2 lines of `p.panels` (built so in `new`);
            // x rows hold `cols` floats; the stores are masked to the columns y has.
            unsafe {
                let w = p.panels.as_ptr().add(pair * cols * 2).cast::<f32>();
                let mut acc = [[zero; 2]; M];
                for k in 0..cols {
                    let w0 = _mm512_load_ps(w.add(k * NR));
                    let w1 = _mm512_load_ps(w.add(k * NR + 16));
                    for (i, a) in acc.iter_mut().enumerate() {
                        let xb = _mm512_set1_ps(*x.add(i * cols + k));
                        a[0] = _mm512_fmadd_ps(xb, w0, a[0]);
                        a[1] = _mm512_fmadd_ps(xb, w1, a[1]);
                    }
                }
                let b = p.bias.as_ptr().add(pair * 2).cast::<f32>();
                let (b0, b1) = (_mm512_load_ps(b), _mm512_load_ps(b.add(16)));
                let col = pair * NR;
                let (m0, m1) = (mask(rows, col), mask(rows, col + 16));
                for (i, a) in acc.iter().enumerate() {
                    let mut v: [__m512; 2] = [_mm512_add_ps(a[0], b0), _mm512_add_ps(a[1], b1)];
                    if relu {
                        v = [_mm512_max_ps(v[0], zero), _mm512_max_ps(v[1], zero)];
                    }
                    let out = y.add(i * rows + col);
                    _mm512_mask_storeu_ps(out, m0, v[0]);
                    if m1 != 0 {
                        _mm512_mask_storeu_ps(out.add(16), m1, v[1]);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, one multiply-add at a time in f64.
    fn reference(w: &[f32], b: &[f32], cols: usize, x: &[f32], relu: bool) -> Vec<f32> {
        x.chunks_exact(cols)
            .flat_map(|xr| {
                w.chunks_exact(cols).zip(b).map(move |(wr, b)| {
                    let v = wr
                        .iter()
                        .zip(xr)
                        .map(|(w, x)| f64::from(*w) * f64::from(*x))
                        .sum::<f64>()
                        + f64::from(*b);
                    let v = v as f32;
                    if relu { v.max(0.0) } else { v }
                })
            })
            .collect()
    }

    #[test]
    fn packed_products_match_the_definition_at_every_edge() {
        let Some(_) = Packed::new(1, 1, &[1.0], &[0.0]) else {
            // No AVX-512F here: nothing of this module runs (the layer uses gemm), and
            // `new` must say so rather than pack.
            assert!(!supported());
            return;
        };
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        };
        // Rows past a panel edge (1, 16, 17, 33, 350), inputs odd and even, batches below,
        // at and past the 12-row block.
        for (rows, cols) in [(1, 1), (16, 3), (17, 23), (33, 8), (350, 37), (64, 350)] {
            let w: Vec<f32> = (0..rows * cols).map(|_| next()).collect();
            let b: Vec<f32> = (0..rows).map(|_| next()).collect();
            let packed = Packed::new(rows, cols, &w, &b).expect("AVX-512F found above");
            for n in [1, 5, 11, 12, 13, 25, 40] {
                let x: Vec<f32> = (0..n * cols).map(|_| next()).collect();
                for relu in [false, true] {
                    let mut y = vec![f32::NAN; 3];
                    packed.forward(&x, n, &mut y, relu);
                    let want = reference(&w, &b, cols, &x, relu);
                    assert_eq!(y.len(), want.len());
                    for (i, (got, want)) in y.iter().zip(&want).enumerate() {
                        assert!(
                            (got - want).abs() <= 1e-5 * (1.0 + cols as f32).sqrt(),
                            "{rows}x{cols} n={n} relu={relu} [{i}]: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn mismatched_shapes_are_not_packed() {
        assert_eq!(Packed::new(2, 3, &[0.0; 5], &[0.0; 2]), None);
        assert_eq!(Packed::new(2, 3, &[0.0; 6], &[0.0; 3]), None);
        assert_eq!(Packed::new(0, 3, &[], &[]), None);
    }
}
