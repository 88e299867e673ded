//! Environments behind the [`crate::env::Env`] trait: every simulated chi-embedded task
//! through one wrapper, and gymnasium's MuJoCo tasks on the host.

#[cfg(feature = "mujoco")]
pub mod mujoco;
pub mod simulated;

#[cfg(feature = "mujoco")]
pub use mujoco::half_cheetah;
