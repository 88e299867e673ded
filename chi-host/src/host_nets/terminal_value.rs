//! The value past the horizon on the host: the bundle's value network
//! ([`chi_embedded::value`]), `gamma^H V(s_H)` added to the `H` rewards a sample collects,
//! evaluated over whole batches of final states.
//!
//! The board evaluates the same network one state at a time; both read the state through
//! the policy's normaliser, so the host's CHI agent plans with the value the board will.

use chi_embedded::bundle::owned::{BundleSpec, OwnedValue};
use chi_embedded::nn::Activation;

use super::{Layer, normalise_into, trunk};

/// A value network and its weight, batched.
pub struct TerminalValue {
    hidden: Vec<Layer>,
    head: Layer,
    activation: Activation,
    in_mean: Vec<f32>,
    in_inv_std: Vec<f32>,
    weight: f32,
    /// Normalised inputs and the two layer buffers.
    scratch: [Vec<f32>; 3],
}

impl TerminalValue {
    /// The value network `layers` weighted by `weight` (the discount over the horizon,
    /// `gamma^H`), reading states through the normaliser `(in_mean, in_inv_std)`.
    pub fn new(
        layers: &OwnedValue,
        activation: Activation,
        weight: f32,
        in_mean: &[f32],
        in_inv_std: &[f32],
    ) -> Self {
        Self {
            hidden: layers[..2].iter().map(Layer::from).collect(),
            head: Layer::from(&layers[2]),
            activation,
            in_mean: in_mean.to_vec(),
            in_inv_std: in_inv_std.to_vec(),
            weight,
            scratch: Default::default(),
        }
    }

    /// The value of a spec, if it carries one: what the board would add.
    pub fn from_spec(spec: &BundleSpec) -> Option<Self> {
        let (layers, weight) = (spec.value.as_ref()?, spec.header.terminal_value?);
        Some(Self::new(
            layers,
            spec.header.policy_activation,
            weight,
            &spec.policy_input_mean,
            &spec.policy_input_inv_std,
        ))
    }

    /// Adds `weight * V(s)` to `returns[k]` for each `states[k]`.
    pub fn add_to<const S: usize>(&mut self, states: &[[f32; S]], returns: &mut [f32]) {
        let n = states.len().min(returns.len());
        let [x, a, b] = &mut self.scratch;
        x.clear();
        for s in states.iter().take(n) {
            normalise_into(s, &self.in_mean, &self.in_inv_std, x);
        }
        trunk(&self.hidden, self.activation, x, n, a, b);
        self.head.forward(a, n, b, None);
        // A value the network cannot give (non-finite) leaves the sample scored by its
        // rewards, as on the board.
        for (r, v) in returns.iter_mut().zip(b.iter()) {
            let v = self.weight * v;
            if v.is_finite() {
                *r += v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chi_embedded::bundle::Bundle;
    use chi_embedded::bundle::testing::{self, PolicyKind};
    const K: usize = testing::POINT_MASS_SAMPLES;
    use chi_embedded::value::StateValue;

    /// The batched value equals the board's, one state at a time, and adds to what the
    /// returns held.
    #[test]
    fn adds_what_the_board_adds() {
        let spec = testing::with_distance_value(
            testing::point_mass_spec(8, 8, PolicyKind::Confident),
            2.0,
            0.5,
        );
        let bytes = spec.encode().unwrap();
        let bundle = Bundle::<2, 2, 4, 2, 8, 8, 7, K>::parse(bytes.as_bytes()).unwrap();
        let board = bundle.value.unwrap();
        let mut value = TerminalValue::from_spec(&spec).unwrap();
        let states = [[0.1f32, 0.9], [0.5, 0.15], [0.0, 0.0], [f32::NAN, 30.0]];
        let before = [1.0f32, -2.0, 0.0, 4.0];
        let mut returns = before;
        value.add_to(&states, &mut returns);
        for ((s, r), b) in states.iter().zip(returns).zip(before) {
            let expected = b + board.value(s);
            assert!((r - expected).abs() < 1e-5, "{s:?}: {r} against {expected}");
        }
        assert_ne!(returns, before);
        let plain = testing::point_mass_spec(8, 8, PolicyKind::Confident);
        assert!(TerminalValue::from_spec(&plain).is_none());
    }
}
