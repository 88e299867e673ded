//! A DC motor's position loop as a chi task: the whole plant in one `no_std` file.
//!
//! The motor turns a load to the set point (angle 0) from wherever it starts. Armature
//! inductance neglected: the torque is `K i` with `i = (V - K w) / R`, so
//! `J w' = K (V - K w) / R - b w`, `th' = w`, integrated by two Euler steps of 5 ms a 10 ms
//! decision. The action in `[-1, 1]` is the voltage over 12 V. The reward penalises the
//! angle, the speed and the voltage: `-(th^2 + 0.01 w^2 + 0.01 a^2)`.
#![cfg_attr(not(feature = "host"), no_std)]

use chi_embedded::dynamics::Reward;
use chi_embedded::rng::ChiRng;
use chi_embedded::task::{Task, TaskParams};

#[cfg(feature = "host")]
pub mod host;

/// Supply voltage of a full action.
pub const VOLTS: f32 = 12.0;
/// Torque constant, N m / A (and back-EMF constant, V s / rad).
pub const K: f32 = 0.1;
/// Armature resistance, ohm.
pub const R: f32 = 1.0;
/// Integration step, s; two per decision.
pub const DT: f32 = 0.005;

/// The motor with its load.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DcMotor {
    /// Inertia of rotor and load, kg m^2.
    pub inertia: f32,
    /// Viscous friction, N m s / rad.
    pub friction: f32,
}

impl Default for DcMotor {
    fn default() -> Self {
        Self {
            inertia: 0.01,
            friction: 0.1,
        }
    }
}

impl Reward<2, 1> for DcMotor {
    fn reward(&self, _state: &[f32; 2], action: &[f32; 1], next: &[f32; 2]) -> f32 {
        let [th, w] = *next;
        let a = action[0].clamp(-1.0, 1.0);
        -(th * th + 0.01 * w * w + 0.01 * a * a)
    }

    fn state_bounds(&self) -> ([f32; 2], [f32; 2]) {
        ([-10.0, -100.0], [10.0, 100.0])
    }
}

impl Task<2, 1> for DcMotor {
    const NAME: &'static str = "dc-motor";
    const VERSION: u16 = 1;
    const CONTROL_PERIOD: f32 = 2.0 * DT;
    const EPISODE_STEPS: u32 = 100;
    const SUMMARY: &'static str = "-(th^2 + 0.01 w^2 + 0.01 a^2): turn the load to 0";
    const SIMULATED: bool = true;
    const PARAM_NAMES: &'static [&'static str] = &["inertia", "friction"];

    fn from_params(params: &[f32]) -> Result<Self, &'static str> {
        match *params {
            [inertia, friction] if inertia > 0.0 && friction >= 0.0 && inertia < 10.0 => {
                Ok(Self { inertia, friction })
            }
            _ => Err("the motor takes inertia in (0, 10) and friction >= 0"),
        }
    }

    fn params(&self) -> TaskParams {
        TaskParams::new(&[self.inertia, self.friction])
    }

    /// Anywhere within a turn either way, at rest.
    fn initial_state(&self, seed: u64) -> [f32; 2] {
        [
            core::f32::consts::PI * ChiRng::new(seed).symmetric_uniform(),
            0.0,
        ]
    }

    fn transition(&self, state: &[f32; 2], action: &[f32; 1]) -> [f32; 2] {
        let volts = VOLTS
            * if action[0].is_nan() {
                0.0
            } else {
                action[0].clamp(-1.0, 1.0)
            };
        let [mut th, mut w] = *state;
        for _ in 0..2 {
            let torque = K * (volts - K * w) / R - self.friction * w;
            th += DT * w;
            w += DT * torque / self.inertia;
        }
        [th, w]
    }
}
