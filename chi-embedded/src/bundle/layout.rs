//! The payload's tensor order, derived from the header alone: no offset table, so no offsets
//! that could disagree with the sizes. Every tensor starts 4-byte aligned; int8 weight blocks
//! are zero-padded to a multiple of 4.
//!
//! ```text
//! ensemble input mean [S+A], input 1/std [S+A], output mean [S], output std [S]
//! E times: layers 0..2 (hidden: S+A -> HE -> HE -> HE), 3 (mean head HE -> S),
//!          4 (log-variance head HE -> S)
//! policy input mean [S], input 1/std [S]
//! policy layers 0..1 (hidden: S -> HP -> HP), 2 (mean head HP -> A), 3 (log-std head HP -> A)
//! if the header has a terminal value: value layers 0..1 (hidden: S -> HP -> HP),
//!          2 (head HP -> 1); its input normaliser is the policy's
//! each layer: weights [out][in] (f32, or i8 + padding), then for int8 row scales [out],
//!             then bias [out]
//! ```

use super::header::{Dims, Precision};

/// Bytes of one dense layer.
pub fn layer_len(rows: usize, cols: usize, precision: Precision) -> Option<usize> {
    let n = rows.checked_mul(cols)?;
    let vec = rows.checked_mul(4)?;
    match precision {
        Precision::F32 => n.checked_mul(4)?.checked_add(vec),
        Precision::I8 => n
            .checked_next_multiple_of(4)?
            .checked_add(vec)?
            .checked_add(vec),
    }
}

/// Bytes of the whole payload for these sizes, with or without the value network.
pub fn payload_len(dims: &Dims, precision: Precision, value: bool) -> Option<usize> {
    let s = usize::try_from(dims.state).ok()?;
    let a = usize::try_from(dims.action).ok()?;
    let e = usize::try_from(dims.members).ok()?;
    let he = usize::try_from(dims.ensemble_hidden).ok()?;
    let hp = usize::try_from(dims.policy_hidden).ok()?;
    let input = super::checked_ensemble_input(s, a)?;
    let member = [
        layer_len(he, input, precision)?,
        layer_len(he, he, precision)?,
        layer_len(he, he, precision)?,
        layer_len(s, he, precision)?,
        layer_len(s, he, precision)?,
    ]
    .into_iter()
    .try_fold(0usize, usize::checked_add)?;
    let policy = [
        layer_len(hp, s, precision)?,
        layer_len(hp, hp, precision)?,
        layer_len(a, hp, precision)?,
        layer_len(a, hp, precision)?,
    ]
    .into_iter()
    .try_fold(0usize, usize::checked_add)?;
    let value = match value {
        true => [
            layer_len(hp, s, precision)?,
            layer_len(hp, hp, precision)?,
            layer_len(1, hp, precision)?,
        ]
        .into_iter()
        .try_fold(0usize, usize::checked_add)?,
        false => 0,
    };
    let norms = input
        .checked_mul(8)?
        .checked_add(s.checked_mul(8)?)?
        .checked_add(s.checked_mul(8)?)?;
    norms
        .checked_add(member.checked_mul(e)?)?
        .checked_add(policy)?
        .checked_add(value)
}
