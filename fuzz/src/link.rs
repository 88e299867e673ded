//! The serial link: one frame's decoder, and the board's request handler fed a byte stream
//! in which frames are split, glued and broken at random.

use chi_embedded::bundle::inspect;
use chi_embedded::bundle::owned::AlignedBytes;
use chi_embedded::bundle::testing::{self, PolicyKind};
use chi_embedded::envs::point_mass::PointMassTask;
use chi_embedded::link::{self, ErrorKind, Info, MAX_FRAME, Request, Response, Server, Values};

use crate::board::{Board, BoardChi, HE, HP};

/// One frame's bytes decoded as a request and as a response; what decodes must encode to a
/// frame that decodes to it again, bit for bit (NaN states included).
pub fn link_frame(data: &[u8]) {
    let mut buf = data.to_vec();
    if let Ok(request) = link::decode::<Request>(&mut buf) {
        round_trip(&request);
    }
    let mut buf = data.to_vec();
    if let Ok(response) = link::decode::<Response>(&mut buf) {
        round_trip(&response);
    }
}

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(m: &T) {
    let once = encoded(m);
    let (_, body) = once.split_last().expect("a frame ends in its zero");
    let back: T = link::decode(&mut body.to_vec()).expect("a re-encoded message decodes");
    assert_eq!(
        encoded(&back),
        once,
        "decode after encode changes the message"
    );
}

fn encoded<T: serde::Serialize>(m: &T) -> Vec<u8> {
    let (mut scratch, mut out) = ([0u8; MAX_FRAME], [0u8; MAX_FRAME + MAX_FRAME / 254 + 2]);
    link::encode(m, &mut scratch, &mut out)
        .expect("a decoded message re-encodes")
        .to_vec()
}

/// What the board must answer to one frame (the bytes between two zeros, not empty).
#[derive(Debug)]
enum Expected {
    Oversized,
    Info,
    Ready(u32),
    /// An action for a state of the right length, an error naming the length otherwise.
    Act {
        seq: u32,
        len: usize,
    },
    /// Anything else: an error without a sequence number.
    Refused,
}

fn expected(frame: &[u8]) -> Expected {
    if frame.len() > MAX_FRAME {
        return Expected::Oversized;
    }
    match link::decode::<Request>(&mut frame.to_vec()) {
        Ok(Request::Hello) => Expected::Info,
        Ok(Request::Reset { seq, .. }) => Expected::Ready(seq),
        Ok(Request::Act { seq, state } | Request::ActCapped { seq, state, .. }) => Expected::Act {
            seq,
            len: state.len(),
        },
        Err(_) => Expected::Refused,
    }
}

/// The board's server and controller fed `data` byte by byte: every frame gets exactly one
/// reply, in order, and each reply is the one its frame calls for.
pub fn link_stream(data: &[u8]) {
    let bytes = board_bundle();
    let Ok(bundle) = Board::parse(bytes.as_bytes()) else {
        panic!("the reference bundle decodes");
    };
    let Ok(header) = inspect(bytes.as_bytes()) else {
        panic!("the reference bundle's header decodes");
    };
    let mut chi = BoardChi::from_bundle(&bundle, PointMassTask::default(), 1);
    let info = Info::new(&header, bytes.as_bytes(), "fuzz");
    let mut handler = link::ControllerHandler::new(&mut chi, info.clone(), || 0);
    let mut server = Server::new();
    let mut replies = Vec::new();
    for byte in data {
        if let Some(reply) = server.push(*byte, &mut handler) {
            let (_, body) = reply.split_last().expect("a reply ends in its zero");
            let mut body = body.to_vec();
            replies.push(link::decode::<Response>(&mut body).expect("every reply decodes"));
        }
    }
    // The frames the stream holds: bytes between zeros, empty ones skipped; a tail without
    // its zero is not a frame yet.
    let mut frames: Vec<&[u8]> = data.split(|b| *b == 0).filter(|f| !f.is_empty()).collect();
    if data.last().is_some_and(|b| *b != 0) {
        frames.pop();
    }
    assert_eq!(replies.len(), frames.len(), "one reply per frame");
    for (frame, reply) in frames.iter().zip(&replies) {
        let want = expected(frame);
        let ok = match (&want, reply) {
            (Expected::Oversized, Response::Error { seq: None, kind }) => {
                *kind == ErrorKind::Oversized
            }
            (Expected::Info, Response::Info(i)) => *i == info,
            (Expected::Ready(seq), Response::Ready { seq: got }) => seq == got,
            (Expected::Act { seq, len: 2 }, Response::Action(a)) => {
                a.seq == *seq
                    && a.action.len() == 2
                    && a.action.iter().all(|x| x.is_finite() && x.abs() <= 1.0)
            }
            (
                Expected::Act { seq, len },
                Response::Error {
                    seq: Some(got),
                    kind:
                        ErrorKind::StateLength {
                            expected: 2,
                            got: n,
                        },
                },
            ) => seq == got && *len != 2 && *n as usize == *len,
            (Expected::Refused, Response::Error { seq: None, kind }) => {
                *kind != ErrorKind::Oversized
            }
            _ => false,
        };
        assert!(ok, "frame {frame:?}: expected {want:?}, got {reply:?}");
    }
}

fn board_bundle() -> AlignedBytes {
    let mut spec = testing::point_mass_spec(HE, HP, PolicyKind::Uncertain);
    spec.header.controller.planner.iterations = 1;
    spec.encode().expect("the reference bundle encodes")
}

fn frame_of(request: &Request) -> Vec<u8> {
    let (mut scratch, mut out) = ([0u8; MAX_FRAME], [0u8; MAX_FRAME + 4]);
    link::encode(request, &mut scratch, &mut out)
        .map(<[u8]>::to_vec)
        .unwrap_or_default()
}

fn act(seq: u32, state: &[f32]) -> Request {
    Request::Act {
        seq,
        state: Values::from_slice(state).unwrap_or_default(),
    }
}

/// Single frames of every request and response kind (without their zero).
pub fn seeds_frame() -> Vec<Vec<u8>> {
    let mut frames: Vec<Vec<u8>> = [
        Request::Hello,
        Request::Reset { seq: 1, seed: 9 },
        act(2, &[0.1, -0.2]),
        act(3, &[f32::NAN, f32::INFINITY, 1e30]),
    ]
    .iter()
    .map(frame_of)
    .collect();
    for f in &mut frames {
        f.pop();
    }
    frames
}

/// Request streams: a session, pipelined requests, and broken frames between valid ones.
pub fn seeds_stream() -> Vec<Vec<u8>> {
    let session: Vec<u8> = [
        Request::Hello,
        Request::Reset { seq: 1, seed: 3 },
        act(2, &[0.1, 0.2]),
        act(3, &[0.4, 0.5]),
    ]
    .iter()
    .flat_map(frame_of)
    .collect();
    let mut broken = frame_of(&act(4, &[0.1, 0.2]));
    broken.truncate(broken.len() / 2);
    broken.push(0);
    broken.extend(frame_of(&act(5, &[0.3, f32::NAN])));
    broken.extend(std::iter::repeat_n(0x41, MAX_FRAME + 3));
    broken.push(0);
    broken.extend(frame_of(&act(6, &[0.1, 0.2, 0.3])));
    vec![session, broken]
}
