//! What a control step costs on an STM32F405 (Cortex-M4F at 168 MHz, weights read in place
//! from flash), from a bundle's header alone: the multiply-accumulates of each phase and the
//! per-sample work around them, in cycles. The firmware's build uses it to refuse a bundle
//! whose step cannot fit its task's period, and `chi export` to choose the planner's
//! iterations and samples that do.
//!
//! The figures per MAC and per rollout step are fitted to chi's cycle model of the F405 (a
//! QEMU plugin timing what the firmware executes: `chi bench --qemu`) on the reference
//! point-mass and Half-Cheetah bundles, one fit per precision; the end-to-end tests check
//! the estimate against the cycle model on a bundle the fit did not see. It is an estimate
//! of an estimate: the cycle model's own uncertainty (its flash and cache model) comes on
//! top, so the firmware still paces each step to its period at run time.

use crate::bundle::{Header, Precision};
use crate::planner::Propagation;

/// Cycles of one control step's two phases.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepCost {
    /// The amortised phase: the policy rolled through the ensemble's mean for `H` steps.
    /// Always runs; nothing can cut it short.
    pub amortise: f64,
    /// One Eq. 4 iteration: sampling, every sample's rollout and rewards, weighting, refit.
    pub iteration: f64,
}

/// Cycles per multiply-accumulate and per step of one rollout (or of the amortised phase's
/// one rollout) at one precision, fitted to the cycle model.
#[derive(Clone, Copy, Debug)]
struct Rates {
    per_mac: f64,
    per_step: f64,
}

/// The two phases of a step, which run their layers differently.
#[derive(Clone, Copy)]
enum Phase {
    /// The planner's rollouts, many samples a layer. A rollout step's own work beside its
    /// member's layers (its Gaussian draws and squashing, the state update, the reward) is
    /// the per-step figure.
    Rollouts,
    /// The amortised phase: one sample, so every layer unpacks its weights for one input;
    /// each of its `H` steps also takes the squashed Gaussian's moments by quadrature.
    Amortise,
}

/// The rates of `phase` at `precision`, fitted exactly to two cycle-model runs per precision
/// (`chi bench --qemu`, the reference bundles of `cargo xtask size`): the point mass (K = 24,
/// E = 2, all members, I = 4, 32 wide: 6.95 M cycles an iteration in f32, 3.57 M in int8;
/// amortised 0.42 M and 0.28 M) and Half-Cheetah (K = 128, one member a sample, I = 1, 64
/// wide, 24 ensemble inputs: 78.3 M and 29.0 M; amortised 2.29 M and 1.15 M).
const fn rates(phase: Phase, precision: Precision) -> Rates {
    let (per_mac, per_step) = match (phase, precision) {
        (Phase::Rollouts, Precision::F32) => (7.771, 3281.0),
        (Phase::Rollouts, Precision::I8) => (2.530, 4963.0),
        (Phase::Amortise, Precision::F32) => (8.177, 13_131.0),
        (Phase::Amortise, Precision::I8) => (3.820, 18_020.0),
    };
    Rates { per_mac, per_step }
}

impl StepCost {
    /// The cost of a step of the controller `header` describes.
    pub fn of(header: &Header) -> Self {
        let d = header.dims;
        let (s, a, e) = (d.state as f64, d.action as f64, d.members.max(1) as f64);
        let (he, hp, h, k) = (
            d.ensemble_hidden as f64,
            d.policy_hidden as f64,
            d.horizon as f64,
            d.samples as f64,
        );
        let input = crate::bundle::ensemble_input(d.state as usize, d.action as usize) as f64;
        let member = input * he + 2.0 * he * he + he * s;
        let policy = s * hp + hp * hp + 2.0 * hp * a;
        let value = if header.terminal_value.is_some() {
            s * hp + hp * hp + hp
        } else {
            0.0
        };
        let rollouts = match header.controller.planner.propagation {
            Propagation::AllMembers => k * e,
            Propagation::OnePerSample => k,
        };
        let r = rates(Phase::Rollouts, header.precision);
        let iteration = r.per_mac * rollouts * (h * member + value) + r.per_step * rollouts * h;
        let m = rates(Phase::Amortise, header.precision);
        let amortise = m.per_mac * h * (policy + e * member) + m.per_step * h;
        Self {
            amortise,
            iteration,
        }
    }

    /// Cycles of a step that plans `iterations` times.
    pub fn with_iterations(&self, iterations: u32) -> f64 {
        self.amortise + f64::from(iterations) * self.iteration
    }

    /// The most iterations whose step fits `cycles` (0 when only the amortised phase does,
    /// `None` when not even that).
    pub fn iterations_within(&self, cycles: f64) -> Option<u32> {
        if self.amortise > cycles {
            return None;
        }
        let room = (cycles - self.amortise) / self.iteration.max(1.0);
        Some(room.min(f64::from(u32::MAX)) as u32)
    }
}

/// The F405's core clock, cycles a second.
pub const CORE_HZ: f64 = 168e6;

/// Cycles a step may take within a task's control period of `seconds` (a const fn, so a
/// firmware can check a bundle against its task's period when it is compiled).
pub const fn period_cycles(seconds: f32) -> f64 {
    seconds as f64 * CORE_HZ
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::Precision;
    use crate::bundle::testing::{PolicyKind, half_cheetah_spec, point_mass_spec};

    /// The fit reproduces the runs it was fitted to (within rounding of its figures):
    /// modelled cycles of a whole step, amortised phase included.
    #[test]
    fn the_fit_reproduces_its_cycle_model_runs() {
        let cases = [
            (point_mass_spec(32, 32, PolicyKind::Uncertain), 28_223_516.0),
            (
                point_mass_spec(32, 32, PolicyKind::Uncertain).quantised(),
                14_566_087.0,
            ),
            (half_cheetah_spec(Precision::F32, 1), 80_542_595.0),
            (half_cheetah_spec(Precision::I8, 1), 30_121_317.0),
        ];
        for (spec, modelled) in cases {
            let h = &spec.header;
            let cost = StepCost::of(h);
            let estimate = cost.with_iterations(h.controller.planner.iterations);
            let error = (estimate - modelled).abs() / modelled;
            assert!(
                error < 0.01,
                "{:?}: {estimate} against {modelled}",
                h.precision
            );
        }
    }

    #[test]
    fn iterations_within_a_period() {
        let cost = StepCost {
            amortise: 100.0,
            iteration: 50.0,
        };
        assert_eq!(cost.iterations_within(99.0), None);
        assert_eq!(cost.iterations_within(100.0), Some(0));
        assert_eq!(cost.iterations_within(260.0), Some(3));
        assert_eq!(cost.with_iterations(3), 250.0);
    }
}
