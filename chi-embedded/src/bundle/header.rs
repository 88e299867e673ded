//! The bundle header: sizes, precision, hyper-parameters and task, postcard-encoded.

use serde::{Deserialize, Serialize};

use super::error::{BundleError, Dim};
use crate::controller_config::ControllerConfig;
use crate::ensemble::LogVarBounds;
use crate::nn::Activation;
use crate::planner::Weighting;
use crate::policy::LogStdBounds;
use crate::task::TaskRecord;

/// Sizes of the networks and of the planner. Each must equal the compiled constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Dims {
    /// `S`: state dimension.
    pub state: u32,
    /// `A`: action dimension.
    pub action: u32,
    /// `E`: ensemble members.
    pub members: u32,
    /// `HE`: width of the ensemble's hidden layers.
    pub ensemble_hidden: u32,
    /// `HP`: width of the policy's hidden layers.
    pub policy_hidden: u32,
    /// `H`: planning horizon. Not a network size, but the host and the board must plan
    /// alike to act alike, so the bundle fixes it.
    pub horizon: u32,
    /// `K`: planner samples, for the same reason.
    pub samples: u32,
}

impl Dims {
    /// Compares with the compiled sizes, in the order listed; the first difference is the
    /// error.
    pub fn check(&self, compiled: [usize; 7]) -> Result<(), BundleError> {
        let found = [
            (Dim::State, self.state),
            (Dim::Action, self.action),
            (Dim::Members, self.members),
            (Dim::EnsembleHidden, self.ensemble_hidden),
            (Dim::PolicyHidden, self.policy_hidden),
            (Dim::Horizon, self.horizon),
            (Dim::Samples, self.samples),
        ];
        for ((dim, bundle), compiled) in found.into_iter().zip(compiled) {
            if usize::try_from(bundle).ok() != Some(compiled) {
                return Err(BundleError::Dimension {
                    dim,
                    compiled,
                    bundle: bundle as usize,
                });
            }
        }
        Ok(())
    }
}

/// How the weights are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Precision {
    /// f32 weights and biases.
    F32,
    /// int8 weights, one f32 scale per row, f32 biases.
    I8,
}

/// The bundle header: everything but the tensors. Postcard-encoded after the fixed prefix.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Header {
    /// Network and planner sizes.
    pub dims: Dims,
    /// Weight precision of every layer.
    pub precision: Precision,
    /// Hidden non-linearity of the ensemble members.
    pub ensemble_activation: Activation,
    /// Hidden non-linearity of the policy.
    pub policy_activation: Activation,
    /// Soft bounds of the ensemble's log-variance head.
    pub log_var_bounds: LogVarBounds,
    /// Clamp of the policy's log-std head.
    pub log_std_bounds: LogStdBounds,
    /// Controller hyper-parameters the bundle was exported with.
    pub controller: ControllerConfig,
    /// The task the bundle was trained on: the reward is compiled code, so a controller
    /// refuses a bundle recorded for another task ([`crate::task::Task::from_record`]).
    pub task: TaskRecord,
    /// The weight `gamma^H` of the value network past the horizon ([`crate::value`]), or
    /// `None` when the bundle carries none and the planner scores `H` rewards alone (the
    /// paper's Eq. 4). The network follows the policy in the payload.
    pub terminal_value: Option<f32>,
    /// Seed of the training run (provenance).
    pub seed: u64,
}

/// Iterations above this are refused: no control period could afford them, and a corrupt
/// value must not make the board spin.
pub const MAX_ITERATIONS: u32 = 1000;

impl Header {
    /// Range checks of every hyper-parameter (the dims are checked against the compiled
    /// sizes separately).
    pub fn validate(&self) -> Result<(), BundleError> {
        let p = &self.controller.planner;
        let fail = |what| Err(BundleError::Parameter { what });
        if p.iterations > MAX_ITERATIONS {
            return fail("planner iterations must be at most 1000");
        }
        match p.weighting {
            Weighting::Eq4 { temperature } if !(temperature.is_finite() && temperature > 0.0) => {
                return fail("planner temperature must be finite and positive");
            }
            Weighting::Elites { count } if count == 0 || count > self.dims.samples => {
                return fail("planner elites must be at least 1 and at most the samples K");
            }
            _ => {}
        }
        if !(p.sigma_min.is_finite() && p.sigma_min > 0.0 && p.sigma_min <= 1.0) {
            return fail("planner sigma_min must lie in (0, 1]");
        }
        let e = self.controller.early_exit_sigma;
        if !(e.is_finite() && e >= 0.0) {
            return fail("early-exit sigma must be finite and non-negative");
        }
        if let Err(what) = self.controller.habit.validate() {
            return fail(what);
        }
        let (v, s) = (self.log_var_bounds, self.log_std_bounds);
        if !(v.min.is_finite() && v.max.is_finite() && v.min < v.max) {
            return fail("log-variance bounds must be finite with min < max");
        }
        if !(s.min.is_finite() && s.max.is_finite() && s.min < s.max && s.max <= 20.0) {
            return fail("log-std bounds must be finite with min < max <= 20");
        }
        if let Some(w) = self.terminal_value
            && !(w.is_finite() && w > 0.0 && w <= 1.0)
        {
            return fail("terminal-value weight must lie in (0, 1]");
        }
        if let Err(what) = self.task.validate() {
            return fail(what);
        }
        Ok(())
    }
}
