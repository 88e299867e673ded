use super::{Activation, Dense};
use crate::normaliser::InputNormaliser;

/// The shared body of the policy and the value network: normalise the state, then two hidden
/// layers of `HP` with `activation` after each. One function, so both evaluate it with the
/// same operations in the same order on the board and on the host.
pub fn hidden_two<const S: usize, const HP: usize>(
    input: &InputNormaliser<'_, S>,
    hidden: &(Dense<'_, S, HP>, Dense<'_, HP, HP>),
    activation: Activation,
    s: &[f32; S],
) -> [f32; HP] {
    let mut z = [0.0; S];
    input.apply(s, &mut z);
    let mut h1 = [0.0; HP];
    let mut h2 = [0.0; HP];
    hidden.0.forward(&z, &mut h1);
    activation.apply(&mut h1);
    hidden.1.forward(&h1, &mut h2);
    activation.apply(&mut h2);
    h2
}
