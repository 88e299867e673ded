//! What the planner knows of gymnasium's planar walkers (Hopper-v5, Walker2d-v5): the
//! observation is `qpos` without the x position, then `qvel` clipped to +-10, and the reward
//! forward velocity + 1 while healthy - 1e-3 ||a||^2.
//!
//! gymnasium's forward velocity is the x displacement over the step divided by its time;
//! the observation lacks x, so the planner's reward takes the observed x velocity at the end
//! of the step instead (`qvel[0]`, clipped to +-10). The host measures what that changes
//! over recorded episodes (`chi_host::tasks`' tests).

/// gymnasium's `ctrl_cost_weight` of both walkers.
pub const CTRL_COST: f32 = 1e-3;

/// The planner's reward: the observed forward velocity `next[velocity]`, 1 if `healthy`,
/// less the control cost.
pub fn reward(velocity: f32, healthy: bool, action: &[f32]) -> f32 {
    let cost: f32 = action.iter().map(|a| a * a).sum::<f32>() * CTRL_COST;
    velocity + if healthy { 1.0 } else { 0.0 } - cost
}

/// Height `next[0]` and angle `next[1]` strictly inside their ranges (NaN is not).
pub fn upright(next: &[f32], z: (f32, f32), angle: (f32, f32)) -> bool {
    let (Some(&h), Some(&a)) = (next.first(), next.get(1)) else {
        return false;
    };
    z.0 < h && h < z.1 && angle.0 < a && a < angle.1
}
