//! The value of where a planned sequence ends: a small state-value network `V(s)`, weighted
//! by the discount over the horizon, added to the `H` rewards each planner sample collects.
//!
//! The paper's Eq. 4 scores `H` rewards alone; its Section 5 suggests a value function to see
//! past the horizon. On the point mass that is what a 7-step planner lacks at the wall: the
//! policy has learnt the detour through the opening, but the detour costs reward inside the
//! horizon, so Eq. 4 alone pulls the plan back to the wall. The trainer fits `V` to SAC's
//! critics at the policy's mode, `min(Q1, Q2)(s, tanh(mu(s)))`; the network has the policy's
//! shape (two hidden layers of `HP`, one output) and reads the state through the policy's
//! normaliser, so it costs about as much as one policy evaluation per sample.

use crate::dynamics::Dynamics;
use crate::nn::{Activation, Dense, hidden_two};
use crate::normaliser::InputNormaliser;

/// A state's value, as the planner's terminal score sees it.
pub trait StateValue<const S: usize> {
    /// The weighted value of `s`. A non-finite result leaves the sample scored by its rewards
    /// alone.
    fn value(&self, s: &[f32; S]) -> f32;
}

/// The value network read in place from a bundle.
#[derive(Clone, Copy, Debug)]
pub struct Value<'a, const S: usize, const HP: usize> {
    /// Normalisation of the state (the policy's: both see the same states).
    pub input: InputNormaliser<'a, S>,
    /// The two hidden layers.
    pub hidden: (Dense<'a, S, HP>, Dense<'a, HP, HP>),
    /// The value head.
    pub head: Dense<'a, HP, 1>,
    /// Hidden non-linearity (the policy's).
    pub activation: Activation,
    /// The discount over the horizon, `gamma^H`: the critic's value counts from the step
    /// the planned sequence ends at.
    pub weight: f32,
}

impl<const S: usize, const HP: usize> StateValue<S> for Value<'_, S, HP> {
    fn value(&self, s: &[f32; S]) -> f32 {
        let h = hidden_two(&self.input, &self.hidden, self.activation, s);
        let [v] = self.head.apply(&h);
        self.weight * v
    }
}

/// A transition model with an optional value past its horizon: the board's dynamics. Without
/// a value it is the model itself (the paper's Eq. 4).
#[derive(Clone, Debug)]
pub struct WithValue<D, V> {
    /// The transition model.
    pub model: D,
    /// The value of the states the samples end in, if the bundle carries one.
    pub value: Option<V>,
}

impl<D: Dynamics<S, A>, V: StateValue<S>, const S: usize, const A: usize> Dynamics<S, A>
    for WithValue<D, V>
{
    fn members(&self) -> usize {
        self.model.members()
    }

    fn predict(
        &mut self,
        member: usize,
        states: &[[f32; S]],
        actions: &[[f32; A]],
        next: &mut [[f32; S]],
    ) {
        self.model.predict(member, states, actions, next);
    }

    fn add_terminal_values(&mut self, states: &[[f32; S]], returns: &mut [f32]) {
        self.model.add_terminal_values(states, returns);
        if let Some(value) = &self.value {
            for (r, s) in returns.iter_mut().zip(states) {
                let v = value.value(s);
                if v.is_finite() {
                    *r += v;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model that stays put, to see what the value adds.
    struct Still;

    impl Dynamics<1, 1> for Still {
        fn members(&self) -> usize {
            1
        }
        fn predict(&mut self, _: usize, s: &[[f32; 1]], _: &[[f32; 1]], n: &mut [[f32; 1]]) {
            n.copy_from_slice(s);
        }
    }

    /// `V(s) = 2 s`, or NaN for negative states.
    struct Linear;

    impl StateValue<1> for Linear {
        fn value(&self, s: &[f32; 1]) -> f32 {
            if s[0] < 0.0 { f32::NAN } else { 2.0 * s[0] }
        }
    }

    #[test]
    fn adds_finite_values_and_skips_the_rest() {
        let mut model = WithValue {
            model: Still,
            value: Some(Linear),
        };
        let mut returns = [1.0, 1.0, 1.0];
        model.add_terminal_values(&[[0.5], [-1.0], [0.0]], &mut returns);
        assert_eq!(returns, [2.0, 1.0, 1.0]);
        let mut none = WithValue::<Still, Linear> {
            model: Still,
            value: None,
        };
        let mut returns = [1.0, 1.0, 1.0];
        none.add_terminal_values(&[[0.5], [-1.0], [0.0]], &mut returns);
        assert_eq!(returns, [1.0; 3]);
        assert_eq!(Dynamics::<1, 1>::members(&none), 1);
    }
}
