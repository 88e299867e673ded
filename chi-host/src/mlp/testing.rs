//! Checks shared by the tests of the learners built on these networks.

use chi_embedded::bundle::owned::OwnedLayer;

/// Weights of two learners after the same updates: equal up to float reassociation. Adam
/// divides each gradient by its own running magnitude, so a gradient component that is
/// zero up to rounding may take a step of either sign (at most 2 lr apart after a step);
/// every other weight must agree to `close`, and those sign flips must be rare.
pub fn assert_same_learning(
    what: &str,
    got: &[OwnedLayer],
    want: &[OwnedLayer],
    lr: f32,
    steps: u32,
) {
    let (mut total, mut loose) = (0usize, 0usize);
    for (l, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!((g.rows, g.cols), (w.rows, w.cols), "{what} layer {l} shape");
        let (gw, ww) = (g.dequantised(), w.dequantised());
        for (i, (a, b)) in gw
            .iter()
            .chain(&g.bias)
            .zip(ww.iter().chain(&w.bias))
            .enumerate()
        {
            let d = (a - b).abs();
            total += 1;
            if d > 1e-5 * b.abs().max(1.0) {
                loose += 1;
                assert!(
                    d <= 2.0 * lr * steps as f32 + 1e-5,
                    "{what} layer {l} value {i}: {a} against candle's {b}"
                );
            }
        }
    }
    assert!(
        loose * 500 <= total,
        "{what}: {loose} of {total} values differ beyond rounding"
    );
}
