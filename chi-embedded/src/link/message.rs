//! The messages of the link. Both directions are enums, so a frame that decodes is one of
//! the listed shapes, and postcard refuses anything else.

use super::rx::SerialErrors;
use serde::{Deserialize, Serialize};

use super::MAX_VALUES;
use crate::bundle::{Dims, Header, Precision};
use crate::task::TaskRecord;

/// A state or an action: at most [`MAX_VALUES`] floats. Its length is checked against the
/// compiled sizes by the handler, which answers a mismatch with
/// [`ErrorKind::StateLength`].
pub type Values = heapless::Vec<f32, MAX_VALUES>;

/// Host to board.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Who are you? Answered with [`Response::Info`]. Hosts send it until answered: a UART
    /// drops what arrives before the board enabled its receiver.
    Hello,
    /// Start an episode: reseed the controller's sampler, so the host can replay it.
    Reset {
        /// Sequence number, echoed.
        seq: u32,
        /// The sampler's seed.
        seed: u64,
    },
    /// Act in this state. Answered with [`Response::Action`].
    Act {
        /// Sequence number, echoed, so the host pairs every action with its state.
        seq: u32,
        /// The state, `S` values.
        state: Values,
    },
    /// Act in this state with at most `iterations` planner iterations: how a host replays
    /// a board's step that its deadline cut short (the reply's `iterations`), or plans less
    /// than the bundle declares. Answered with [`Response::Action`].
    ActCapped {
        /// Sequence number, echoed.
        seq: u32,
        /// The state, `S` values.
        state: Values,
        /// The most iterations to run (the bundle's own count if that is fewer).
        iterations: u8,
    },
}

/// Board to host.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Response {
    /// What the board runs.
    Info(Info),
    /// The controller was reseeded.
    Ready {
        /// The request's sequence number.
        seq: u32,
    },
    /// The action for a state.
    Action(ActionReply),
    /// A frame that could not be answered, and why.
    Error {
        /// The request's sequence number when the frame decoded far enough to have one.
        seq: Option<u32>,
        /// What was wrong.
        kind: ErrorKind,
    },
}

/// The board's identity, answer to [`Request::Hello`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Info {
    /// [`super::PROTOCOL_VERSION`] of the board.
    pub protocol: u16,
    /// The firmware's version (its crate version).
    pub firmware: heapless::String<16>,
    /// The CRC-32 stored at the end of the bundle in flash: which weights answer.
    pub bundle_crc: u32,
    /// Sizes of the bundle (and so of the compiled controller).
    pub dims: Dims,
    /// Weight precision.
    pub precision: Precision,
    /// Task of the bundle.
    pub task: TaskRecord,
    /// The serial line's errors since the board started (all zero on a host's twin).
    pub serial: SerialErrors,
}

impl Info {
    /// The identity of a board running `bundle` (whose header is `header`) with firmware
    /// version `firmware` (cut to 16 bytes).
    pub fn new(header: &Header, bundle: &[u8], firmware: &str) -> Self {
        let mut name = heapless::String::new();
        for c in firmware.chars() {
            if name.push(c).is_err() {
                break;
            }
        }
        Self {
            protocol: super::PROTOCOL_VERSION,
            firmware: name,
            bundle_crc: crate::bundle::frame::stored_crc(bundle).unwrap_or(0),
            dims: header.dims,
            precision: header.precision,
            task: header.task,
            serial: SerialErrors::default(),
        }
    }
}

/// The answer to [`Request::Act`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionReply {
    /// The request's sequence number.
    pub seq: u32,
    /// The action, `A` values in `[-1, 1]`.
    pub action: Values,
    /// Planner iterations run (0 when the amortised proposal was confident enough).
    pub iterations: u8,
    /// Whether the state had NaN or out-of-range values that were cleaned before acting.
    pub state_sanitised: bool,
    /// SysTick ticks the decision took on the board (0 where nothing measures it).
    pub ticks: u32,
}

/// Why a frame got no proper answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ErrorKind {
    /// More than [`super::MAX_FRAME`] bytes before the zero that ends a frame.
    Oversized,
    /// Not valid COBS, or too short to hold a CRC.
    Framing,
    /// The CRC does not match: bytes were lost or changed on the way.
    Checksum,
    /// The CRC matched but the bytes are no request this protocol knows.
    Malformed,
    /// A state of the wrong length.
    StateLength {
        /// Values the controller takes (`S`).
        expected: u8,
        /// Values the request carried.
        got: u8,
    },
    /// The board's reply did not fit its buffer (a bug; reported rather than hidden).
    ReplyTooLarge,
}

impl core::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Oversized => write!(f, "frame longer than {} bytes", super::MAX_FRAME),
            Self::Framing => f.write_str("not a COBS frame with a CRC"),
            Self::Checksum => f.write_str("checksum mismatch"),
            Self::Malformed => f.write_str("not a request of this protocol"),
            Self::StateLength { expected, got } => {
                write!(f, "state has {got} values, the controller takes {expected}")
            }
            Self::ReplyTooLarge => f.write_str("reply did not fit the frame buffer"),
        }
    }
}
