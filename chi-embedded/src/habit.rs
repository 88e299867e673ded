//! The habitual exit: skip the iterative phase while the planner keeps agreeing with the
//! policy.
//!
//! The paper's exit (a threshold on the amortised first action's standard deviation) asks
//! the policy to be confident in absolute terms. A policy trained with SAC's entropy bonus
//! stays wide where the task tolerates it (the point mass's first-action std stays near 0.3
//! to 0.5 at any temperature tried), so that exit almost never fires, although late in
//! training the planner barely changes what is executed. This rule asks instead what the
//! planner did: once `trust_after` planned steps in a row moved every component of the
//! executed action by less than `agree_sigmas` of the policy's own standard deviation, the
//! controller acts on the policy alone, planning only every `check_every`-th step to check;
//! a check that disagrees returns it to planning every step. This is the paper's
//! habitisation (Section 5) made a rule: goal-directed control hands over to the habit
//! where the two agree, and takes it back where they stop agreeing.
//!
//! The record restarts with each episode ([`crate::controller::Controller::reseed`]), so a
//! board and its host twin that see the same requests keep the same record.

use serde::{Deserialize, Serialize};

/// When the controller trusts the policy alone. `agree_sigmas == 0` disables the rule.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[serde(deny_unknown_fields)]
pub struct HabitConfig {
    /// A planned step agrees with the policy when the planner moved every component of the
    /// first action by less than this many of the amortised first action's standard
    /// deviations. The planner's move from sampling noise alone is about
    /// `sigma / sqrt(effective samples)`, so useful values lie well below 1.
    pub agree_sigmas: f32,
    /// Planned steps in a row that must agree before the policy acts alone.
    pub trust_after: u16,
    /// While the policy acts alone, one step in this many still plans, to check.
    pub check_every: u16,
}

impl HabitConfig {
    /// The rule off: plan on every step that is not confident.
    pub const OFF: Self = Self {
        agree_sigmas: 0.0,
        trust_after: 0,
        check_every: 1,
    };

    /// Whether the rule can ever skip a step.
    pub fn enabled(&self) -> bool {
        self.agree_sigmas > 0.0 && self.check_every > 1
    }

    /// Range checks, for a bundle's header.
    pub fn validate(&self) -> Result<(), &'static str> {
        if !(self.agree_sigmas.is_finite() && self.agree_sigmas >= 0.0) {
            return Err("habit agree_sigmas must be finite and non-negative");
        }
        if self.check_every == 0 {
            return Err("habit check_every must be at least 1");
        }
        Ok(())
    }
}

impl Default for HabitConfig {
    fn default() -> Self {
        Self::OFF
    }
}

/// The record the rule keeps across steps of one episode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Habit {
    /// Planned steps in a row that agreed.
    agreed: u16,
    /// Steps since the last planned one.
    since_check: u16,
}

impl Habit {
    /// Whether this step may skip planning.
    pub fn trusts(&self, config: &HabitConfig) -> bool {
        config.enabled()
            && self.agreed >= config.trust_after
            && u32::from(self.since_check) + 1 < u32::from(config.check_every)
    }

    /// A step that did not plan.
    pub fn skipped(&mut self) {
        self.since_check = self.since_check.saturating_add(1);
    }

    /// A step that planned at least one iteration, having moved the first action from
    /// `amortised` (mean, std) to `posterior`.
    pub fn checked<const A: usize>(
        &mut self,
        config: &HabitConfig,
        amortised_mean: &[f32; A],
        amortised_std: &[f32; A],
        posterior_mean: &[f32; A],
    ) {
        self.since_check = 0;
        let agrees = amortised_mean
            .iter()
            .zip(amortised_std)
            .zip(posterior_mean)
            .all(|((a, s), p)| (p - a).abs() < config.agree_sigmas * s);
        self.agreed = if agrees {
            self.agreed.saturating_add(1)
        } else {
            0
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ON: HabitConfig = HabitConfig {
        agree_sigmas: 0.5,
        trust_after: 2,
        check_every: 3,
    };

    fn check(h: &mut Habit, shift: f32) {
        h.checked(&ON, &[0.0, 0.0], &[0.2, 0.4], &[shift, 0.0]);
    }

    #[test]
    fn trusts_after_agreeing_steps_and_checks_every_nth() {
        let mut h = Habit::default();
        assert!(!h.trusts(&ON));
        check(&mut h, 0.05);
        assert!(!h.trusts(&ON), "one agreement is not two");
        check(&mut h, 0.05);
        let mut pattern = [false; 6];
        for p in &mut pattern {
            *p = h.trusts(&ON);
            if *p {
                h.skipped();
            } else {
                check(&mut h, 0.05);
            }
        }
        assert_eq!(pattern, [true, true, false, true, true, false]);
    }

    #[test]
    fn a_disagreeing_check_returns_to_planning() {
        let mut h = Habit::default();
        check(&mut h, 0.0);
        check(&mut h, 0.0);
        assert!(h.trusts(&ON));
        // 0.1 is half of the first component's sigma 0.2: not below it.
        check(&mut h, 0.1);
        assert!(!h.trusts(&ON));
        check(&mut h, 0.0);
        assert!(!h.trusts(&ON));
        check(&mut h, 0.0);
        assert!(h.trusts(&ON));
    }

    #[test]
    fn off_never_trusts_and_bad_values_are_refused() {
        let mut h = Habit::default();
        for _ in 0..10 {
            h.checked(&HabitConfig::OFF, &[0.0], &[1.0], &[0.0]);
        }
        assert!(!h.trusts(&HabitConfig::OFF));
        let once = HabitConfig {
            check_every: 1,
            ..ON
        };
        assert!(!h.trusts(&once), "checking every step never skips");
        assert!(
            HabitConfig {
                agree_sigmas: f32::NAN,
                ..ON
            }
            .validate()
            .is_err()
        );
        assert!(
            HabitConfig {
                check_every: 0,
                ..ON
            }
            .validate()
            .is_err()
        );
        assert!(ON.validate().is_ok());
    }
}
