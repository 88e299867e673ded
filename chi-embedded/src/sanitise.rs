//! Guards at the edge: whatever arrives from outside (a serial frame, a sensor), the networks
//! and the planner only ever see finite numbers of sane size.

/// Largest state magnitude the controller accepts; beyond it a component is clamped.
///
/// 1e6 keeps every derived quantity finite in f32: squared distances (1e12) summed over a
/// horizon and divided by a temperature stay far below f32::MAX (3.4e38).
pub const STATE_LIMIT: f32 = 1.0e6;

/// A state made safe: NaN becomes 0, infinities and huge values are clamped to
/// [`STATE_LIMIT`]. The flag says whether anything had to change.
pub fn state<const S: usize>(raw: &[f32; S]) -> ([f32; S], bool) {
    within(raw, &([-STATE_LIMIT; S], [STATE_LIMIT; S]))
}

/// A state clamped to a task's `(low, high)` bounds ([`crate::dynamics::Reward::state_bounds`]),
/// each at most [`STATE_LIMIT`] in size: NaN becomes the value in range nearest 0. The flag
/// says whether anything had to change.
pub fn within<const S: usize>(raw: &[f32; S], bounds: &([f32; S], [f32; S])) -> ([f32; S], bool) {
    let mut clean = *raw;
    let mut changed = false;
    for ((x, lo), hi) in clean.iter_mut().zip(&bounds.0).zip(&bounds.1) {
        // Bounds from a task are code, but a NaN or inverted pair must not make clamp panic.
        let lo = if lo.is_nan() {
            -STATE_LIMIT
        } else {
            lo.clamp(-STATE_LIMIT, STATE_LIMIT)
        };
        let hi = if hi.is_nan() {
            STATE_LIMIT
        } else {
            hi.clamp(lo, STATE_LIMIT)
        };
        let safe = if x.is_nan() {
            0.0f32.clamp(lo, hi)
        } else {
            x.clamp(lo, hi)
        };
        changed |= safe.to_bits() != x.to_bits();
        *x = safe;
    }
    (clean, changed)
}

/// An action inside [-1, 1]; NaN becomes 0 (the centre of the action box).
pub fn action<const A: usize>(raw: &[f32; A]) -> [f32; A] {
    raw.map(|a| if a.is_nan() { 0.0 } else { a.clamp(-1.0, 1.0) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_cleaned_and_flagged() {
        let (s, changed) = state(&[f32::NAN, f32::INFINITY, -1e30, 0.5]);
        assert_eq!(s, [0.0, STATE_LIMIT, -STATE_LIMIT, 0.5]);
        assert!(changed);
        assert_eq!(state(&[0.25, -3.0]), ([0.25, -3.0], false));
    }

    #[test]
    fn a_tasks_bounds_clamp_and_nan_goes_to_the_range() {
        let bounds = ([0.0, -1.0, f32::NAN], [1.0, -2.0, 5.0]);
        let (s, changed) = within(&[f32::NAN, 0.0, 9.0], &bounds);
        assert_eq!(
            s,
            [0.0, -1.0, 5.0],
            "an inverted pair collapses to its low end"
        );
        assert!(changed);
        let (s, _) = within(&[f32::NAN], &([0.2], [0.8]));
        assert_eq!(s, [0.2]);
    }

    #[test]
    fn actions_land_in_the_box() {
        assert_eq!(
            action(&[f32::NAN, 7.0, -f32::INFINITY, 0.3]),
            [0.0, 1.0, -1.0, 0.3]
        );
    }
}
