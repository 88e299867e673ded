//! Why a bundle is refused: typed errors that name the size, tensor or field at fault.

use core::fmt;

/// Why a bundle was refused. `Copy`, no allocation; `Display` says what is wrong in words an
/// engineer can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BundleError {
    /// Shorter than the fixed prefix and checksum.
    TooShort {
        /// Bytes present.
        found: usize,
    },
    /// The bytes do not start on a 4-byte boundary, so weights cannot be read in place.
    Misaligned,
    /// The first four bytes are not `CHIB`.
    BadMagic,
    /// A format version this build does not read.
    UnsupportedVersion {
        /// Version in the bundle.
        found: u16,
    },
    /// Reserved flag bits are set.
    ReservedFlags {
        /// The flags found.
        found: u16,
    },
    /// The declared lengths do not add up to the bytes present (truncated or extended).
    LengthMismatch {
        /// Total the prefix declares.
        declared: usize,
        /// Bytes present.
        found: usize,
    },
    /// The CRC-32 does not match: the bytes were corrupted.
    Checksum {
        /// CRC stored in the bundle.
        stored: u32,
        /// CRC of the bytes.
        computed: u32,
    },
    /// Padding between header and payload is not zero.
    NonZeroPadding,
    /// The header could not be decoded (postcard), or has bytes left over.
    Header,
    /// The bundle was built for other network or planner sizes than this firmware.
    Dimension {
        /// Which size.
        dim: Dim,
        /// Size compiled into this build.
        compiled: usize,
        /// Size in the bundle.
        bundle: usize,
    },
    /// A hyper-parameter in the header is outside its valid range.
    Parameter {
        /// Which one, and the range.
        what: &'static str,
    },
    /// The payload length is not what the header's sizes and precision require.
    PayloadLength {
        /// Required bytes.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// The bundle was trained on another task (or version of it) than the controller is
    /// built for, or its task parameters are invalid for that task.
    Task(crate::task::TaskError),
    /// A tensor holds a value it must not.
    Tensor {
        /// Which tensor.
        at: Location,
        /// What is wrong with it.
        problem: Problem,
    },
}

/// A size the bundle must share with the compiled controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Dim {
    /// `S`.
    State,
    /// `A`.
    Action,
    /// `E`.
    Members,
    /// `HE`.
    EnsembleHidden,
    /// `HP`.
    PolicyHidden,
    /// `H`.
    Horizon,
    /// `K`.
    Samples,
}

impl Dim {
    /// The name used in messages (and in the exporter's flags).
    pub const fn name(self) -> &'static str {
        match self {
            Self::State => "state dimension (S)",
            Self::Action => "action dimension (A)",
            Self::Members => "ensemble members (E)",
            Self::EnsembleHidden => "ensemble hidden width (HE)",
            Self::PolicyHidden => "policy hidden width (HP)",
            Self::Horizon => "planning horizon (H)",
            Self::Samples => "planner samples (K)",
        }
    }
}

/// Which network a tensor belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Network {
    /// The dynamics ensemble.
    Ensemble,
    /// The policy.
    Policy,
    /// The value network past the horizon.
    Value,
}

/// A tensor inside the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Item {
    /// Input normalisation mean.
    InputMean,
    /// Input normalisation reciprocal std.
    InputInvStd,
    /// Output scaling mean.
    OutputMean,
    /// Output scaling std.
    OutputStd,
    /// Weights of layer `n` (hidden layers first, then the heads).
    Weights(u8),
    /// Row scales of int8 layer `n`.
    Scale(u8),
    /// Bias of layer `n`.
    Bias(u8),
    /// Alignment padding after the int8 weights of layer `n`.
    Padding(u8),
}

/// Where in the payload a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Location {
    /// The network.
    pub network: Network,
    /// Ensemble member (0 for the policy).
    pub member: u16,
    /// The tensor.
    pub item: Item,
}

/// What is wrong with a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Problem {
    /// NaN or infinite value.
    NonFinite,
    /// A scale or std that must be positive is not.
    NotPositive,
    /// Padding that must be zero is not.
    NonZero,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.network {
            Network::Ensemble => write!(f, "ensemble member {} ", self.member)?,
            Network::Policy => f.write_str("policy ")?,
            Network::Value => f.write_str("value network ")?,
        }
        match self.item {
            Item::InputMean => f.write_str("input mean"),
            Item::InputInvStd => f.write_str("input 1/std"),
            Item::OutputMean => f.write_str("output mean"),
            Item::OutputStd => f.write_str("output std"),
            Item::Weights(n) => write!(f, "layer {n} weights"),
            Item::Scale(n) => write!(f, "layer {n} row scales"),
            Item::Bias(n) => write!(f, "layer {n} bias"),
            Item::Padding(n) => write!(f, "layer {n} padding"),
        }
    }
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::TooShort { found } => {
                write!(f, "bundle is {found} bytes, shorter than any valid bundle")
            }
            Self::Misaligned => {
                f.write_str("bundle bytes are not 4-byte aligned; place them at an aligned address")
            }
            Self::BadMagic => f.write_str("not a chi weight bundle (magic bytes are not CHIB)"),
            Self::UnsupportedVersion { found } => write!(
                f,
                "bundle format version {found}, this build reads version {}",
                super::frame::VERSION
            ),
            Self::ReservedFlags { found } => write!(f, "reserved flags {found:#06x} are set"),
            Self::LengthMismatch { declared, found } => {
                write!(
                    f,
                    "bundle declares {declared} bytes but {found} are present (truncated or padded?)"
                )
            }
            Self::Checksum { stored, computed } => {
                write!(
                    f,
                    "checksum mismatch: stored {stored:#010x}, computed {computed:#010x}; the bundle is corrupt"
                )
            }
            Self::NonZeroPadding => f.write_str("padding after the header is not zero"),
            Self::Header => f.write_str("bundle header cannot be decoded"),
            Self::Dimension {
                dim,
                compiled,
                bundle,
            } => write!(
                f,
                "bundle was built for {} = {bundle}, this controller is compiled for {compiled}",
                dim.name()
            ),
            Self::Parameter { what } => write!(f, "bundle hyper-parameter out of range: {what}"),
            Self::Task(e) => write!(f, "{e}"),
            Self::PayloadLength { expected, found } => {
                write!(
                    f,
                    "payload is {found} bytes, the header's sizes need {expected}"
                )
            }
            Self::Tensor { at, problem } => match problem {
                Problem::NonFinite => write!(f, "{at} holds a NaN or infinite value"),
                Problem::NotPositive => write!(f, "{at} holds a value that must be positive"),
                Problem::NonZero => write!(f, "{at} is not zero"),
            },
        }
    }
}

impl core::error::Error for BundleError {}
