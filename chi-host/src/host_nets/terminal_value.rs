//! The value of where a planned sequence ends: SAC's critic at the policy's mode,
//! `gamma^H min(Q1, Q2)(s_H, tanh(mu(s_H)))`, added to the `H` rewards a sample collects.
//!
//! The paper's Eq. 4 scores `H` rewards alone; its Section 5 suggests amortised inference
//! with a value function to see past the horizon. On the point mass that is what a 7-step
//! planner lacks at the wall: the policy has learnt the detour through the opening, but a
//! detour costs reward inside the horizon, so Eq. 4 pulls the plan back to the wall. The
//! board carries no critic, so this is a host-only switch (`chi.terminal_value`).

use chi_embedded::bundle::owned::{OwnedLayer, OwnedPolicy};
use chi_embedded::nn::Activation;

use super::{Layer, trunk};

/// A critic's three layers, input `[s, a]`, output one value.
pub type CriticLayers = [OwnedLayer; 3];

/// The policy's mode and twin critics, evaluated over whole batches of final states.
pub struct TerminalValue {
    policy_hidden: Vec<Layer>,
    policy_mean: Layer,
    critics: [Vec<Layer>; 2],
    weight: f32,
    /// Layer inputs and outputs, and the running minimum over the critics.
    scratch: [Vec<f32>; 4],
}

impl TerminalValue {
    /// SAC's actor (its mean head: the mode before `tanh`) and critics, weighted by
    /// `weight` (the discount over the horizon, `gamma^H`, so the value counts from step `H`
    /// as the critic's own targets do).
    pub fn new(policy: &OwnedPolicy, critics: &[CriticLayers; 2], weight: f32) -> Self {
        Self {
            policy_hidden: policy[..2].iter().map(Layer::from).collect(),
            policy_mean: Layer::from(&policy[2]),
            critics: critics
                .each_ref()
                .map(|layers| layers.iter().map(Layer::from).collect()),
            weight,
            scratch: Default::default(),
        }
    }

    /// Adds `weight * min(Q1, Q2)(s, mode(s))` to `returns[k]` for each `states[k]`.
    pub fn add_to<const S: usize>(&mut self, states: &[[f32; S]], returns: &mut [f32]) {
        let n = states.len().min(returns.len());
        let [x, a, b, values] = &mut self.scratch;
        x.clear();
        x.extend(states.iter().take(n).flatten());
        trunk(&self.policy_hidden, Activation::Relu, x, n, a, b);
        self.policy_mean.forward(a, n, b, None);
        b.iter_mut().for_each(|m| *m = m.tanh());
        let actions = b.len().checked_div(n).unwrap_or(0);
        x.clear();
        for (s, mode) in states.iter().zip(b.chunks_exact(actions.max(1))) {
            x.extend_from_slice(s);
            x.extend_from_slice(mode);
        }
        values.clear();
        values.resize(n, f32::INFINITY);
        for critic in &self.critics {
            let Some((head, hidden)) = critic.split_last() else {
                continue;
            };
            trunk(hidden, Activation::Relu, x, n, a, b);
            head.forward(a, n, b, None);
            for (v, q) in values.iter_mut().zip(b.iter()) {
                *v = v.min(*q);
            }
        }
        // A value the critic cannot give (non-finite) leaves the sample scored by its rewards.
        for (r, v) in returns.iter_mut().zip(values.iter()) {
            if v.is_finite() {
                *r += self.weight * v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sac::{Sac, SacConfig};

    /// The batched value agrees with SAC's own (candle) evaluation, times the weight, and
    /// adds to what the returns held.
    #[test]
    fn adds_the_weighted_critic_of_the_mode() {
        let config = SacConfig {
            actor_hidden: 32,
            critic_hidden: 48,
            ..Default::default()
        };
        let sac = Sac::new(config, 2, 2, 7).unwrap();
        let mut value = TerminalValue::new(
            &sac.owned_policy().unwrap(),
            &sac.owned_critics().unwrap(),
            0.5,
        );
        let states = [[0.1f32, 0.9], [0.5, 0.15], [0.0, 0.0]];
        let mut returns = [1.0f32, -2.0, 0.0];
        value.add_to(&states, &mut returns);
        for ((s, r), before) in states.iter().zip(returns).zip([1.0f32, -2.0, 0.0]) {
            let expected = before + 0.5 * sac.mode_value(s).unwrap();
            assert!((r - expected).abs() < 1e-4, "{s:?}: {r} against {expected}");
        }
        assert_ne!(
            returns,
            [1.0, -2.0, 0.0],
            "an untrained critic is not exactly 0"
        );
    }
}
