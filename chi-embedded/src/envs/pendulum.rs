//! gymnasium's Pendulum-v1: swing a pendulum up and hold it, torque-limited.
//!
//! Follows `gymnasium/envs/classic_control/pendulum.py` (gymnasium 1.4.0): observation
//! `(cos th, sin th, th_dot)`, torque `u` in `[-2, 2]` (here the action in `[-1, 1]` times
//! [`MAX_TORQUE`]), cost `th^2 + 0.1 th_dot^2 + 0.001 u^2` of the state *before* the step
//! with `th` normalised to `[-pi, pi)`, semi-implicit Euler with `dt` = 0.05, speed clipped to
//! 8, 200 steps, start `th ~ U(-pi, pi)`, `th_dot ~ U(-1, 1)`. gymnasium computes in f64;
//! this is f32 (the board's arithmetic), checked against recorded gymnasium values in
//! chi-host's tests.

use crate::dynamics::Reward;
use crate::rng::ChiRng;
use crate::task::{Task, TaskParams};

/// Largest torque.
pub const MAX_TORQUE: f32 = 2.0;
/// Largest angular speed.
pub const MAX_SPEED: f32 = 8.0;
/// Integration step, seconds.
pub const DT: f32 = 0.05;
/// Pole mass and length (gymnasium's `m`, `l`).
const M: f32 = 1.0;
const L: f32 = 1.0;

/// The pendulum; the parameter is gravity (gymnasium's `g`, 10 by default).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PendulumTask {
    /// Gravitational acceleration.
    pub g: f32,
}

impl Default for PendulumTask {
    fn default() -> Self {
        Self { g: 10.0 }
    }
}

/// The angle of an observation, in `(-pi, pi]`.
fn angle(obs: &[f32; 3]) -> f32 {
    libm::atan2f(obs[1], obs[0])
}

impl Reward<3, 1> for PendulumTask {
    fn reward(&self, state: &[f32; 3], action: &[f32; 1], _next: &[f32; 3]) -> f32 {
        let th = angle(state);
        let u = action[0].clamp(-1.0, 1.0) * MAX_TORQUE;
        -(th * th + 0.1 * state[2] * state[2] + 0.001 * u * u)
    }

    fn state_bounds(&self) -> ([f32; 3], [f32; 3]) {
        ([-1.0, -1.0, -MAX_SPEED], [1.0, 1.0, MAX_SPEED])
    }
}

impl Task<3, 1> for PendulumTask {
    const NAME: &'static str = "pendulum";
    const VERSION: u16 = 1;
    const CONTROL_PERIOD: f32 = DT;
    const EPISODE_STEPS: u32 = 200;
    const SUMMARY: &'static str =
        "-(th^2 + 0.1 th_dot^2 + 0.001 u^2): swing up and balance (gymnasium Pendulum-v1)";
    const SIMULATED: bool = true;
    const PARAM_NAMES: &'static [&'static str] = &["g"];

    fn from_params(params: &[f32]) -> Result<Self, &'static str> {
        match params {
            [] => Ok(Self::default()),
            &[g] if g.is_finite() && g > 0.0 && g < 100.0 => Ok(Self { g }),
            _ => Err("the pendulum takes one parameter, gravity g in (0, 100)"),
        }
    }

    fn params(&self) -> TaskParams {
        TaskParams::new(&[self.g])
    }

    fn initial_state(&self, seed: u64) -> [f32; 3] {
        let mut rng = ChiRng::new(seed);
        let th = core::f32::consts::PI * rng.symmetric_uniform();
        let th_dot = rng.symmetric_uniform();
        [libm::cosf(th), libm::sinf(th), th_dot]
    }

    fn transition(&self, state: &[f32; 3], action: &[f32; 1]) -> [f32; 3] {
        let u = if action[0].is_nan() {
            0.0
        } else {
            action[0].clamp(-1.0, 1.0) * MAX_TORQUE
        };
        let th = angle(state);
        let accel = 3.0 * self.g / (2.0 * L) * libm::sinf(th) + 3.0 / (M * L * L) * u;
        let th_dot = (state[2] + accel * DT).clamp(-MAX_SPEED, MAX_SPEED);
        let th = th + th_dot * DT;
        [libm::cosf(th), libm::sinf(th), th_dot]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hanging_still_costs_pi_squared_and_upright_costs_nothing() {
        let p = PendulumTask::default();
        let down = [-1.0, 0.0, 0.0];
        let up = [1.0, 0.0, 0.0];
        let pi = core::f32::consts::PI;
        assert!((p.reward(&down, &[0.0], &down) + pi * pi).abs() < 1e-5);
        assert_eq!(p.reward(&up, &[0.0], &up), 0.0);
        assert!((p.reward(&up, &[1.0], &up) + 0.004).abs() < 1e-7);
    }

    #[test]
    fn gravity_pulls_a_tilted_pendulum_down_and_speed_is_clipped() {
        let p = PendulumTask::default();
        let th = 0.3f32;
        let next = p.transition(&[th.cos(), th.sin(), 0.0], &[0.0]);
        assert!(next[2] > 0.0, "falls away from upright: {next:?}");
        let fast = p.transition(&[1.0, 0.0, 7.99], &[1.0]);
        assert_eq!(fast[2], MAX_SPEED);
        assert!(
            p.transition(&[1.0, 0.0, 0.0], &[f32::NAN])
                .iter()
                .all(|v| v.is_finite())
        );
    }

    #[test]
    fn start_is_seeded_and_on_the_circle() {
        let p = PendulumTask::default();
        assert_eq!(p.initial_state(4), p.initial_state(4));
        assert_ne!(p.initial_state(4), p.initial_state(5));
        let s = p.initial_state(9);
        assert!((s[0] * s[0] + s[1] * s[1] - 1.0).abs() < 1e-5 && s[2].abs() <= 1.0);
    }

    #[test]
    fn parameters_round_trip_and_are_checked() {
        let p = PendulumTask { g: 9.81 };
        assert_eq!(PendulumTask::from_params(p.params().as_slice()), Ok(p));
        assert!(PendulumTask::from_params(&[-1.0]).is_err());
        assert!(PendulumTask::from_params(&[1.0, 2.0]).is_err());
    }
}
