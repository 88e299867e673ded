//! The serial link between a host and the board: the host sends states, the board answers
//! with actions.
//!
//! Every frame is a postcard-encoded message followed by its CRC-32 (ISO-HDLC, little
//! endian), COBS-encoded and ended by a zero byte. COBS lets a reader that joins mid-stream,
//! or loses bytes, find the next frame at the next zero; the CRC catches what the UART
//! garbles. Postcard is compact and `no_std`; the messages are the same Rust types on both
//! sides, so the protocol cannot drift between host and board.
//!
//! The board answers every frame it reads, valid or not: a request gets its reply, anything
//! else an [`Response::Error`] saying what was wrong. A bad frame costs only itself: the
//! reader resynchronises at the next zero, so the next valid frame is answered.
//!
//! - [`message`]: what travels ([`Request`], [`Response`]).
//! - [`frame`]: one message to and from bytes (postcard + CRC + COBS).
//! - [`reader`]: cuts a byte stream into frames in a fixed buffer.
//! - [`rx`]: the ring a UART's receive interrupt fills, and the line's error counts.
//! - [`server`]: the board's side: reads frames, asks a [`Handler`] and writes replies over
//!   any `embedded-io` byte stream, so another UART (or USB CDC) is a small change.

pub mod controller_handler;
pub mod frame;
pub mod message;
pub mod reader;
pub mod rx;
pub mod server;

#[cfg(test)]
mod tests;

pub use controller_handler::ControllerHandler;
pub use frame::{FrameError, decode, encode};
pub use message::{ActionReply, ErrorKind, Info, Request, Response, Values};
pub use reader::FrameReader;
pub use server::{Handler, Server};

/// Version of this protocol; [`Info`] carries it so a host can refuse a board it does not
/// speak to. 2: [`Request::ActCapped`]; 3: [`Info::serial`], the line's error counts.
pub const PROTOCOL_VERSION: u16 = 3;

/// Most values in a state or action a message carries (Half-Cheetah has 17 and 6).
pub const MAX_VALUES: usize = 32;

/// Largest encoded frame, zero byte included. The largest message (a state of
/// [`MAX_VALUES`] floats) takes about 140 bytes; the rest is headroom.
pub const MAX_FRAME: usize = 256;
