//! Environments behind the [`crate::env::Env`] trait: every simulated chi-embedded task
//! through one wrapper, and MuJoCo's on the host.

#[cfg(feature = "mujoco")]
pub mod half_cheetah;
pub mod simulated;
