//! Reference configurations: the sizes the benches, the firmware and the tests agree on.

/// The point mass on the board: small enough for a 100 Hz control period on a 168 MHz M4.
pub mod point_mass {
    use crate::envs::point_mass::GoalReward;

    /// State: position `(x, y)`.
    pub const S: usize = 2;
    /// Action: velocity `(dx, dy)`, normalised.
    pub const A: usize = 2;
    /// Ensemble input, `S + A`.
    pub const IN: usize = S + A;
    /// Ensemble members.
    pub const E: usize = 2;
    /// Ensemble hidden width.
    pub const HE: usize = 32;
    /// Policy hidden width.
    pub const HP: usize = 32;
    /// Planning horizon (paper Appendix C).
    pub const H: usize = 7;
    /// Planner samples. Chosen by measurement (`chi bench --qemu`, QEMU -icount): with the
    /// f32 kernels, one Eq. 4 iteration and each sample through one member (the board's
    /// export: `chi export --iterations 1 --one-per-sample`), a sample costs about 52 000
    /// instructions and the amortised phase 140 000, so K = 24 keeps a control step near
    /// 1.4 M instructions: over 100 steps a second at 168 MHz with room to spare.
    pub const K: usize = 24;

    /// The task's reward, as the planner sees it.
    pub type Reward = GoalReward;
    /// The reward's value.
    pub const REWARD: Reward = GoalReward;
    /// A bundle of these sizes.
    pub type Bundle<'a> = crate::bundle::Bundle<'a, S, A, IN, E, HE, HP, H, K>;
    /// The controller of these sizes.
    pub type Controller<'a> =
        crate::controller::BundleController<'a, Reward, S, A, IN, E, HE, HP, H, K>;
}

/// Half-Cheetah on the board: the paper's control period is 0.2 s (timestep 0.01 s x frame
/// skip 5 x action repeat 4), so a step may take 33.6 M instructions at 168 MHz.
///
/// Sizes: each planner sample costs `H` predictions of one member (one per sample), about
/// `IN HE + 2 HE^2 + HE S` = 10 750 MACs at `HE` = 64, so `K H` = 896 predictions are 9.6 M
/// MACs an iteration: about 20 M instructions with the four-sample int8 kernel. One Eq. 4
/// iteration at `K` = 128 then leaves room for the amortised phase and the refit. Flash:
/// about 45 KB of int8 weights (180 KB in f32); RAM: the planner's scratch is about 40 KB.
pub mod half_cheetah {
    use crate::envs::half_cheetah::{ACT, ForwardReward, OBS};

    /// Observation (qpos without x, then qvel).
    pub const S: usize = OBS;
    /// Joint torques.
    pub const A: usize = ACT;
    /// Ensemble input, `S + A`.
    pub const IN: usize = S + A;
    /// Ensemble members.
    pub const E: usize = 3;
    /// Ensemble hidden width.
    pub const HE: usize = 64;
    /// Policy hidden width.
    pub const HP: usize = 64;
    /// Planning horizon (paper Appendix C).
    pub const H: usize = 7;
    /// Planner samples (see the module's sizing).
    pub const K: usize = 128;

    /// The task's reward, as the planner sees it.
    pub type Reward = ForwardReward;
    /// The reward's value.
    pub const REWARD: Reward = ForwardReward;
    /// A bundle of these sizes.
    pub type Bundle<'a> = crate::bundle::Bundle<'a, S, A, IN, E, HE, HP, H, K>;
    /// The controller of these sizes.
    pub type Controller<'a> =
        crate::controller::BundleController<'a, Reward, S, A, IN, E, HE, HP, H, K>;
}
