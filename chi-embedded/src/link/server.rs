//! The board's side of the link: read frames, answer each.

use embedded_io::{Read, Write};

use super::MAX_FRAME;
use super::frame;
use super::message::{ActionReply, ErrorKind, Info, Request, Response};
use super::reader::FrameReader;

/// What the board does with a request; the firmware implements it with its controller
/// ([`super::controller_handler::ControllerHandler`]), tests with whatever they need.
pub trait Handler {
    /// The board's identity.
    fn info(&self) -> Info;
    /// Reseeds the controller for a new episode.
    fn reset(&mut self, seed: u64);
    /// Acts in `state`; a state of the wrong length is an error, never a panic.
    fn act(&mut self, seq: u32, state: &[f32], cap: Option<u8>) -> Result<ActionReply, ErrorKind>;
}

/// Room for a COBS-encoded [`MAX_FRAME`]-byte message and its zero.
const OUT_LEN: usize = MAX_FRAME + MAX_FRAME / 254 + 2;

/// Reads requests from a byte stream and writes one reply per frame. All buffers are
/// inside: about 1 KB of RAM, no heap.
pub struct Server {
    reader: FrameReader<MAX_FRAME>,
    scratch: [u8; MAX_FRAME],
    out: [u8; OUT_LEN],
}

impl Default for Server {
    fn default() -> Self {
        Self::new()
    }
}

impl Server {
    /// A server with empty buffers.
    pub const fn new() -> Self {
        Self {
            reader: FrameReader::new(),
            scratch: [0; MAX_FRAME],
            out: [0; OUT_LEN],
        }
    }

    /// The answer to one frame's bytes (without its zero).
    pub fn respond(frame: &mut [u8], handler: &mut impl Handler) -> Response {
        let request = match frame::decode::<Request>(frame) {
            Ok(r) => r,
            Err(e) => {
                return Response::Error {
                    seq: None,
                    kind: e.into(),
                };
            }
        };
        match request {
            Request::Hello => Response::Info(handler.info()),
            Request::Reset { seq, seed } => {
                handler.reset(seed);
                Response::Ready { seq }
            }
            Request::Act { seq, state } => Self::action(handler.act(seq, &state, None), seq),
            Request::ActCapped {
                seq,
                state,
                iterations,
            } => Self::action(handler.act(seq, &state, Some(iterations)), seq),
        }
    }

    fn action(result: Result<ActionReply, ErrorKind>, seq: u32) -> Response {
        match result {
            Ok(reply) => Response::Action(reply),
            Err(kind) => Response::Error {
                seq: Some(seq),
                kind,
            },
        }
    }

    /// Takes one byte; when it ends a frame, returns the encoded reply to send.
    pub fn push(&mut self, byte: u8, handler: &mut impl Handler) -> Option<&[u8]> {
        let response = match self.reader.push(byte)? {
            Ok(frame) => Self::respond(frame, handler),
            Err(kind) => Response::Error { seq: None, kind },
        };
        let len = match frame::encode(&response, &mut self.scratch, &mut self.out) {
            Ok(bytes) => bytes.len(),
            Err(e) => {
                let fallback = Response::Error {
                    seq: None,
                    kind: ErrorKind::from(e),
                };
                frame::encode(&fallback, &mut self.scratch, &mut self.out)
                    .ok()?
                    .len()
            }
        };
        self.out.get(..len)
    }

    /// Serves forever: reads what the stream has, answers every frame. Returns only on an
    /// I/O error of the stream.
    pub fn serve<IO: Read + Write>(
        &mut self,
        io: &mut IO,
        handler: &mut impl Handler,
    ) -> Result<(), IO::Error> {
        let mut chunk = [0u8; 32];
        loop {
            let n = io.read(&mut chunk)?;
            for byte in chunk.get(..n).unwrap_or(&[]) {
                if let Some(reply) = self.push(*byte, handler) {
                    io.write_all(reply)?;
                    io.flush()?;
                }
            }
        }
    }
}
