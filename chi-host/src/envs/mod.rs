//! Environments behind the [`crate::env::Env`] trait.

#[cfg(feature = "mujoco")]
pub mod half_cheetah;
pub mod point_mass;
