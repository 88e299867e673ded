//! The board's side of the link on the host, with the reference controller behind it: every
//! frame gets an answer, bad frames an error, and a bad frame never costs the next one.

use super::*;
use crate::budget::Unlimited;
use crate::bundle::testing::{PolicyKind, point_mass_bundle};
use crate::envs::point_mass::PointMassTask;

const HE: usize = 32;
const HP: usize = 32;
const K: usize = crate::bundle::testing::POINT_MASS_SAMPLES;
type Bundle<'a> = crate::bundle::Bundle<'a, 2, 2, 4, 2, HE, HP, 7, K>;
type Controller<'a> =
    crate::controller::BundleController<'a, PointMassTask, 2, 2, 4, 2, HE, HP, 7, K>;
use proptest::prelude::*;

fn request(message: &Request) -> Vec<u8> {
    let (mut scratch, mut out) = ([0u8; MAX_FRAME], [0u8; MAX_FRAME + 4]);
    encode(message, &mut scratch, &mut out).unwrap().to_vec()
}

fn act(seq: u32, state: &[f32]) -> Vec<u8> {
    request(&Request::Act {
        seq,
        state: Values::from_slice(state).unwrap(),
    })
}

/// Feeds `bytes` to a server in front of the reference controller and decodes every reply.
fn replies(bytes: &[u8]) -> Vec<Response> {
    let bundle_bytes = point_mass_bundle::<HE, HP>(PolicyKind::Uncertain);
    let bundle = Bundle::parse(bundle_bytes.as_bytes()).unwrap();
    let mut controller = Controller::from_bundle(&bundle, PointMassTask::default(), 5);
    let info = Info::new(&bundle.header, bundle_bytes.as_bytes(), "test");
    let mut handler = ControllerHandler::new(&mut controller, info, || 0);
    let mut server = Server::new();
    let mut out = Vec::new();
    for b in bytes {
        if let Some(reply) = server.push(*b, &mut handler) {
            let mut frame = reply[..reply.len() - 1].to_vec();
            out.push(decode::<Response>(&mut frame).unwrap());
        }
    }
    out
}

fn is_action(r: &Response, seq: u32) -> bool {
    matches!(r, Response::Action(a) if a.seq == seq && a.action.len() == 2)
}

#[test]
fn hello_names_the_bundle_and_actions_equal_the_controllers() {
    let mut stream = request(&Request::Hello);
    stream.extend(request(&Request::Reset { seq: 1, seed: 9 }));
    stream.extend(act(2, &[0.1, 0.2]));
    stream.extend(act(3, &[0.3, 0.2]));
    let got = replies(&stream);
    assert_eq!(got.len(), 4);
    let bundle_bytes = point_mass_bundle::<HE, HP>(PolicyKind::Uncertain);
    let bundle = Bundle::parse(bundle_bytes.as_bytes()).unwrap();
    let Response::Info(info) = &got[0] else {
        panic!("{:?}", got[0])
    };
    assert_eq!(info.protocol, PROTOCOL_VERSION);
    assert_eq!(info.dims, bundle.header.dims);
    let crc = &bundle_bytes.as_bytes()[bundle_bytes.len() - 4..];
    assert_eq!(info.bundle_crc.to_le_bytes(), crc);
    assert_eq!(got[1], Response::Ready { seq: 1 });
    // The same controller, reseeded the same way, acting on the same states.
    let mut reference = Controller::from_bundle(&bundle, PointMassTask::default(), 5);
    reference.reseed(9);
    for (reply, (seq, state)) in got[2..].iter().zip([(2, [0.1, 0.2]), (3, [0.3, 0.2])]) {
        let want = reference.act(&state, &mut Unlimited);
        let Response::Action(a) = reply else {
            panic!("{reply:?}")
        };
        assert_eq!(a.seq, seq);
        assert_eq!(
            a.action.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            want.action.map(f32::to_bits).to_vec()
        );
        assert_eq!(u32::from(a.iterations), want.refinement.iterations);
    }
}

#[test]
fn bad_frames_get_errors_and_the_next_valid_frame_is_answered() {
    let valid = act(1, &[0.5, 0.5]);
    let mut truncated = valid[..valid.len() - 3].to_vec();
    truncated.push(0);
    let mut corrupted = valid.clone();
    corrupted[3] ^= 0x10;
    if corrupted[3] == 0 {
        corrupted[3] = 0x7f;
    }
    let mut oversized = vec![0x55; MAX_FRAME * 3];
    oversized.push(0);
    // COBS-valid, CRC-valid, but a variant this protocol does not have.
    let mut unknown_variant = [9u8, 1, 2, 3].to_vec();
    let crc = crate::bundle::frame::CRC32
        .checksum(&unknown_variant)
        .to_le_bytes();
    unknown_variant.extend(crc);
    let mut malformed = vec![0u8; unknown_variant.len() + 2];
    let n = cobs::encode(&unknown_variant, &mut malformed);
    malformed.truncate(n);
    malformed.push(0);
    let bad_cobs = vec![0x05, 1, 0];

    let cases: [(&str, Vec<u8>, ErrorKind); 5] = [
        ("truncated", truncated, ErrorKind::Framing),
        ("corrupted", corrupted, ErrorKind::Checksum),
        ("oversized", oversized, ErrorKind::Oversized),
        ("malformed", malformed, ErrorKind::Malformed),
        ("bad cobs", bad_cobs, ErrorKind::Framing),
    ];
    for (name, bad, kind) in cases {
        let mut stream = bad;
        stream.extend(act(2, &[0.5, 0.5]));
        let got = replies(&stream);
        assert_eq!(got.len(), 2, "{name}: {got:?}");
        assert_eq!(got[0], Response::Error { seq: None, kind }, "{name}");
        assert!(is_action(&got[1], 2), "{name}: {:?}", got[1]);
    }
}

#[test]
fn a_state_of_the_wrong_length_is_refused_by_name() {
    let mut stream = act(4, &[0.1, 0.2, 0.3]);
    stream.extend(act(5, &[0.1, 0.2]));
    let got = replies(&stream);
    assert_eq!(
        got[0],
        Response::Error {
            seq: Some(4),
            kind: ErrorKind::StateLength {
                expected: 2,
                got: 3
            }
        }
    );
    assert!(is_action(&got[1], 5));
}

#[test]
fn a_nan_state_gets_a_finite_action_flagged_as_sanitised() {
    let got = replies(&act(6, &[f32::NAN, f32::INFINITY]));
    let Response::Action(a) = &got[0] else {
        panic!("{:?}", got[0])
    };
    assert!(a.action.iter().all(|x| x.is_finite() && x.abs() <= 1.0));
    assert!(a.state_sanitised);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Any garbage (zeros included, so it splits into many frames) gets one reply a frame,
    /// and a valid request after it is still answered.
    #[test]
    fn random_bytes_get_errors_and_do_not_block_the_next_request(
        garbage in proptest::collection::vec(any::<u8>(), 0..600)
    ) {
        let frames = garbage.split(|b| *b == 0).filter(|f| !f.is_empty()).count();
        let mut stream = garbage;
        stream.push(0);
        stream.extend(act(77, &[0.2, 0.1]));
        let got = replies(&stream);
        let (last, rest) = got.split_last().unwrap();
        prop_assert!(is_action(last, 77), "{:?}", last);
        // One reply per frame of garbage: nothing is swallowed, nothing answered twice.
        prop_assert_eq!(rest.len(), frames);
    }
}

/// A board paced to a period shorter than its full plan answers with fewer iterations, and
/// a host that asks for exactly those (`ActCapped`) gets the same actions bit for bit, on
/// the cut step and on the steps after it.
#[test]
fn a_paced_step_is_replayed_by_its_iteration_count() {
    use core::sync::atomic::{AtomicU64, Ordering};
    static NOW: AtomicU64 = AtomicU64::new(0);
    // Every reading of the clock is 10 ticks after the one before (the handler's own two
    // readings a step included).
    let clock = || NOW.fetch_add(10, Ordering::Relaxed);
    let bundle_bytes = point_mass_bundle::<HE, HP>(PolicyKind::Uncertain);
    let bundle = Bundle::parse(bundle_bytes.as_bytes()).unwrap();
    let declared = bundle.header.controller.planner.iterations;
    assert!(declared >= 2, "the test needs a plan of several iterations");
    let info = Info::new(&bundle.header, bundle_bytes.as_bytes(), "test");
    let serve = |handler: &mut ControllerHandler<'_, _, _, _, 2, 2, 7, K>, stream: &[u8]| {
        let mut server = Server::new();
        let mut out = Vec::new();
        for b in stream {
            if let Some(reply) = server.push(*b, handler) {
                let mut frame = reply[..reply.len() - 1].to_vec();
                match decode::<Response>(&mut frame).unwrap() {
                    Response::Action(a) => out.push(a),
                    Response::Ready { .. } => {}
                    other => panic!("{other:?}"),
                }
            }
        }
        out
    };
    let states = [[0.1, 0.2], [0.3, 0.2], [0.5, 0.4]];
    let mut stream = request(&Request::Reset { seq: 0, seed: 9 });
    for (i, s) in states.iter().enumerate() {
        stream.extend(act(i as u32 + 1, s));
    }
    // Two checks an iteration (before it, between the two members) at 10 ticks each: a
    // period of 35 lets the first iteration run and stops the second.
    let mut controller = Controller::from_bundle(&bundle, PointMassTask::default(), 5);
    let mut paced = ControllerHandler::new(&mut controller, info.clone(), clock)
        .paced(crate::budget::Pacer::new(35), clock);
    let board = serve(&mut paced, &stream);
    assert!(board.iter().all(|a| a.iterations == 1), "{board:?}");

    let mut stream = request(&Request::Reset { seq: 0, seed: 9 });
    for (i, (s, a)) in states.iter().zip(&board).enumerate() {
        stream.extend(request(&Request::ActCapped {
            seq: i as u32 + 1,
            state: Values::from_slice(s).unwrap(),
            iterations: a.iterations,
        }));
    }
    let mut controller = Controller::from_bundle(&bundle, PointMassTask::default(), 5);
    let mut host = ControllerHandler::new(&mut controller, info.clone(), || 0);
    let replayed = serve(&mut host, &stream);
    let bits = |r: &[ActionReply]| -> Vec<Vec<u32>> {
        r.iter()
            .map(|a| a.action.iter().map(|x| x.to_bits()).collect())
            .collect()
    };
    assert_eq!(bits(&board), bits(&replayed));
    // The same host unpaced plans all the declared iterations and acts differently.
    let mut controller = Controller::from_bundle(&bundle, PointMassTask::default(), 5);
    let mut full = ControllerHandler::new(&mut controller, info, || 0);
    let mut stream = request(&Request::Reset { seq: 0, seed: 9 });
    stream.extend(act(1, &states[0]));
    let whole = serve(&mut full, &stream);
    assert_eq!(u32::from(whole[0].iterations), declared);
    assert_ne!(bits(&whole[..1]), bits(&board[..1]));
}
