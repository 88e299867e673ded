//! # chi-host
//!
//! The workstation side of chi. Today: reading weight bundles from disk and running the
//! board's controller (chi-embedded compiled for the host, bit for bit the same code) on the
//! point mass. The trainer, evaluation, export and plots arrive with issue 4.

pub mod bundle_file;
pub mod episode;
