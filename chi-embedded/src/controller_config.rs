//! The controller's hyper-parameters: what a bundle carries and the controller runs with.
//! A module of its own so the bundle's header and the controller both use it without the
//! bundle depending on the controller.

use serde::{Deserialize, Serialize};

use crate::habit::HabitConfig;
use crate::planner::PlannerConfig;

/// The controller's hyper-parameters; a bundle carries the values it was exported with.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ControllerConfig {
    /// The iterative phase.
    pub planner: PlannerConfig,
    /// Skip the iterative phase when every standard deviation of the amortised *first*
    /// action is below this (paper Section 5). Why the first action: it is the only one
    /// executed, and the planner can move it only about as far as its samples reach, i.e.
    /// about one sigma_t; below the threshold planning cannot change what the board does by
    /// more than that. 0 disables early exit.
    pub early_exit_sigma: f32,
    /// Skip the iterative phase while the planner keeps agreeing with the policy
    /// ([`crate::habit`]); relative where `early_exit_sigma` is absolute.
    pub habit: HabitConfig,
}
