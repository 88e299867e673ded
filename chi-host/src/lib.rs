//! # chi-host
//!
//! The workstation side of chi: environments, the replay buffer, training of SAC and the
//! probabilistic ensemble (on chi's own MLPs), the CHI agent running chi-embedded's controller with
//! batched host networks, bundle files, and episodes.

pub mod atomic_file;
pub mod bundle_file;
#[cfg(test)]
mod candle_adam;
pub mod config;
pub mod ensemble_trainer;
pub mod env;
pub mod envs;
pub mod export;
pub mod figure1;
pub mod firmware;
pub mod host_nets;
pub mod mlp;
pub mod optim;
#[cfg(test)]
mod params;
pub mod plot;
pub mod replay;
pub mod report;
pub mod rollout;
pub mod sac;
pub mod sweep;
pub mod tasks;
pub mod tensor_file;
pub mod train;
pub mod world;
