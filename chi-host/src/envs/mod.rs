//! Environments behind the [`crate::env::Env`] trait.

pub mod point_mass;
