//! Cart-pole swing-up with a continuous force: the pole starts hanging down and must be
//! swung up and balanced.
//!
//! Physics: the cart-pole of Barto, Sutton and Anderson (1983) as gymnasium 1.4.0's
//! `CartPoleEnv` integrates it (`gymnasium/envs/classic_control/cartpole.py`: gravity 9.8,
//! cart 1.0 kg, pole 0.1 kg of half-length 0.5 m, explicit Euler with `tau` = 0.02 s), but
//! with a continuous force `10 a` N for the action `a` in `[-1, 1]` and two Euler steps a
//! decision. The cart runs on a rail of half-length [`RAIL`]: at its end it stops (its speed
//! is zeroed), and the episode goes on.
//!
//! Observation and reward: DeepMind Control Suite's `cartpole.swingup` (Tassa et al. 2018,
//! `dm_control/suite/cartpole.py`): `(x, cos th, sin th, x_dot, th_dot)` with `th = 0`
//! upright, start near `th = pi` with 0.01 noise, and the smooth reward
//! `upright * centred * small_control * small_velocity` in `[0, 1]`, where
//! `upright = (cos th + 1) / 2`, `centred = (1 + tol(x, 2)) / 2`, `small_control = (4 + max(0, 1 - a^2)) / 5`,
//! `small_velocity = (1 + tol(th_dot, 5)) / 2`, and `tol(v, m) = exp(-v^2 ln(10) / m^2)`
//! (dm_control's Gaussian tolerance with value 0.1 at the margin). No termination.

use crate::dynamics::Reward;
use crate::rng::ChiRng;
use crate::task::{Task, TaskParams};

/// Gravity, m/s^2.
pub const GRAVITY: f32 = 9.8;
/// Cart mass, kg.
pub const CART_MASS: f32 = 1.0;
/// Pole mass, kg.
pub const POLE_MASS: f32 = 0.1;
/// Half the pole's length, m.
pub const HALF_LENGTH: f32 = 0.5;
/// Force of a full action, N.
pub const FORCE: f32 = 10.0;
/// Euler step, s.
pub const TAU: f32 = 0.02;
/// Euler steps a decision.
pub const SUBSTEPS: u32 = 2;
/// Half-length of the rail, m (gymnasium's CartPole fails the episode there).
pub const RAIL: f32 = 2.4;

/// The swing-up task; no parameters.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CartPoleTask;

/// dm_control's `tolerance(v, bounds=(0, 0), margin, sigmoid='gaussian', value_at_margin=0.1)`.
fn tolerance(v: f32, margin: f32) -> f32 {
    let d = v / margin;
    libm::expf(-d * d * core::f32::consts::LN_10)
}

/// One Euler step of gymnasium's equations with force `force`: state `(x, th, x_dot,
/// th_dot)`.
pub fn euler_step(state: [f32; 4], force: f32) -> [f32; 4] {
    let [x, th, x_dot, th_dot] = state;
    let total = CART_MASS + POLE_MASS;
    let pole_ml = POLE_MASS * HALF_LENGTH;
    let (sin, cos) = (libm::sinf(th), libm::cosf(th));
    let temp = (force + pole_ml * th_dot * th_dot * sin) / total;
    let th_acc =
        (GRAVITY * sin - cos * temp) / (HALF_LENGTH * (4.0 / 3.0 - POLE_MASS * cos * cos / total));
    let x_acc = temp - pole_ml * th_acc * cos / total;
    [
        x + TAU * x_dot,
        th + TAU * th_dot,
        x_dot + TAU * x_acc,
        th_dot + TAU * th_acc,
    ]
}

impl Reward<5, 1> for CartPoleTask {
    fn reward(&self, _state: &[f32; 5], action: &[f32; 1], next: &[f32; 5]) -> f32 {
        let [x, cos, _, _, th_dot] = *next;
        let a = action[0].clamp(-1.0, 1.0);
        let upright = (cos + 1.0) / 2.0;
        let centred = (1.0 + tolerance(x, 2.0)) / 2.0;
        let small_control = (4.0 + (1.0 - a * a).max(0.0)) / 5.0;
        let small_velocity = (1.0 + tolerance(th_dot, 5.0)) / 2.0;
        upright * small_control * small_velocity * centred
    }

    fn state_bounds(&self) -> ([f32; 5], [f32; 5]) {
        (
            [-RAIL, -1.0, -1.0, -100.0, -100.0],
            [RAIL, 1.0, 1.0, 100.0, 100.0],
        )
    }
}

impl Task<5, 1> for CartPoleTask {
    const NAME: &'static str = "cartpole-swingup";
    const VERSION: u16 = 1;
    const CONTROL_PERIOD: f32 = TAU * SUBSTEPS as f32;
    const EPISODE_STEPS: u32 = 150;
    const SUMMARY: &'static str =
        "upright x centred x small control x small velocity, in [0, 1] (DMC cartpole swingup)";
    const SIMULATED: bool = true;

    fn from_params(params: &[f32]) -> Result<Self, &'static str> {
        if params.is_empty() {
            Ok(Self)
        } else {
            Err("the cart-pole swing-up takes no parameters")
        }
    }

    fn params(&self) -> TaskParams {
        TaskParams::NONE
    }

    fn initial_state(&self, seed: u64) -> [f32; 5] {
        let mut rng = ChiRng::new(seed);
        let mut noise = || 0.01 * rng.normal();
        let (x, th) = (noise(), core::f32::consts::PI + noise());
        let (x_dot, th_dot) = (noise(), noise());
        [x, libm::cosf(th), libm::sinf(th), x_dot, th_dot]
    }

    fn transition(&self, state: &[f32; 5], action: &[f32; 1]) -> [f32; 5] {
        let force = if action[0].is_nan() {
            0.0
        } else {
            FORCE * action[0].clamp(-1.0, 1.0)
        };
        let [x, cos, sin, x_dot, th_dot] = *state;
        let mut s = [x, libm::atan2f(sin, cos), x_dot, th_dot];
        for _ in 0..SUBSTEPS {
            s = euler_step(s, force);
            if s[0].abs() > RAIL {
                s[0] = s[0].clamp(-RAIL, RAIL);
                s[2] = 0.0;
            }
        }
        let [x, th, x_dot, th_dot] = s;
        [x, libm::cosf(th), libm::sinf(th), x_dot, th_dot]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reward_is_one_upright_still_centred_and_small_hanging() {
        let t = CartPoleTask;
        let up = [0.0, 1.0, 0.0, 0.0, 0.0];
        assert_eq!(t.reward(&up, &[0.0], &up), 1.0);
        let down = [0.0, -1.0, 0.0, 0.0, 0.0];
        assert_eq!(t.reward(&down, &[0.0], &down), 0.0);
        // At the margins each Gaussian term is 0.1, so its factor is 0.55.
        let off = [2.0, 1.0, 0.0, 0.0, 5.0];
        assert!((t.reward(&off, &[0.0], &off) - 0.55 * 0.55).abs() < 1e-6);
        assert!((t.reward(&up, &[1.0], &up) - 0.8).abs() < 1e-6);
    }

    #[test]
    fn a_push_moves_the_cart_and_tips_the_pole_back() {
        let t = CartPoleTask;
        let up = [0.0, 1.0, 0.0, 0.0, 0.0];
        let next = t.transition(&up, &[1.0]);
        assert!(next[3] > 0.0, "cart speeds up: {next:?}");
        assert!(next[4] < 0.0, "pole falls back: {next:?}");
        assert!(
            t.transition(&up, &[0.0]) == up,
            "upright and still is an equilibrium"
        );
    }

    #[test]
    fn the_rail_stops_the_cart() {
        let t = CartPoleTask;
        let mut s = [2.39, -1.0, 0.0, 3.0, 0.0];
        for _ in 0..5 {
            s = t.transition(&s, &[1.0]);
        }
        assert_eq!(s[0], RAIL);
        assert!(s[3].abs() < 0.5, "{s:?}");
    }

    #[test]
    fn start_hangs_down_with_small_noise() {
        let s = CartPoleTask.initial_state(3);
        assert!(s[1] < -0.99 && s[0].abs() < 0.05);
        assert_ne!(s, CartPoleTask.initial_state(4));
    }
}
