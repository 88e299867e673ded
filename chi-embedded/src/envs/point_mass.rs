//! The paper's didactic environment (Appendix D.1): a point mass in `[0, 1]^2` that controls
//! its velocity, `|a| <= 0.05`, from `(0, 0)` to the goal `(1, 1)`, rewarded
//! `1 - ||s - g||^2`, past a wall with a small opening.
//!
//! The paper does not give the wall; it is a parameter ([`Geometry`]). The default, a wall
//! at `x = 0.5` with an opening of width 0.1 centred at `y = 0.4`, blocks the straight line:
//! a CEM planner with the paper's 7-step horizon, which sees only 0.35 of travel, is drawn
//! into the corner the wall makes with the diagonal and stays there, even with the true
//! dynamics. The opening is no lower because exploration must be able to find it: with it
//! centred at 0.15-0.30 no episode with the paper's training noise ever crosses the wall, so
//! no agent can learn the way (`chi-host/examples/wall_sweep.rs`,
//! `experiments/point-mass-walls.csv`).

use serde::{Deserialize, Serialize};

use crate::dynamics::{Dynamics, Reward};
use crate::task::{Task, TaskParams};

/// Largest distance moved in one step (paper: `||a|| <= 0.05`).
pub const MAX_STEP: f32 = 0.05;
/// Start position.
pub const START: [f32; 2] = [0.0, 0.0];
/// Goal position.
pub const GOAL: [f32; 2] = [1.0, 1.0];
/// Within this distance of the goal counts as reaching it.
pub const GOAL_RADIUS: f32 = 0.1;

/// Where the wall stands and where its opening is.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Geometry {
    /// The wall is the vertical line `x = wall_x`, `0 < wall_x < 1`.
    pub wall_x: f32,
    /// Centre of the opening in `y`.
    pub opening_centre: f32,
    /// Width of the opening (`y` within `centre +- width / 2` passes).
    pub opening_width: f32,
}

impl Default for Geometry {
    fn default() -> Self {
        Self {
            wall_x: 0.5,
            opening_centre: 0.4,
            opening_width: 0.1,
        }
    }
}

impl Geometry {
    /// An opening as wide as the arena: the straight path is free.
    pub const OPEN: Self = Self {
        wall_x: 0.5,
        opening_centre: 0.5,
        opening_width: 1.0,
    };

    /// Checks the numbers describe a wall inside the arena with a real opening.
    pub fn validate(&self) -> Result<(), &'static str> {
        if !(self.wall_x > 0.0 && self.wall_x < 1.0) {
            return Err("wall_x must lie strictly inside (0, 1)");
        }
        if !(0.0..=1.0).contains(&self.opening_centre) {
            return Err("opening_centre must lie in [0, 1]");
        }
        if !(self.opening_width > 0.0 && self.opening_width <= 2.0) {
            return Err("opening_width must lie in (0, 2]");
        }
        Ok(())
    }

    /// True if `y` at the wall is inside the opening.
    fn passes(&self, y: f32) -> bool {
        (y - self.opening_centre).abs() <= 0.5 * self.opening_width
    }
}

/// The displacement of a normalised action: each component in [-1, 1] (NaN as 0) scaled by
/// [`MAX_STEP`], then the vector shortened to at most [`MAX_STEP`].
pub fn displacement(action: &[f32; 2]) -> [f32; 2] {
    let [dx, dy] = action.map(|a| {
        if a.is_nan() {
            0.0
        } else {
            a.clamp(-1.0, 1.0) * MAX_STEP
        }
    });
    let norm = libm::sqrtf(dx * dx + dy * dy);
    if norm > MAX_STEP {
        let k = MAX_STEP / norm;
        [dx * k, dy * k]
    } else {
        [dx, dy]
    }
}

/// The true dynamics: move by the displacement, stay in the arena; a move that would cross
/// the wall outside the opening loses its `x` part (the mass slides along the wall).
pub fn transition(geometry: &Geometry, state: &[f32; 2], action: &[f32; 2]) -> [f32; 2] {
    let [x, y] = *state;
    let [dx, dy] = displacement(action);
    let (nx, ny) = ((x + dx).clamp(0.0, 1.0), (y + dy).clamp(0.0, 1.0));
    let w = geometry.wall_x;
    if (x < w) != (nx < w) {
        // The segment crosses x = w at fraction t; nx != x here, so no division by zero.
        let t = (w - x) / (nx - x);
        if !geometry.passes(y + t * (ny - y)) {
            return [x, ny];
        }
    }
    [nx, ny]
}

/// `1 - ||s - g||^2` (paper D.1), evaluated at the state reached.
pub fn reward(state: &[f32; 2]) -> f32 {
    1.0 - distance_sq(state, &GOAL)
}

fn distance_sq(a: &[f32; 2], b: &[f32; 2]) -> f32 {
    let (dx, dy) = (a[0] - b[0], a[1] - b[1]);
    dx * dx + dy * dy
}

/// Distance to the goal.
pub fn distance_to_goal(state: &[f32; 2]) -> f32 {
    libm::sqrtf(distance_sq(state, &GOAL))
}

/// The point-mass task: the reward the planner optimises, and the true dynamics with the
/// task's wall, so the board can simulate it. Parameters: the wall's `x`, the opening's
/// centre and width ([`Geometry`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PointMassTask {
    /// The wall.
    pub geometry: Geometry,
}

impl Reward<2, 2> for PointMassTask {
    fn reward(&self, _state: &[f32; 2], _action: &[f32; 2], next: &[f32; 2]) -> f32 {
        reward(next)
    }

    /// The arena.
    fn state_bounds(&self) -> ([f32; 2], [f32; 2]) {
        ([0.0; 2], [1.0; 2])
    }
}

impl Task<2, 2> for PointMassTask {
    const NAME: &'static str = "point-mass";
    const VERSION: u16 = 1;
    /// 100 Hz: the board's budget for a decision is 10 ms.
    const CONTROL_PERIOD: f32 = 0.01;
    /// The shortest path through the default opening is about 30 steps of 0.05; twice that
    /// leaves room to search.
    const EPISODE_STEPS: u32 = 60;
    const SUMMARY: &'static str =
        "1 - |s - (1, 1)|^2 each step; a wall at x = wall_x with one opening (paper D.1)";
    const SIMULATED: bool = true;
    const PARAM_NAMES: &'static [&'static str] = &["wall_x", "opening_centre", "opening_width"];

    fn from_params(params: &[f32]) -> Result<Self, &'static str> {
        let &[wall_x, opening_centre, opening_width] = params else {
            return Err("the point mass takes 3 parameters: wall_x, opening_centre, opening_width");
        };
        let geometry = Geometry {
            wall_x,
            opening_centre,
            opening_width,
        };
        geometry.validate()?;
        Ok(Self { geometry })
    }

    fn params(&self) -> TaskParams {
        let g = self.geometry;
        TaskParams::new(&[g.wall_x, g.opening_centre, g.opening_width])
    }

    fn initial_state(&self, _seed: u64) -> [f32; 2] {
        START
    }

    fn transition(&self, state: &[f32; 2], action: &[f32; 2]) -> [f32; 2] {
        transition(&self.geometry, state, action)
    }
}

/// The true dynamics as a one-member model: lets the planner be tested alone, and gives
/// the model-free upper bound of what planning can do.
#[derive(Clone, Copy, Debug)]
pub struct TrueDynamics(pub Geometry);

impl Dynamics<2, 2> for TrueDynamics {
    fn members(&self) -> usize {
        1
    }

    fn predict(
        &mut self,
        _member: usize,
        states: &[[f32; 2]],
        actions: &[[f32; 2]],
        next: &mut [[f32; 2]],
    ) {
        for ((n, s), a) in next.iter_mut().zip(states).zip(actions) {
            *n = transition(&self.0, s, a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_length_is_bounded_by_point_zero_five() {
        for a in [[1.0, 1.0], [1.0, 0.0], [-7.0, 3.0], [0.3, -0.2]] {
            let [dx, dy] = displacement(&a);
            assert!((dx * dx + dy * dy).sqrt() <= MAX_STEP * 1.000_001);
        }
        assert_eq!(displacement(&[1.0, 0.0]), [MAX_STEP, 0.0]);
        assert_eq!(displacement(&[f32::NAN, 0.5]), [0.0, 0.5 * MAX_STEP]);
    }

    #[test]
    fn wall_blocks_outside_the_opening_and_lets_through_inside() {
        let g = Geometry::default();
        // At y = 0.5 the wall blocks: x stays, y moves.
        assert_eq!(transition(&g, &[0.49, 0.5], &[1.0, 0.0]), [0.49, 0.5]);
        let s = transition(&g, &[0.49, 0.5], &[0.6, 0.8]);
        assert_eq!(s[0], 0.49);
        assert!(s[1] > 0.5);
        // At y = 0.4 (the opening) the mass passes.
        let s = transition(&g, &[0.49, 0.4], &[1.0, 0.0]);
        assert!((s[0] - 0.54).abs() < 1e-6);
        // Blocked from the other side too.
        assert_eq!(transition(&g, &[0.52, 0.8], &[-1.0, 0.0]), [0.52, 0.8]);
        // Geometry is a parameter: the opening high instead.
        let high = Geometry {
            opening_centre: 0.85,
            ..g
        };
        assert_eq!(transition(&high, &[0.49, 0.15], &[1.0, 0.0]), [0.49, 0.15]);
        assert!(transition(&high, &[0.49, 0.85], &[1.0, 0.0])[0] > 0.5);
    }

    #[test]
    fn arena_is_closed() {
        let g = Geometry::OPEN;
        assert_eq!(transition(&g, &[0.0, 0.0], &[-1.0, -1.0]), [0.0, 0.0]);
        assert_eq!(transition(&g, &[1.0, 1.0], &[1.0, 1.0]), [1.0, 1.0]);
    }

    #[test]
    fn reward_and_goal() {
        let open = PointMassTask {
            geometry: Geometry::OPEN,
        };
        assert_eq!(open.initial_state(7), START);
        assert_eq!(reward(&START), -1.0);
        assert_eq!(reward(&GOAL), 1.0);
        // Straight along the diagonal: 27 steps of 0.05 / sqrt(2) each way reach the goal.
        let mut s = START;
        let mut first = None;
        for step in 1..=40 {
            s = open.transition(&s, &[1.0, 1.0]);
            if distance_to_goal(&s) < GOAL_RADIUS && first.is_none() {
                first = Some(step);
            }
        }
        assert_eq!(first, Some(27), "{s:?}");
        // The default wall blocks the diagonal.
        let walled = PointMassTask::default();
        let mut s = START;
        for _ in 0..40 {
            s = walled.transition(&s, &[1.0, 1.0]);
        }
        assert!(distance_to_goal(&s) > GOAL_RADIUS && s[0] < 0.5, "{s:?}");
    }

    #[test]
    fn geometry_validation() {
        assert!(Geometry::default().validate().is_ok());
        assert!(Geometry::OPEN.validate().is_ok());
        assert!(
            Geometry {
                wall_x: 1.0,
                ..Geometry::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            Geometry {
                opening_width: 0.0,
                ..Geometry::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            Geometry {
                opening_centre: f32::NAN,
                ..Geometry::default()
            }
            .validate()
            .is_err()
        );
    }
}
