//! One message to and from a frame: postcard, then a CRC-32 of the postcard bytes, then COBS,
//! then a zero byte.

use serde::{Serialize, de::DeserializeOwned};

use super::message::ErrorKind;
use crate::bundle::frame::{CRC_LEN, CRC32};

/// Why a frame did not decode; each maps to the [`ErrorKind`] the board replies with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// Not valid COBS, or too short for a CRC.
    Framing,
    /// CRC mismatch.
    Checksum,
    /// Postcard could not decode the message.
    Malformed,
    /// The output buffer is too small for the encoded message.
    BufferTooSmall,
}

impl From<FrameError> for ErrorKind {
    fn from(e: FrameError) -> Self {
        match e {
            FrameError::Framing => Self::Framing,
            FrameError::Checksum => Self::Checksum,
            FrameError::Malformed => Self::Malformed,
            FrameError::BufferTooSmall => Self::ReplyTooLarge,
        }
    }
}

impl core::fmt::Display for FrameError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::BufferTooSmall => f.write_str("message does not fit the frame buffer"),
            other => ErrorKind::from(*other).fmt(f),
        }
    }
}

/// Encodes `message` into `out` as a complete frame, trailing zero included, and returns the
/// frame. `scratch` holds the postcard bytes and CRC on the way (any buffer of
/// [`super::MAX_FRAME`] bytes does for every message of this protocol).
pub fn encode<'o, T: Serialize>(
    message: &T,
    scratch: &mut [u8],
    out: &'o mut [u8],
) -> Result<&'o [u8], FrameError> {
    let body = postcard::to_slice(message, scratch).map_err(|_| FrameError::BufferTooSmall)?;
    let body_len = body.len();
    let crc = CRC32.checksum(body).to_le_bytes();
    scratch
        .get_mut(body_len..body_len + CRC_LEN)
        .ok_or(FrameError::BufferTooSmall)?
        .copy_from_slice(&crc);
    let raw = scratch
        .get(..body_len + CRC_LEN)
        .ok_or(FrameError::BufferTooSmall)?;
    let n = cobs::try_encode(raw, out).map_err(|_| FrameError::BufferTooSmall)?;
    *out.get_mut(n).ok_or(FrameError::BufferTooSmall)? = 0;
    out.get(..=n).ok_or(FrameError::BufferTooSmall)
}

/// Decodes one frame (its bytes without the trailing zero), in place: COBS, then the CRC,
/// then postcard. Bytes after the message inside the CRC-checked body are refused too, so
/// one frame is exactly one message.
pub fn decode<T: DeserializeOwned>(frame: &mut [u8]) -> Result<T, FrameError> {
    let n = cobs::decode_in_place(frame).map_err(|_| FrameError::Framing)?;
    let raw = frame.get(..n).ok_or(FrameError::Framing)?;
    let body_len = n.checked_sub(CRC_LEN).ok_or(FrameError::Framing)?;
    let (body, crc) = raw.split_at_checked(body_len).ok_or(FrameError::Framing)?;
    let stored = crc
        .first_chunk::<CRC_LEN>()
        .map(|b| u32::from_le_bytes(*b))
        .ok_or(FrameError::Framing)?;
    if stored != CRC32.checksum(body) {
        return Err(FrameError::Checksum);
    }
    match postcard::take_from_bytes::<T>(body) {
        Ok((message, [])) => Ok(message),
        _ => Err(FrameError::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::{MAX_FRAME, Request, Response, Values};
    use proptest::prelude::*;

    fn act(seq: u32, state: &[f32]) -> Request {
        Request::Act {
            seq,
            state: Values::from_slice(state).unwrap(),
        }
    }

    fn roundtrip(message: &Request) -> Request {
        let (mut scratch, mut out) = ([0u8; MAX_FRAME], [0u8; MAX_FRAME]);
        let frame = encode(message, &mut scratch, &mut out).unwrap().to_vec();
        assert_eq!(frame.last(), Some(&0));
        assert!(
            !frame[..frame.len() - 1].contains(&0),
            "COBS leaves no zero inside"
        );
        let mut body = frame[..frame.len() - 1].to_vec();
        decode(&mut body).unwrap()
    }

    #[test]
    fn the_largest_request_fits_a_frame() {
        let big = act(u32::MAX, &[f32::MIN; crate::link::MAX_VALUES]);
        assert_eq!(roundtrip(&big), big);
    }

    #[test]
    fn a_flipped_bit_is_caught() {
        let (mut scratch, mut out) = ([0u8; MAX_FRAME], [0u8; MAX_FRAME]);
        let frame = encode(&act(7, &[0.25, -0.5]), &mut scratch, &mut out)
            .unwrap()
            .to_vec();
        let body = &frame[..frame.len() - 1];
        for byte in 0..body.len() {
            for bit in 0..8 {
                let mut bad = body.to_vec();
                bad[byte] ^= 1 << bit;
                assert!(
                    decode::<Request>(&mut bad).is_err(),
                    "flip of bit {bit} of byte {byte} went unnoticed"
                );
            }
        }
    }

    #[test]
    fn a_request_is_not_a_response_and_empty_frames_are_framing_errors() {
        let (mut scratch, mut out) = ([0u8; MAX_FRAME], [0u8; MAX_FRAME]);
        let frame = encode(&Request::Hello, &mut scratch, &mut out)
            .unwrap()
            .to_vec();
        let mut body = frame[..frame.len() - 1].to_vec();
        // Hello is variant 0, and so is Response::Info, which needs more bytes.
        assert_eq!(decode::<Response>(&mut body), Err(FrameError::Malformed));
        assert_eq!(decode::<Request>(&mut []), Err(FrameError::Framing));
        assert_eq!(decode::<Request>(&mut [1]), Err(FrameError::Framing));
    }

    proptest! {
        #[test]
        fn states_roundtrip(seq: u32, state in proptest::collection::vec(any::<f32>(), 0..=32)) {
            let message = act(seq, &state);
            let back = roundtrip(&message);
            let Request::Act { seq: s, state: v } = back else { panic!("not an Act") };
            prop_assert_eq!(s, seq);
            prop_assert_eq!(
                v.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                state.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
        }

        #[test]
        fn random_bytes_never_panic(mut bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode::<Request>(&mut bytes);
        }
    }
}
