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

    /// A bundle of these sizes.
    pub type Bundle<'a> = crate::bundle::Bundle<'a, S, A, IN, E, HE, HP, H, K>;
    /// The controller of these sizes.
    pub type Controller<'a> =
        crate::controller::BundleController<'a, GoalReward, S, A, IN, E, HE, HP, H, K>;
}
