//! Dense kernels for the Cortex-M4F in inline assembly (feature `cortex-m4`), for the
//! firmware's control period. They compute exactly what the portable kernels compute, which
//! the board-vs-host end-to-end tests check bit for bit:
//!
//! - f32: the same four accumulator chains in the same order as
//!   [`super::dense_f32::dot`]; the gain is loading four floats with one VLDM instead of
//!   four VLDR. VMLA rounds the product before adding (it is not fused), like `a += w * x`.
//! - int8: SXTB16 unpacks a word of four stored weights ([`super::smlad_order`]) into two
//!   halfword pairs and SMLAD multiplies each with a pair of the input, two MACs an
//!   instruction. Integer sums are exact, so the result equals [`super::dense_i8::dot_i8`].
//!
//! Loads: weights in a bundle are 4-byte aligned row by row only when the row length is a
//! multiple of four, so each int8 layer is checked once ([`suits_i8`]) and one that does not
//! suit takes the portable code.

use core::arch::asm;

/// An int8 input widened to i16 once per layer call, word-aligned, so the inner loop loads
/// two inputs with every 32-bit load.
#[repr(C, align(4))]
pub struct Halfwords<const N: usize> {
    x: [i16; N],
}

impl<const N: usize> Halfwords<N> {
    /// Widens `q`, four values at a time: SXTB16 splits a word into (q0, q2) and (q1, q3),
    /// PKHBT/PKHTB pair them back as (q0, q1) and (q2, q3). (`q.map(i16::from)` compiled to
    /// about four instructions a value with register spills.)
    #[inline(always)]
    pub fn new(q: &[i8; N]) -> Self {
        let mut out = Self { x: [0; N] };
        let (groups, rest) = q.as_chunks::<4>();
        let (quads, tail) = out.x.as_chunks_mut::<4>();
        for (src, dst) in groups.iter().zip(quads.iter_mut()) {
            *dst = widen4(src);
        }
        for (dst, src) in tail.iter_mut().zip(rest) {
            *dst = i16::from(*src);
        }
        out
    }
}

/// Four int8 values as four i16, by SXTB16 (`(q0, q2)`, `(q1, q3)`) and PKHBT/PKHTB
/// (`(q0, q1)`, `(q2, q3)`): five instructions where `map(i16::from)` took about sixteen.
#[inline(always)]
fn widen4(q: &[i8; 4]) -> [i16; 4] {
    let word = u32::from_le_bytes(q.map(|b| b.to_le_bytes()[0]));
    let (lo, hi): (u32, u32);
    // SAFETY: register-only instructions, no memory access.
    unsafe {
        asm!(
            "sxtb16 {e}, {w}",
            "sxtb16 {o}, {w}, ror #8",
            "pkhbt {lo}, {e}, {o}, lsl #16",
            "pkhtb {hi}, {o}, {e}, asr #16",
            w = in(reg) word,
            e = out(reg) _,
            o = out(reg) _,
            lo = out(reg) lo,
            hi = out(reg) hi,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
    [lo, lo >> 16, hi, hi >> 16].map(|h| h as u16 as i16)
}

/// Four int8 inputs (lanes) widened to i16 and interleaved by groups of four: entry
/// `4 j + b` holds inputs `4 j .. 4 j + 4` of lane `b`. One pass of [`dot4_i8`] then walks
/// the four lanes with a single pointer, so a word of weights, once loaded and unpacked,
/// meets all four lanes: the weight loads and SXTB16s are shared four ways.
#[repr(C, align(4))]
pub struct Lanes4<const N: usize> {
    x: [[i16; 4]; N],
}

impl<const N: usize> Lanes4<N> {
    /// All zero, to be [`Self::fill`]ed where it lies (building and returning a filled one
    /// cost a copy of it, and `array::from_fn` a slower fill).
    #[inline(always)]
    pub const fn zeroed() -> Self {
        Self { x: [[0; 4]; N] }
    }

    /// Interleaves `lanes`; `N` must be a multiple of 4 (the layer [`suits_i8`]), otherwise
    /// the last partial group stays zero, which [`dot4_i8`] never reads.
    #[inline(always)]
    pub fn fill(&mut self, lanes: [&[i8; N]; 4]) {
        let groups = lanes.map(|q| q.as_chunks::<4>().0);
        for (j, dst) in self.x.as_chunks_mut::<4>().0.iter_mut().enumerate() {
            for (d, lane) in dst.iter_mut().zip(groups) {
                if let Some(src) = lane.get(j) {
                    *d = widen4(src);
                }
            }
        }
    }
}

/// Whether int8 rows of this shape and address suit the word loads of the M4 kernels: rows a
/// whole number of 8-byte blocks and 4-aligned (LDRD and LDM fault on unaligned addresses).
/// A bundle's layers always suit when `IN` is a multiple of 8 (each tensor starts 4-aligned);
/// a layer built by hand may not, and then takes the portable kernel.
pub fn suits_i8<const IN: usize, const OUT: usize>(weights: &[[i8; IN]; OUT]) -> bool {
    IN.is_multiple_of(8) && IN >= 8 && IN <= 1016 && (weights.as_ptr() as usize).is_multiple_of(4)
}

/// `sum_i w_i x_i` of one stored int8 row and a widened input.
///
/// # Safety
/// `w` must suit the word loads ([`suits_i8`] of its layer).
#[inline(always)]
pub unsafe fn dot_i8<const N: usize>(w: &[i8; N], x: &Halfwords<N>) -> i32 {
    let mut acc = 0i32;
    let mut wp = w.as_ptr();
    let mut xp = x.x.as_ptr();
    for _ in 0..N / 8 {
        // SAFETY: each block reads 8 weights (8 bytes) at `wp` and 8 inputs (16 bytes) at
        // `xp`; `N` is a multiple of 8, so every read is inside `w` and `x`. `wp` is 4-aligned
        // (the caller's promise, advanced by 8) and `xp` is 4-aligned (`Halfwords` is
        // `align(4)`, advanced by 16), as LDRD and LDM require.
        unsafe {
            asm!(
                "ldrd {w0}, {w1}, [{wp}], #8",
                "ldm {xp}!, {{r2, r3, r4, r5}}",
                "sxtb16 {t}, {w0}",
                "smlad {acc}, {t}, r2, {acc}",
                "sxtb16 {t}, {w0}, ror #8",
                "smlad {acc}, {t}, r3, {acc}",
                "sxtb16 {t}, {w1}",
                "smlad {acc}, {t}, r4, {acc}",
                "sxtb16 {t}, {w1}, ror #8",
                "smlad {acc}, {t}, r5, {acc}",
                wp = inout(reg) wp,
                xp = inout(reg) xp,
                acc = inout(reg) acc,
                w0 = out(reg) _,
                w1 = out(reg) _,
                t = out(reg) _,
                out("r2") _,
                out("r3") _,
                out("r4") _,
                out("r5") _,
                options(nostack, readonly, preserves_flags),
            );
        }
    }
    acc
}

/// Four inputs of four lanes against one word of weights: the word unpacked by SXTB16 into
/// its halfword pairs, two LDM of two lanes' inputs each, eight SMLAD.
macro_rules! lanes4_group {
    () => {
        concat!(
            "ldr {w}, [{wp}], #4\n",
            "sxtb16 {lo}, {w}\n",
            "sxtb16 {w}, {w}, ror #8\n",
            "ldm {xp}!, {{r2, r3, r4, r5}}\n",
            "smlad {a0}, {lo}, r2, {a0}\n",
            "smlad {a0}, {w}, r3, {a0}\n",
            "smlad {a1}, {lo}, r4, {a1}\n",
            "smlad {a1}, {w}, r5, {a1}\n",
            "ldm {xp}!, {{r2, r3, r4, r5}}\n",
            "smlad {a2}, {lo}, r2, {a2}\n",
            "smlad {a2}, {w}, r3, {a2}\n",
            "smlad {a3}, {lo}, r4, {a3}\n",
            "smlad {a3}, {w}, r5, {a3}",
        )
    };
}

/// `sum_i w_i x_i` of one stored int8 row with each of four lanes of input: per four
/// inputs one word load and two SXTB16 for the weights, then two LDM of four words (two
/// lanes' inputs each) and eight SMLAD (13 instructions for 16 MACs; loading the lanes by
/// LDRD took 15).
///
/// # Safety
/// `w` must suit the word loads ([`suits_i8`] of its layer).
#[inline(always)]
pub unsafe fn dot4_i8<const N: usize>(w: &[i8; N], x: &Lanes4<N>) -> [i32; 4] {
    let (mut a0, mut a1, mut a2, mut a3) = (0i32, 0i32, 0i32, 0i32);
    let mut wp = w.as_ptr();
    let mut xp = x.x.as_ptr();
    for _ in 0..N / 8 {
        // SAFETY: each block reads 8 weights (8 bytes) at `wp` and two groups of four lanes
        // of four inputs (64 bytes) at `xp`; `N` is a multiple of 8, so every read is inside
        // `w` and `x` (`x` holds `4 N` i16). `wp` is 4-aligned (the caller's promise,
        // advanced by 4) and `xp` is 4-aligned (`Lanes4` is `align(4)`, advanced by 16), as
        // LDR and LDM require.
        unsafe {
            asm!(
                lanes4_group!(),
                lanes4_group!(),
                wp = inout(reg) wp,
                xp = inout(reg) xp,
                a0 = inout(reg) a0,
                a1 = inout(reg) a1,
                a2 = inout(reg) a2,
                a3 = inout(reg) a3,
                w = out(reg) _,
                lo = out(reg) _,
                out("r2") _,
                out("r3") _,
                out("r4") _,
                out("r5") _,
                options(nostack, readonly, preserves_flags),
            );
        }
    }
    [a0, a1, a2, a3]
}

/// `sum_i w_i x_i` in f32, summed exactly as [`super::dense_f32::dot`] sums.
///
/// The whole loop is one asm block with the four accumulators in s8-s11 (passed in and out
/// through memory: an `sreg` operand would need the `vfp2` target feature enabled on the
/// function, which is not stable for ARM).
#[inline(always)]
pub fn dot_f32<const N: usize>(w: &[f32; N], x: &[f32; N]) -> f32 {
    let chunks = N / 4;
    let mut acc = [0.0f32; 4];
    if chunks > 0 {
        // SAFETY: the loop runs `chunks` times and each pass reads 4 floats at `wp` and at
        // `xp` and advances both by 16 bytes; `chunks * 4 <= N`, so every read is inside `w`
        // and `x`. f32 arrays are 4-aligned as VLDM requires. `acc` is 4 floats, read at the
        // start and written at the end. s0-s11 are declared clobbered.
        unsafe {
            asm!(
                "vldmia {acc}, {{s8-s11}}",
                "2:",
                "vldmia {wp}!, {{s0-s3}}",
                "vldmia {xp}!, {{s4-s7}}",
                "vmla.f32 s8, s0, s4",
                "vmla.f32 s9, s1, s5",
                "vmla.f32 s10, s2, s6",
                "vmla.f32 s11, s3, s7",
                "subs {n}, {n}, #1",
                "bne 2b",
                "vstmia {acc}, {{s8-s11}}",
                acc = in(reg) acc.as_mut_ptr(),
                wp = inout(reg) w.as_ptr() => _,
                xp = inout(reg) x.as_ptr() => _,
                n = inout(reg) chunks => _,
                out("s0") _,
                out("s1") _,
                out("s2") _,
                out("s3") _,
                out("s4") _,
                out("s5") _,
                out("s6") _,
                out("s7") _,
                out("s8") _,
                out("s9") _,
                out("s10") _,
                out("s11") _,
                options(nostack),
            );
        }
    }
    let [a0, a1, a2, a3] = acc;
    ((a0 + a1) + (a2 + a3)) + tail_f32(w, x, chunks * 4)
}

/// Two consecutive rows at once, `(sum_i a_i x_i, sum_i b_i x_i)`, sharing every load of
/// the input: `pair` is rows `a` and `b` as they lie in the layer.
///
/// # Safety
/// The layer must suit the word loads ([`suits_i8`]).
#[inline(always)]
pub unsafe fn dot2_i8<const N: usize>(pair: &[[i8; N]; 2], x: &Halfwords<N>) -> (i32, i32) {
    let (mut acc_a, mut acc_b) = (0i32, 0i32);
    let mut wp = pair.as_ptr().cast::<i8>();
    let mut xp = x.x.as_ptr();
    for _ in 0..N / 8 {
        // SAFETY: each block reads 8 bytes of row `a` at `wp` (then advances it by 8), the
        // same 8 bytes of row `b` at `wp + N - 8` (the rows are consecutive in `pair`), and 8
        // inputs (16 bytes) at `xp`; `N` is a multiple of 8, so every read is inside `pair`
        // and `x`. All addresses are 4-aligned (the caller's promise for the rows, whose
        // length is a multiple of 8; `Halfwords` is `align(4)`), as LDRD and LDM require.
        unsafe {
            asm!(
                "ldm {xp}!, {{r2, r3, r4, r5}}",
                "ldrd {w0}, {w1}, [{wp}], #8",
                "sxtb16 {t}, {w0}",
                "smlad {acc_a}, {t}, r2, {acc_a}",
                "sxtb16 {t}, {w0}, ror #8",
                "smlad {acc_a}, {t}, r3, {acc_a}",
                "sxtb16 {t}, {w1}",
                "smlad {acc_a}, {t}, r4, {acc_a}",
                "sxtb16 {t}, {w1}, ror #8",
                "smlad {acc_a}, {t}, r5, {acc_a}",
                "ldrd {w0}, {w1}, [{wp}, #{off}]",
                "sxtb16 {t}, {w0}",
                "smlad {acc_b}, {t}, r2, {acc_b}",
                "sxtb16 {t}, {w0}, ror #8",
                "smlad {acc_b}, {t}, r3, {acc_b}",
                "sxtb16 {t}, {w1}",
                "smlad {acc_b}, {t}, r4, {acc_b}",
                "sxtb16 {t}, {w1}, ror #8",
                "smlad {acc_b}, {t}, r5, {acc_b}",
                off = const N.saturating_sub(8),
                wp = inout(reg) wp,
                xp = inout(reg) xp,
                acc_a = inout(reg) acc_a,
                acc_b = inout(reg) acc_b,
                w0 = out(reg) _,
                w1 = out(reg) _,
                t = out(reg) _,
                out("r2") _,
                out("r3") _,
                out("r4") _,
                out("r5") _,
                options(nostack, readonly, preserves_flags),
            );
        }
    }
    (acc_a, acc_b)
}

/// Two rows at once in f32, each summed exactly as [`super::dense_f32::dot`] sums, sharing
/// every load of the input.
#[inline(always)]
pub fn dot2_f32<const N: usize>(a: &[f32; N], b: &[f32; N], x: &[f32; N]) -> (f32, f32) {
    let chunks = N / 4;
    if chunks == 0 {
        return (dot_f32(a, x), dot_f32(b, x));
    }
    let mut acc = [0.0f32; 8];
    // SAFETY: the loop runs `chunks` times; each pass reads 4 floats at `ap`, `bp` and `xp`
    // and advances each by 16 bytes; `chunks * 4 <= N`, so every read is inside `a`, `b` and
    // `x`, all 4-aligned as VLDM requires. `acc` is 8 floats, read first and written last.
    // s0-s19 are declared clobbered.
    unsafe {
        asm!(
            "vldmia {acc}, {{s12-s19}}",
            "2:",
            "vldmia {xp}!, {{s8-s11}}",
            "vldmia {ap}!, {{s0-s3}}",
            "vldmia {bp}!, {{s4-s7}}",
            "vmla.f32 s12, s0, s8",
            "vmla.f32 s13, s1, s9",
            "vmla.f32 s14, s2, s10",
            "vmla.f32 s15, s3, s11",
            "vmla.f32 s16, s4, s8",
            "vmla.f32 s17, s5, s9",
            "vmla.f32 s18, s6, s10",
            "vmla.f32 s19, s7, s11",
            "subs {n}, {n}, #1",
            "bne 2b",
            "vstmia {acc}, {{s12-s19}}",
            acc = in(reg) acc.as_mut_ptr(),
            ap = inout(reg) a.as_ptr() => _,
            bp = inout(reg) b.as_ptr() => _,
            xp = inout(reg) x.as_ptr() => _,
            n = inout(reg) chunks => _,
            out("s0") _, out("s1") _, out("s2") _, out("s3") _,
            out("s4") _, out("s5") _, out("s6") _, out("s7") _,
            out("s8") _, out("s9") _, out("s10") _, out("s11") _,
            out("s12") _, out("s13") _, out("s14") _, out("s15") _,
            out("s16") _, out("s17") _, out("s18") _, out("s19") _,
            options(nostack),
        );
    }
    let done = chunks * 4;
    let [a0, a1, a2, a3, b0, b1, b2, b3] = acc;
    (
        ((a0 + a1) + (a2 + a3)) + tail_f32(a, x, done),
        ((b0 + b1) + (b2 + b3)) + tail_f32(b, x, done),
    )
}

/// The products past the last whole chunk (`from..N`), summed in order as the portable
/// kernel sums its tail.
#[inline(always)]
fn tail_f32<const N: usize>(w: &[f32; N], x: &[f32; N], from: usize) -> f32 {
    let mut tail = 0.0f32;
    for (w, x) in w
        .get(from..)
        .unwrap_or(&[])
        .iter()
        .zip(x.get(from..).unwrap_or(&[]))
    {
        tail += w * x;
    }
    tail
}
